import datetime as dt
import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from aftersales import services
from backoffice.cases import services as casework
from backoffice.models import OPEN_STATUSES, Case, CaseEvent, CaseKind, Desk, EventType, Priority, Status
from tests.factories import CaseFactory


def open_inquiry(order, **kwargs):
    return casework.open_case(
        desk=Desk.AFTERSALES, kind=CaseKind.INQUIRY, customer=order.customer, order=order, **kwargs
    )


def test_take_next_gives_the_earliest_deadline_first(make_order, agent):
    now = timezone.now()
    later = open_inquiry(make_order(), resolve_due=now + dt.timedelta(hours=5))
    sooner = open_inquiry(make_order(), resolve_due=now + dt.timedelta(hours=1))
    open_inquiry(make_order())  # no deadline: last
    assert services.take_next_case(agent=agent, desk=Desk.AFTERSALES) == sooner
    assert services.take_next_case(agent=agent, desk=Desk.AFTERSALES) == later


def test_priority_breaks_a_tie(make_order, agent):
    due = timezone.now() + dt.timedelta(hours=2)
    open_inquiry(make_order(), resolve_due=due)
    urgent = open_inquiry(make_order(), resolve_due=due, priority=Priority.URGENT)
    assert services.take_next_case(agent=agent, desk=Desk.AFTERSALES) == urgent


def test_taken_case_is_assigned_and_in_progress(order, agent):
    open_inquiry(order)
    case = services.take_next_case(agent=agent, desk=Desk.AFTERSALES)
    assert case.assignee == agent and case.status == Status.IN_PROGRESS


def test_two_agents_in_turn_get_different_cases(make_order, agent, agent2):
    open_inquiry(make_order())
    open_inquiry(make_order())
    first = services.take_next_case(agent=agent, desk=Desk.AFTERSALES)
    second = services.take_next_case(agent=agent2, desk=Desk.AFTERSALES)
    assert first != second
    assert services.take_next_case(agent=agent, desk=Desk.AFTERSALES) is None


def test_other_desks_cases_are_not_taken(order, agent):
    casework.open_case(desk=Desk.LOGISTICS, kind=CaseKind.STALLED, customer=order.customer, order=order)
    assert services.take_next_case(agent=agent, desk=Desk.AFTERSALES) is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_take_next_never_gives_one_case_to_two_agents(make_order, django_user_model):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL): SQLite serialises every writer, so there is no race to test")
    agents = [django_user_model.objects.create_user(f"racer{i}") for i in range(8)]
    for _ in range(6):
        open_inquiry(make_order())
    barrier = threading.Barrier(len(agents))
    taken: list[int | None] = []
    errors: list[BaseException] = []

    def work(agent):
        try:
            barrier.wait()
            case = services.take_next_case(agent=agent, desk=Desk.AFTERSALES)
            taken.append(case.pk if case else None)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(a,)) for a in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    claimed = [pk for pk in taken if pk is not None]
    assert len(claimed) == len(set(claimed)) == 6
    assert taken.count(None) == 2
    assignees = dict(Case.objects.values_list("pk", "assignee_id"))
    assert len(set(assignees.values())) == 6


def _needs_postgresql():
    if not connection.features.has_select_for_update_skip_locked:
        pytest.skip("needs PostgreSQL (set DATABASE_URL): SQLite serialises every writer, so there is no race to test")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_agents_at_once_take_every_case_exactly_once_and_never_hear_the_queue_is_empty(django_user_model):
    _needs_postgresql()
    first = CaseFactory()
    waiting = [first, *CaseFactory.create_batch(299, customer=first.customer, order=first.order)]
    agents = [django_user_model.objects.create_user(f"crowd{i}") for i in range(20)]
    barrier = threading.Barrier(len(agents))
    taken: list[tuple[int, int]] = []
    false_empties: list[int] = []
    errors: list[BaseException] = []

    def work(agent):
        try:
            barrier.wait()
            while True:
                case = services.take_next_case(agent=agent, desk=Desk.AFTERSALES)
                if case is None:
                    left = Case.objects.filter(assignee__isnull=True, status__in=OPEN_STATUSES).count()
                    if left:
                        false_empties.append(left)
                    return
                taken.append((case.pk, agent.pk))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(a,)) for a in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert false_empties == []
    pks = [pk for pk, _agent in taken]
    assert sorted(pks) == sorted(case.pk for case in waiting)  # every case once, none twice
    assert dict(Case.objects.values_list("pk", "assignee_id")) == dict(taken)
    claims = CaseEvent.objects.filter(type=EventType.CASE_CLAIMED).values_list("case_id", flat=True)
    assert sorted(claims) == sorted(pks)
    assert len({agent for _pk, agent in taken}) > 1  # they really worked side by side


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_take_next_waits_for_a_case_held_by_another_write_rather_than_say_none_is_waiting(agent):
    _needs_postgresql()
    case = CaseFactory()
    held, release = threading.Event(), threading.Event()

    def edit_the_case_slowly():
        try:
            with transaction.atomic():
                Case.objects.filter(pk=case.pk).update(subject="客户补充了照片")
                held.set()
                release.wait(timeout=10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=edit_the_case_slowly)
    holder.start()
    assert held.wait(timeout=10)
    threading.Timer(0.3, release.set).start()

    taken = services.take_next_case(agent=agent, desk=Desk.AFTERSALES)

    holder.join(timeout=10)
    assert taken == case and taken.assignee == agent and taken.subject == "客户补充了照片"
