import pytest

from backoffice.cases import services as casework
from backoffice.errors import DomainError
from backoffice.models import Case, CaseEvent, CaseKind, Desk, EventType, Status


@pytest.fixture
def case(order, agent):
    return casework.open_case(desk=Desk.AFTERSALES, kind=CaseKind.INQUIRY, customer=order.customer, order=order)


def test_case_number_is_readable_and_counts_per_day(order):
    first = casework.open_case(desk=Desk.AFTERSALES, kind=CaseKind.INQUIRY, customer=order.customer)
    second = casework.open_case(desk=Desk.LOGISTICS, kind=CaseKind.STALLED, customer=order.customer)
    third = casework.open_case(desk=Desk.AFTERSALES, kind=CaseKind.INQUIRY, customer=order.customer)
    assert first.number.startswith("AS-") and first.number.endswith("-0001")
    assert second.number.startswith("LG-") and second.number.endswith("-0001")
    assert third.number.endswith("-0002")


def test_every_button_is_an_allowed_transition():
    for action in casework.ACTIONS:
        for source in action.sources:
            assert action.target in casework.TRANSITIONS[source], (action.name, source)


def test_allowed_path_new_to_closed_and_reopen(case, agent):
    for target in (Status.IN_PROGRESS, Status.WAITING, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED):
        casework.transition_case(case=case, to=target, actor=agent)
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.closed_at is not None
    casework.transition_case(case=case, to=Status.IN_PROGRESS, actor=agent)
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and case.closed_at is None


def test_invalid_transition_is_refused_with_a_clear_message(case, agent):
    casework.transition_case(case=case, to=Status.CLOSED, actor=agent)
    with pytest.raises(DomainError) as error:
        casework.transition_case(case=case, to=Status.WAITING, actor=agent)
    assert "cannot become" in str(error.value) or "不能" in str(error.value)
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED


def test_stale_copy_loses_the_race(case, agent, agent2):
    stale = Case.objects.get(pk=case.pk)
    casework.transition_case(case=case, to=Status.RESOLVED, actor=agent)
    with pytest.raises(DomainError):
        casework.transition_case(case=stale, to=Status.WAITING, actor=agent2)
    assert Case.objects.get(pk=case.pk).status == Status.RESOLVED


def test_transition_is_recorded_with_actor_and_before_after(case, agent):
    casework.transition_case(case=case, to=Status.WAITING, actor=agent)
    event = CaseEvent.objects.filter(case=case, type=EventType.CASE_STATUS).get()
    assert event.actor == agent
    assert event.before == {"status": "new"} and event.after == {"status": "waiting"}


def test_buttons_follow_the_state(case, agent):
    names = {a.name for a in casework.available_actions(case)}
    assert "reopen" not in names and "close" in names
    casework.transition_case(case=case, to=Status.CLOSED, actor=agent)
    assert [a.name for a in casework.available_actions(case)] == ["reopen"]


def test_assign_release_and_claim_are_audited(case, agent, agent2, supervisor):
    casework.assign_case(case=case, assignee=agent, actor=supervisor)
    with pytest.raises(DomainError):
        casework.release_case(case=case, agent=agent2)
    casework.release_case(case=case, agent=agent)
    casework.claim_case(case=case, agent=agent2)
    types = list(CaseEvent.objects.filter(case=case).values_list("type", flat=True))
    assert types[-3:] == [EventType.CASE_ASSIGNED, EventType.CASE_RELEASED, EventType.CASE_CLAIMED]
    case.refresh_from_db()
    assert case.assignee == agent2 and case.status == Status.IN_PROGRESS


def test_claiming_a_taken_case_is_refused(case, agent, agent2):
    casework.claim_case(case=case, agent=agent)
    stale = Case.objects.get(pk=case.pk)
    stale.assignee = None
    with pytest.raises(DomainError):
        casework.claim_case(case=stale, agent=agent2)
    assert Case.objects.get(pk=case.pk).assignee == agent
