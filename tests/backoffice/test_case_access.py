"""Every case URL belongs to one desk and one set of roles.

The walk resolves every URL of the URL conf that names a case number, opens it (GET and POST, with every action name
any desk accepts) with a case of each desk as each kind of person, and checks that a case of another desk, or a person
whose role may not do it, gets a 404 or 403 (anonymous visitors: the login page) and that nothing changed.
"""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from backoffice.cases import services as casework
from backoffice.cases.access import DESKS, get_case_for
from backoffice.models import Case, CaseEvent, CaseKind, Coupon, Desk, OutboundMessage, Status
from backoffice.payouts.models import Payout
from logistics.models import CourierContact, OutOfStockOffer
from logistics.services import STALLED_NOTICE
from surveys import services as survey_services
from surveys.models import CallAttempt, CallBack, Survey, SurveyReason
from tests.factories import CaseFactory, SupervisorFactory, UserFactory, zto

pytestmark = pytest.mark.django_db

AGENT, SUPERVISOR, STORE_ADMIN, NO_ROLE, ANONYMOUS = "agent", "supervisor", "store_admin", "no_role", "anonymous"
ROLES = [AGENT, SUPERVISOR, STORE_ADMIN, NO_ROLE, ANONYMOUS]

# Who may open each desk's cases: written out here, not read from the code under test.
DESK_PEOPLE = {
    Desk.AFTERSALES: {AGENT, SUPERVISOR, STORE_ADMIN},
    Desk.LOGISTICS: {AGENT, SUPERVISOR, STORE_ADMIN},
    Desk.CALLBACK: {SUPERVISOR, STORE_ADMIN},
}
SUPERVISOR_ONLY_ACTIONS = {"assign"}

# Every URL that names a case, with the desk it serves (None: any desk, found by the number) and the method it answers.
CASE_URLS = {
    "aftersales:case": (Desk.AFTERSALES, "GET"),
    "aftersales:case_action": (Desk.AFTERSALES, "POST"),
    "aftersales:check_payout": (Desk.AFTERSALES, "GET"),
    "logistics:case": (Desk.LOGISTICS, "GET"),
    "logistics:case_action": (Desk.LOGISTICS, "POST"),
    "surveys:callback": (Desk.CALLBACK, "GET"),
    "surveys:callback_action": (Desk.CALLBACK, "POST"),
    "case_by_number": (None, "GET"),
    "case_phrases": (None, "GET"),
    "case_live": (None, "GET"),
}

# Every action name any desk has, the pseudo-actions of the access declaration, and names no desk has.
ALL_ACTIONS = sorted(
    set().union(*(access.actions for access in DESKS.values()))
    | {"view", "work", "supervise", "refund", "delete", "drop"}
)


def case_url_names() -> set[str]:
    """The names of all URL patterns whose route takes a case number, walked from the root URL conf."""

    def walk(patterns, namespace: str):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and "number" in pattern.pattern.converters:
                yield f"{namespace}{pattern.name}"

    return set(walk(get_resolver().url_patterns, ""))


def urls_for(name: str, number: str) -> list[tuple[str, str | None]]:
    if name.endswith("_action") or name == "aftersales:check_payout":  # a case number and an action
        return [(reverse(name, args=[number, action]), action) for action in ALL_ACTIONS]
    return [(reverse(name, args=[number]), None)]


@pytest.fixture
def cases(agent) -> dict[str, Case]:
    """A case of each desk, open and unassigned: an after-sales refund, a stalled parcel, a call-back with its survey."""
    aftersales = CaseFactory()
    logistics = CaseFactory(logistics=True)
    surveyed = CaseFactory(assignee=agent, status=Status.RESOLVED)
    casework.transition_case(case=surveyed, to=Status.CLOSED, actor=agent, note="已处理")
    survey = Survey.objects.get(case=surveyed)
    survey_services.answer_survey(
        survey=survey, answer="dissatisfied", reasons=[SurveyReason.objects.first()], comment="退款太慢了"
    )
    callback = CallBack.objects.select_related("case").get(survey=survey).case
    return {Desk.AFTERSALES: aftersales, Desk.LOGISTICS: logistics, Desk.CALLBACK: callback}


@pytest.fixture
def people(agent, agent2, supervisor, store_admin) -> dict[str, Client]:
    clients = {ANONYMOUS: Client()}
    for role, user in ((AGENT, agent), (SUPERVISOR, supervisor), (STORE_ADMIN, store_admin), (NO_ROLE, UserFactory())):
        clients[role] = Client()
        clients[role].force_login(user)
    return clients


