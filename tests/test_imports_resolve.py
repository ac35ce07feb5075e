"""Every `from <project module> import <name>` names something that exists, including the imports inside functions
that run only on some path (a benchmark's worker mode, a management command's option): a module split or a renamed
function otherwise breaks them only when that path runs."""

import ast
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("backoffice", "aftersales", "logistics", "surveys", "quality")


def project_imports():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
                    for alias in node.names:
                        yield f"{path.relative_to(ROOT)}:{node.lineno}", node.module, alias.name


def test_every_name_imported_from_the_project_exists():
    missing = []
    for where, module_name, name in project_imports():
        module = importlib.import_module(module_name)
        if name == "*" or hasattr(module, name):
            continue
        try:
            importlib.import_module(f"{module_name}.{name}")
        except ModuleNotFoundError:
            missing.append(f"{where}: {module_name}.{name}")
    assert missing == []
