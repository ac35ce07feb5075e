"""Benchmark `make demo`'s setup: seed_demo on a fresh database of its own, as the demo runs it (SQLite in a
directory of its own, no services), then once more (a second run creates nothing). Prints a table.

Each run is a process of its own (`manage.py migrate`, then `manage.py seed_demo`), so the database it seeds is never
the bench's, the demo's or production's; the time is the one seed_demo prints for itself.
"""

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

GOAL_SECONDS = 10.0
READY = re.compile(r"Demo store ready in ([\d.]+) s")


class Command(BaseCommand):
    help = "Time seed_demo on a fresh SQLite database, as `make demo` runs it; fails above the goal."

    def add_arguments(self, parser):
        parser.add_argument("--goal", type=float, default=GOAL_SECONDS, help="Fail when the first seed is slower.")

    def handle(self, *args, goal: float, **options):
        with tempfile.TemporaryDirectory(prefix="bench-demo-") as var_dir:
            env = self.demo_env(var_dir)
            self.manage(env, "migrate", "--noinput", "-v0")
            first = self.seed(env)
            again = self.seed(env)
        self.stdout.write("\nDemo seed (seed_demo on a fresh SQLite database, as make demo runs it)")
        self.stdout.write(f"{'run':<36} {'seconds':>8}  goal")
        self.stdout.write("-" * 60)
        verdict = "ok" if first <= goal else "MISSED"
        self.stdout.write(f"{'first run (empty database)':<36} {first:>8.1f}  <{goal:g} s {verdict}")
        self.stdout.write(f"{'second run (creates nothing)':<36} {again:>8.1f}")
        if first > goal:
            raise CommandError(f"seed_demo took {first:.1f} s (goal {goal:g} s)")

    def demo_env(self, var_dir: str) -> dict:
        """The demo's environment (make demo): a developer's machine, its own SQLite file, no broker or Redis."""
        env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL", "CI")}
        env.update(DEBUG="1", VAR_DIR=var_dir, PUBLIC_BASE_URL="http://127.0.0.1:8000")
        return env

    def manage(self, env: dict, *args: str) -> str:
        manage_py = Path(settings.BASE_DIR) / "manage.py"
        done = subprocess.run(  # noqa: S603 - our own manage.py, with arguments of our own
            [sys.executable, str(manage_py), *args], env=env, capture_output=True, text=True, check=False
        )
        if done.returncode:
            raise CommandError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-2000:]}")
        return done.stdout

    def seed(self, env: dict) -> float:
        output = self.manage(env, "seed_demo")
        found = READY.search(output)
        if found is None:
            raise CommandError(f"seed_demo did not say how long it took:\n{output[-2000:]}")
        return float(found.group(1))