@pytest.fixture
def action_form(agent2) -> dict:
    """One POST body that every action's form accepts, so a missing check would really change something."""
    later = timezone.localtime() + dt.timedelta(days=1)
    return {
        "body": "您好，已为您处理",
        "note": "内部备注",
        "assignee": agent2.pk,
        "amount": "5",
        "reason": "不符合退款条件",
        "revised": "1",
        "courier": zto().pk,
        "channel": "phone",
        "contact": "95311",
        "result": "已催促",
        "next_check_at": later.strftime("%Y-%m-%dT%H:%M"),
        "template": STALLED_NOTICE,
        "choice": "refund",
        "at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "state": "in_transit",
        "description": "到达中转站",
        "outcome": "other",
        "reached": "1",
        "category": SurveyReason.objects.first().pk,
        "notes": "客户接受道歉",
        "coupon": "10",
        "new_case_kind": CaseKind.REFUND,
        "close": "on",
    }


WRITTEN_BY_ACTIONS = [CaseEvent, OutboundMessage, Coupon, Payout, CallAttempt, CourierContact, OutOfStockOffer]


def snapshot() -> tuple:
    """Everything an action could change: the timeline, messages, money, coupons, calls, and every case's state."""
    tables = [model._meta.db_table for model in WRITTEN_BY_ACTIONS]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(f"SELECT COUNT(*) FROM {table}" for table in tables))  # noqa: S608
        written = [row[0] for row in cursor.fetchall()]
    cases = Case.objects.order_by("pk").values_list("pk", "status", "assignee_id", "priority", "due_at", "updated_at")
    return written, list(cases)


def refused(role: str, response) -> bool:
    if role == ANONYMOUS:
        return response.status_code == 302 and response["Location"].startswith(reverse("login"))
    return response.status_code in (403, 404)


def test_every_url_that_names_a_case_is_in_the_walk():
    # A new case URL must be added to CASE_URLS, and so to the walk below.
    assert case_url_names() == set(CASE_URLS)


@pytest.mark.parametrize("role", ROLES)
def test_no_case_url_serves_a_case_of_another_desk_or_a_role_that_may_not(role, people, cases, action_form):
    client = people[role]
    failures = []
    state = snapshot()
    for name, (url_desk, method) in CASE_URLS.items():
        for case in cases.values():
            may_open = role in DESK_PEOPLE[case.desk]
            for url, action in urls_for(name, case.number):
                for asked in ("GET", "POST"):
                    if asked != method and role != ANONYMOUS:
                        expected = "405"  # the other method is never served, whatever the case
                    elif (
                        url_desk not in (None, case.desk)
                        or not may_open
                        or role == ANONYMOUS
                        or action in SUPERVISOR_ONLY_ACTIONS
                        and role == AGENT
                    ):
                        expected = "refused"
                    elif action is not None and action not in DESKS[case.desk].actions and action != "view":
                        expected = "refused"  # an action this desk does not have
                    else:
                        continue  # the right desk and role: the positive tests below
                    response = client.post(url, action_form) if asked == "POST" else client.get(url)
                    ok = response.status_code == 405 if expected == "405" else refused(role, response)
                    after = snapshot()  # the state before the next request
                    if not ok or after != state:
                        failures.append(f"{asked} {url} ({case.desk} case) -> {response.status_code}")
                    state = after
    assert not failures, "\n".join(failures)


# --- the right desk and role still work -------------------------------------------------------------------------


def test_get_case_for_refuses_a_case_of_another_desk(agent, cases):
    with pytest.raises(Http404):
        get_case_for(agent, Desk.AFTERSALES, cases[Desk.LOGISTICS].number)


def test_get_case_for_refuses_an_agent_on_the_call_back_desk(agent, cases):
    with pytest.raises(PermissionDenied):
        get_case_for(agent, Desk.CALLBACK, cases[Desk.CALLBACK].number)


def test_get_case_for_refuses_an_agent_assigning(agent, cases):
    with pytest.raises(PermissionDenied):
        get_case_for(agent, Desk.AFTERSALES, cases[Desk.AFTERSALES].number, "assign")


def test_get_case_for_gives_a_supervisor_the_case_to_assign(supervisor, cases):
    case = cases[Desk.LOGISTICS]

    assert get_case_for(supervisor, Desk.LOGISTICS, case.number, "assign") == case


@pytest.mark.parametrize(
    ("role", "desk", "view"),
    [
        (AGENT, Desk.AFTERSALES, "aftersales:case"),
        (AGENT, Desk.LOGISTICS, "logistics:case"),
        (SUPERVISOR, Desk.AFTERSALES, "aftersales:case"),
        (SUPERVISOR, Desk.CALLBACK, "surveys:callback"),
        (STORE_ADMIN, Desk.LOGISTICS, "logistics:case"),
        (STORE_ADMIN, Desk.CALLBACK, "surveys:callback"),
    ],
)
def test_the_desks_people_open_its_case_page_and_find_it_by_number(people, cases, role, desk, view):
    client, number = people[role], cases[desk].number

    assert client.get(reverse(view, args=[number])).status_code == 200
    assert client.get(reverse("case_by_number", args=[number]))["Location"] == reverse(view, args=[number])
    assert client.get(reverse("case_phrases", args=[number])).status_code == 200
    assert client.get(reverse("case_live", args=[number])).status_code == 200


