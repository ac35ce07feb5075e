"""What every desk does the same way, declared once (backoffice/desk): priority, release, the SLA countdown."""

import datetime as dt
from dataclasses import replace

import pytest
from django.urls import reverse
from django.utils import timezone

from aftersales.desk import DESK
from backoffice.models import Case, CaseEvent, EventType, Priority, Status
from logistics.desk import DESK as LOGISTICS_DESK
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

# desk → (its case page, its case-action URL, the case's factory traits, who works it)
DESKS = {
    "aftersales": ("aftersales:case", "aftersales:case_action", {}, "agent"),
    "logistics": ("logistics:case", "logistics:case_action", {"logistics": True}, "agent"),
    "callback": ("surveys:callback", "surveys:callback_action", {"callback": True}, "supervisor"),
}


def _in_two_hours() -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=2)


@pytest.fixture
def worker(request):
    def client_for(role: str):
        return request.getfixturevalue(f"{role}_client")

    return client_for


@pytest.mark.parametrize("desk", list(DESKS))
def test_the_desks_people_set_a_cases_priority_and_it_is_on_the_timeline(worker, desk):
    _page, action, traits, role = DESKS[desk]
    case = CaseFactory(**traits, priority=Priority.NORMAL)

    response = worker(role).post(reverse(action, args=[case.number, "priority"]), {"priority": Priority.URGENT})

    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).priority == Priority.URGENT
    event = CaseEvent.objects.get(case=case, type=EventType.CASE_PRIORITY)
    assert (event.before, event.after) == ({"priority": Priority.NORMAL}, {"priority": Priority.URGENT})


@pytest.mark.parametrize("desk", list(DESKS))
def test_a_priority_that_does_not_exist_changes_nothing(worker, desk):
    _page, action, traits, role = DESKS[desk]
    case = CaseFactory(**traits, priority=Priority.NORMAL)

    worker(role).post(reverse(action, args=[case.number, "priority"]), {"priority": "99"})

    assert Case.objects.get(pk=case.pk).priority == Priority.NORMAL
    assert not CaseEvent.objects.filter(case=case, type=EventType.CASE_PRIORITY).exists()


@pytest.mark.parametrize("desk", list(DESKS))
def test_every_case_page_has_the_sla_countdown_release_and_priority(worker, request, desk):
    page, _action, traits, role = DESKS[desk]
    me = request.getfixturevalue(role)
    case = CaseFactory(**traits, assignee=me, status=Status.IN_PROGRESS, due_at=_in_two_hours())

    html = worker(role).get(reverse(page, args=[case.number])).text

    assert f'data-countdown="{case.due_at.isoformat()}"' in html
    assert f'hx-post="{reverse(page, args=[case.number])}release/"' in html
    assert 'data-testid="priority"' in html


@pytest.mark.parametrize("desk", list(DESKS))
def test_every_queue_row_counts_down_its_sla(worker, desk):
    _page, _action, traits, role = DESKS[desk]
    case = CaseFactory(**traits, due_at=_in_two_hours())
    queue = {"aftersales": "aftersales:queue", "logistics": "logistics:queue"}.get(desk, "surveys:callback_queue")

    html = worker("supervisor").get(reverse(queue, args=["unassigned"])).text

    assert f'data-countdown="{case.due_at.isoformat()}"' in html


def test_a_desk_whose_access_names_an_action_it_does_not_handle_is_refused_at_start():
    with pytest.raises(ValueError, match="have no handler"):
        replace(DESK, actions={name: run for name, run in DESK.actions.items() if name != "compensate"})
    with pytest.raises(ValueError, match="not in its access declaration"):
        replace(DESK, actions=DESK.actions | {"refund_twice": DESK.actions["compensate"]})


def test_the_call_back_desk_counts_its_own_queues_for_its_top_bar(supervisor_client, agent_client, supervisor):
    CaseFactory(callback=True)
    CaseFactory(callback=True, assignee=supervisor, status=Status.IN_PROGRESS)
    CaseFactory()  # an after-sales case is not counted here

    response = supervisor_client.get(reverse("surveys:nav_counts"))
    page = supervisor_client.get(reverse("surveys:callback_queue", args=["mine"])).text

    assert (response.context["counts"]["mine"], response.context["counts"]["unassigned"]) == (1, 1)
    assert f'href="{reverse("surveys:callback_queue", args=["unassigned"])}"' in response.text
    assert f'hx-get="{reverse("surveys:nav_counts")}"' in page
    assert agent_client.get(reverse("surveys:nav_counts")).status_code == 403


@pytest.mark.parametrize("desk", ["aftersales", "logistics"])
def test_a_column_hidden_in_one_table_stays_in_the_next(desk):
    """Each table gets its own copies of the class's columns (shallow copies: backoffice.desk.tables)."""
    declaration = DESK if desk == "aftersales" else LOGISTICS_DESK
    first = declaration.table(Case.objects.none(), desk=declaration)
    first.columns.hide("number")
    second = declaration.table(Case.objects.none(), desk=declaration)

    assert "number" not in [column.name for column in first.columns]
    assert "number" in [column.name for column in second.columns]
    assert declaration.table.base_columns["number"].visible
