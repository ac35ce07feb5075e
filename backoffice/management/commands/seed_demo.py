"""Fill the database with a believable demo store, safe to run again; prints the demo logins and URL."""

import inspect
import time
from contextlib import contextmanager
from unittest import mock

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.module_loading import import_string

from backoffice import dispatch
from backoffice.demo import DEFAULT_ORDERS, DEFAULT_RNG_SEED, DEMO_PASSWORD, DEMO_STAFF, DEMO_URL
from backoffice.staff.roles import display_name
from backoffice.store.cache import store_settings_scope

# Each step is a function called with the keyword arguments it declares among `now`, `rng_seed` and `orders`;
# it returns counts of what it created. A step must be idempotent: a second run creates nothing it made before.
STEPS = [
    "backoffice.demo.seed_store",
    "backoffice.demo.seed_messaging",
    "aftersales.demo.seed_cases",
    "surveys.demo.seed_surveys",
    "logistics.demo.seed_exceptions",
    "backoffice.followups.demo.seed_followups",
    "quality.demo.seed_quality",
]


@contextmanager
def no_query_log():
    """With DEBUG on, Django keeps every statement's SQL, and on SQLite quotes its parameters with a query of its own:
    a third of the seed's statements, for a log nobody reads."""
    with override_settings(DEBUG=False):
        yield


@contextmanager
def work_left_to_the_sweeps():
    """The demo's messages and follow-ups wait in their tables for the beat sweeps, as when the broker is away,
    instead of one broker task each: on the embedded broker a task is a file, and they cost more than the rest."""
    with mock.patch.object(dispatch, "enqueue", lambda name, *args: False):
        yield


def call_step(step, **available):
    parameters = inspect.signature(step).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return step(**available)
    return step(**{name: value for name, value in available.items() if name in parameters})


class Command(BaseCommand):
    help = "Seed a demo store (couriers, catalogue, customers, orders, staff logins); running it twice is safe."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=DEFAULT_ORDERS, help="How many demo orders (default 2000).")
        parser.add_argument("--seed", type=int, default=DEFAULT_RNG_SEED, help="Random seed, for reproducible data.")

    def handle(self, *args, orders: int, seed: int, **options):
        now = timezone.now()
        started = time.monotonic()
        with no_query_log():
            self.seed(now=now, orders=orders, seed=seed)
        self.stdout.write(self.style.SUCCESS(f"Demo store ready in {time.monotonic() - started:.1f} s: {DEMO_URL}"))
        self.stdout.write(f"Logins (password {DEMO_PASSWORD}):")
        for member in DEMO_STAFF:
            name = display_name(username=member.username, first_name=member.first_name, last_name=member.last_name)
            self.stdout.write(f"  {member.username:<12} {name:<5} {member.role}")

    def seed(self, *, now, orders: int, seed: int) -> None:
        for path in STEPS:
            step = import_string(path)
            step_started = time.monotonic()
            # The sweeps' patch is outermost: the step's on-commit hooks run after its transaction.
            with work_left_to_the_sweeps(), transaction.atomic(), store_settings_scope():
                created = call_step(step, now=now, rng_seed=seed, orders=orders) or {}
            summary = ", ".join(f"{name} +{count}" for name, count in created.items()) or "nothing new"
            self.stdout.write(f"{path}: {summary} ({time.monotonic() - step_started:.1f} s)")