@pytest.mark.parametrize(
    ("role", "desk", "view"),
    [
        (AGENT, Desk.AFTERSALES, "aftersales:case_action"),
        (AGENT, Desk.LOGISTICS, "logistics:case_action"),
        (SUPERVISOR, Desk.CALLBACK, "surveys:callback_action"),
    ],
)
def test_an_agent_or_supervisor_replies_on_their_desk(people, cases, role, desk, view):
    case = cases[desk]
    sent = OutboundMessage.objects.filter(case=case).count()

    response = people[role].post(reverse(view, args=[case.number, "reply"]), {"body": "您好，马上为您处理"})

    assert response.status_code == 302
    assert OutboundMessage.objects.filter(case=case).count() == sent + 1


def test_an_agent_pays_compensation_on_an_after_sales_case(people, cases):
    case = cases[Desk.AFTERSALES]

    people[AGENT].post(reverse("aftersales:case_action", args=[case.number, "compensate"]), {"amount": "5"})

    assert Payout.objects.filter(case=case, amount_fen=500).exists()


def test_a_supervisor_logs_a_call_back(people, cases):
    case = cases[Desk.CALLBACK]

    response = people[SUPERVISOR].post(
        reverse("surveys:callback_action", args=[case.number, "call"]),
        {"reached": "1", "category": SurveyReason.objects.first().pk, "notes": "已道歉"},
    )

    assert response.status_code == 302
    assert CallAttempt.objects.filter(callback__case=case).exists()


@pytest.mark.parametrize("desk", list(DESKS))
def test_a_supervisor_assigns_on_every_desk(people, cases, agent2, desk):
    case = cases[desk]
    view = {Desk.AFTERSALES: "aftersales:case_action", Desk.LOGISTICS: "logistics:case_action"}.get(
        desk, "surveys:callback_action"
    )
    # To someone who works the desk: an agent on the agents' desks, another supervisor on the call-backs.
    assignee = SupervisorFactory(username="colleague") if desk == Desk.CALLBACK else agent2

    people[SUPERVISOR].post(reverse(view, args=[case.number, "assign"]), {"assignee": assignee.pk})

    assert Case.objects.get(pk=case.pk).assignee == assignee


@pytest.mark.parametrize("desk", list(DESKS))
def test_every_declared_action_is_handled_by_its_desks_view(people, cases, action_form, desk):
    view = {Desk.AFTERSALES: "aftersales:case_action", Desk.LOGISTICS: "logistics:case_action"}.get(
        desk, "surveys:callback_action"
    )
    for action in sorted(DESKS[desk].actions):
        response = people[SUPERVISOR].post(reverse(view, args=[cases[desk].number, action]), action_form)
        # Handled: back to the case page (a refused rule is a message there), or the call form shown again.
        assert response.status_code in (302, 400), (action, response.status_code)


@pytest.mark.parametrize(
    ("role", "take_next", "status"),
    [
        (AGENT, "surveys:take_next", 403),
        (NO_ROLE, "aftersales:take_next", 403),
        (NO_ROLE, "logistics:take_next", 403),
    ],
)
def test_take_next_follows_the_desks_roles(people, cases, role, take_next, status):
    before = snapshot()

    assert people[role].post(reverse(take_next)).status_code == status
    assert snapshot() == before


@pytest.mark.parametrize(
    ("role", "desk", "take_next", "page"),
    [
        (AGENT, Desk.AFTERSALES, "aftersales:take_next", "aftersales:case"),
        (AGENT, Desk.LOGISTICS, "logistics:take_next", "logistics:case"),
        (SUPERVISOR, Desk.CALLBACK, "surveys:take_next", "surveys:callback"),
    ],
)
def test_take_next_opens_the_taken_case_on_its_own_desk(people, cases, role, desk, take_next, page):
    response = people[role].post(reverse(take_next))

    taken = Case.objects.get(pk=cases[desk].pk)
    assert response["Location"] == reverse(page, args=[taken.number])
    assert taken.assignee == response.wsgi_request.user


@pytest.mark.parametrize(
    ("role", "url"),
    [
        (AGENT, ("surveys:callback_queue", "mine")),
        (NO_ROLE, ("aftersales:queue", "mine")),
        (NO_ROLE, ("logistics:queue", "mine")),
        (NO_ROLE, ("aftersales:nav_counts", None)),
        (NO_ROLE, ("logistics:nav_counts", None)),
    ],
)
def test_queues_follow_the_desks_roles(people, role, url):
    name, queue = url

    response = people[role].get(reverse(name, args=[queue] if queue else []))

    assert response.status_code == 403


def test_an_agent_does_not_see_the_customers_call_back_among_earlier_cases(people, cases):
    callback = cases[Desk.CALLBACK]
    mine = CaseFactory(customer=callback.customer, order=callback.order)

    response = people[AGENT].get(reverse("aftersales:case", args=[mine.number]))

    shown = {case.number for case in response.context["earlier_cases"]}
    assert callback.number not in shown
    assert callback.number not in response.content.decode()
