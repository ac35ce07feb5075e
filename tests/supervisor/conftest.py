"""Fixtures for the supervisor desk: a fixed "now" (Wednesday 2026-11-25, Shanghai), and quick case/event makers."""

import datetime as dt

import pytest
import time_machine

from backoffice.models import CaseEvent, CaseKind, EventType, Reason, ResponseWait
from backoffice.supervisor.reports import Period
from tests.factories import CaseFactory, shanghai

# Wednesday; "last week" is Monday 2026-11-16 to Sunday 2026-11-22, the week before 11-09 to 11-15.
NOW = shanghai(2026, 11, 25, 10, 0)
LAST_WEEK = Period(dt.date(2026, 11, 16), dt.date(2026, 11, 22))


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def make_case(db):
    """make_case(at=shanghai(...), reason="size", kind="refund", order=..., **fields): one case, no timeline."""

    def make(*, at: dt.datetime, reason: str = Reason.SIZE, kind: str = CaseKind.REFUND, **fields):
        return CaseFactory(created_at=at, updated_at=at, reason=reason, kind=kind, **fields)

    return make


@pytest.fixture
def reply(db):
    """reply(agent, at, within=True): an agent's reply to a waiting customer, as reply_to_customer records it: the
    customer's wait it answered (R1, started 1 or 400 seconds before) and the reply event. within=None: a reply
    nobody was waiting for."""

    def make(actor, at: dt.datetime, within: bool | None = True, case=None):
        after = {} if within is None else {"waited_seconds": 60 if within else 400, "within_sla": within}
        if within is not None:
            case = case or CaseFactory(assignee=actor, status="closed", created_at=at, updated_at=at)
            started = at - dt.timedelta(seconds=after["waited_seconds"])
            due = started + dt.timedelta(minutes=3)
            ResponseWait.objects.create(
                case=case,
                started_at=started,
                due_at=due,
                window_due_at=due,
                answered_at=at,
                answered_by=actor,
                answer="reply",
            )
        return CaseEvent.objects.create(
            case=case, actor=actor, type=EventType.REPLY, at=at, body="亲，您好~", after=after
        )

    return make
