"""Every environment variable the code reads is in the README's Production table, and nothing there is made up."""

import ast
import re
import tomllib
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# The settings module's helpers read the variable named by their first argument.
ENV_HELPERS = {"envbool", "envint", "envlist"}


def deployed_sources() -> list[Path]:
    """The Python files that ship: the packages pyproject.toml installs, every other package beside them, manage.py."""
    config = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {path.parent.name for path in BASE_DIR.glob("*/__init__.py")}
    roots = sorted({pattern.rstrip("*").rstrip(".") for pattern in patterns} | packages)
    files = [BASE_DIR / "manage.py"]
    for root in roots:
        files.extend(path for path in sorted((BASE_DIR / root).rglob("*.py")) if "migrations" not in path.parts)
    return files


def _is_environ(node: ast.AST, aliases: set[str]) -> bool:
    """os.environ, environ (from os import environ) or a local name bound to os.environ."""
    if isinstance(node, ast.Attribute) and node.attr == "environ":
        return True
    return isinstance(node, ast.Name) and (node.id == "environ" or node.id in aliases)


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _reads_environment(func: ast.AST, aliases: set[str]) -> bool:
    """os.environ.get(...), os.getenv(...), getenv(...) or one of the settings' env helpers."""
    if isinstance(func, ast.Attribute):
        return func.attr == "getenv" or (func.attr == "get" and _is_environ(func.value, aliases))
    return isinstance(func, ast.Name) and func.id in ENV_HELPERS | {"getenv"}


def variables_read(source: str) -> set[str]:
    """Names read with os.environ.get / os.environ[...] / os.getenv / envbool, envint, envlist (also via an alias
    such as `env = os.environ`). os.environ.setdefault(...) sets a default for others and is not a read."""
    tree = ast.parse(source)
    aliases = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Attribute) and node.value.attr == "environ"
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    names = set()
    for node in ast.walk(tree):
        name = None
        if isinstance(node, ast.Subscript) and _is_environ(node.value, aliases):
            name = _literal(node.slice)
        elif isinstance(node, ast.Call) and node.args and _reads_environment(node.func, aliases):
            name = _literal(node.args[0])
        if name:
            names.add(name)
    return names


def readme_variables() -> set[str]:
    """The first column of the table under '## Production' in README.md."""
    text = (BASE_DIR / "README.md").read_text()
    section = text.split("\n## Production\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {match.group(1) for row in rows if (match := re.match(r"\| `([A-Z][A-Z0-9_]*)` \|", row))}


def test_the_scanner_finds_each_way_of_reading_a_variable():
    source = """
import os
from os import environ
env = os.environ
DEBUG = envbool("A_BOOL", False)
N = envint("AN_INT", 0)
L = envlist("A_LIST", "")
os.environ.get("BY_GET")
os.environ["BY_INDEX"]
os.getenv("BY_GETENV")
environ.get("FROM_IMPORT")
env.get("BY_ALIAS")
env["ALIAS_INDEX"]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "x")
"""
    assert variables_read(source) == {
        "A_BOOL",
        "AN_INT",
        "A_LIST",
        "BY_GET",
        "BY_INDEX",
        "BY_GETENV",
        "FROM_IMPORT",
        "BY_ALIAS",
        "ALIAS_INDEX",
    }


def test_the_scan_covers_the_settings_and_the_integrations():
    read = set().union(*(variables_read(path.read_text()) for path in deployed_sources()))

    assert {"SECRET_KEY", "PUBLIC_BASE_URL", "TRUSTED_PROXY_COUNT", "KUAIDI100_KEY", "PDD_CLIENT_ID"} <= read


def test_every_variable_the_code_reads_is_in_the_readme():
    documented = readme_variables()
    undocumented = {
        str(path.relative_to(BASE_DIR)): sorted(missing)
        for path in deployed_sources()
        if (missing := variables_read(path.read_text()) - documented)
    }

    assert undocumented == {}, "add these to README.md's Production table"


def test_the_readme_lists_no_variable_the_code_does_not_read():
    read = set().union(*(variables_read(path.read_text()) for path in deployed_sources()))

    assert readme_variables() - read == set()
