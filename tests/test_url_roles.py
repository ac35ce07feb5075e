"""Every URL of the URL conf answers only the roles allowed to use it, for GET and for POST.

`URL_ROLES` below is the one declaration of who may use what, written out here and not read from the code under test.
A URL added to the URL conf without a line here fails `test_every_url_is_declared`. For each URL, each person outside
its roles gets a 403 (a 405 for a method the view does not take; anonymous visitors the login page; a token view a
401) and nothing is written; each person inside its roles is not refused.
"""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from backoffice.models import ImportJob, Notification, OutboundMessage
from backoffice.platform.importing import jobs
from quality import services as quality
from surveys.models import Survey
from tests.factories import (
    AgentFactory,
    CaseFactory,
    IntegrationFactory,
    OutboundMessageFactory,
    StoreAdminFactory,
    SupervisorFactory,
    UserFactory,
)
from tests.importing.conftest import fixture

ANONYMOUS, NO_ROLE, AGENT, SUPERVISOR, STORE_ADMIN = "anonymous", "no_role", "agent", "supervisor", "store_admin"
PEOPLE = (ANONYMOUS, NO_ROLE, AGENT, SUPERVISOR, STORE_ADMIN)

PUBLIC = frozenset(PEOPLE)
LOGGED_IN = frozenset({NO_ROLE, AGENT, SUPERVISOR, STORE_ADMIN})
AGENTS = frozenset({AGENT, SUPERVISOR, STORE_ADMIN})  # a supervisor can do an agent's work; a store admin anything
SUPERVISORS = frozenset({SUPERVISOR, STORE_ADMIN})
STORE_ADMINS = frozenset({STORE_ADMIN})
TOKEN = frozenset()  # the gateway's API: an integration token, never a login

URL_ROLES: dict[str, frozenset[str]] = {
    "home": LOGGED_IN,
    "login": PUBLIC,
    "logout": LOGGED_IN,
    "set_language": PUBLIC,
    "healthz": PUBLIC,
    "survey_public:answer": PUBLIC,
    "api_messages": TOKEN,
    "api_applications": TOKEN,
    "toggle_duty": AGENTS,
    "notification_read": AGENTS,
    "case_by_number": AGENTS,
    "case_phrases": AGENTS,
    "case_live": AGENTS,
    "aftersales:queue": AGENTS,
    "aftersales:queue_live": AGENTS,
    "aftersales:nav_counts": AGENTS,
    "aftersales:take_next": AGENTS,
    "aftersales:new_case": AGENTS,
    "aftersales:case": AGENTS,
    "aftersales:case_action": AGENTS,
    "aftersales:check_payout": AGENTS,
    "logistics:queue": AGENTS,
    "logistics:queue_live": AGENTS,
    "logistics:nav_counts": AGENTS,
    "logistics:take_next": AGENTS,
    "logistics:report_out_of_stock": AGENTS,
    "logistics:run_detection": SUPERVISORS,
    "logistics:case": AGENTS,
    "logistics:case_action": AGENTS,
    "followups:results": SUPERVISORS,
    "followups:outbox": SUPERVISORS,
    "followups:retry_all": SUPERVISORS,
    "followups:retry": SUPERVISORS,
    "surveys:callbacks": SUPERVISORS,
    "surveys:take_next": SUPERVISORS,
    "surveys:nav_counts": SUPERVISORS,
    "surveys:callback_queue": SUPERVISORS,
    "surveys:callback_queue_live": SUPERVISORS,
    "surveys:callback": SUPERVISORS,
    "surveys:callback_action": SUPERVISORS,
    "surveys:results": SUPERVISORS,
    "supervisor:dashboard": SUPERVISORS,
    "supervisor:bulk_assign": SUPERVISORS,
    "supervisor:audit": SUPERVISORS,
    "supervisor:audit_csv": SUPERVISORS,
    "supervisor:reports": SUPERVISORS,
    "supervisor:report_csv": SUPERVISORS,
    "quality:queue": SUPERVISORS,
    "quality:add_case": SUPERVISORS,
    "quality:draw": SUPERVISORS,
    "quality:reviews": SUPERVISORS,
    "quality:review": SUPERVISORS,
    "quality:resolve": SUPERVISORS,
    "quality:reports": SUPERVISORS,
    "quality:report_csv": SUPERVISORS,
    "quality:mine": AGENTS,
    "quality:my_review": AGENTS,
    "quality:check_phrases": AGENTS,
    "imports:jobs": SUPERVISORS,
    "imports:job": SUPERVISORS,
    "imports:run": SUPERVISORS,
    "imports:resume": SUPERVISORS,
}
# Django admin: every one of its views asks StoreAdminSite.has_permission (store admins only) and sends anyone else
# to its own login page. The walk checks its index and every model's list page.
ADMIN = "admin:"

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def all_url_names() -> dict[str, URLPattern]:
    """Every named URL pattern of the root URL conf, walked recursively, by its namespaced name."""

    def walk(patterns, namespace: str):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}{pattern.name}", pattern

    return dict(walk(get_resolver().url_patterns, ""))


def test_every_url_is_declared():
    names = all_url_names()
    missing = sorted(name for name in names if not name.startswith(ADMIN) and name not in URL_ROLES)
    assert not missing, f"declare who may use these URLs in URL_ROLES of {__file__}: {missing}"
    gone = sorted(set(URL_ROLES) - set(names))
    assert not gone, f"URL_ROLES names URLs that no longer exist: {gone}"


@pytest.fixture(autouse=True)
def _own_cache(own_cache):
    """The public survey page's rate limit counts in the cache: each test starts with an empty one of its own."""


@pytest.fixture
def world(db):
    """One of each person, and an object of the right kind for every URL that names one."""
    people = {
        NO_ROLE: UserFactory(username="nobody"),
        AGENT: AgentFactory(username="agent"),
        SUPERVISOR: SupervisorFactory(username="supervisor"),
        STORE_ADMIN: StoreAdminFactory(username="storeadmin"),
    }
    aftersales = CaseFactory()
    logistics = CaseFactory(logistics=True)
    callback = CaseFactory(callback=True)
    closed = CaseFactory(status="closed", assignee=people[AGENT])
    review = quality.add_case(case=closed, actor=people[SUPERVISOR])
    failed = OutboundMessageFactory(state=OutboundMessage.State.FAILED, attempts=5)
    notice = Notification.objects.create(
        recipient=people[AGENT], case=aftersales, kind=Notification.Kind.PLATFORM_INTERVENED, body="x"
    )
    job = jobs.create_job(source=fixture("orders_gbk.csv"), original_name="orders.csv")
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.CHECKED, preview={"create": 2, "update": 0, "unchanged": 0, "reject": 0}
    )
    survey = Survey.objects.create(case=closed, delivery="message", token_hash="0" * 64)
    token = "url-walk-integration-token"
    IntegrationFactory(token=token)
    kwargs = {
        "aftersales:queue": {"queue": "mine"},
        "logistics:queue": {"queue": "mine"},
        "surveys:callback_queue": {"queue": "unassigned"},
        "aftersales:queue_live": {"queue": "mine"},
        "logistics:queue_live": {"queue": "mine"},
        "surveys:callback_queue_live": {"queue": "unassigned"},
        "aftersales:case": {"number": aftersales.number},
        "aftersales:case_action": {"number": aftersales.number, "action": "note"},
        "aftersales:check_payout": {"number": aftersales.number, "action": "approve_refund"},
        "logistics:case": {"number": logistics.number},
        "logistics:case_action": {"number": logistics.number, "action": "note"},
        "surveys:callback": {"number": callback.number},
        "surveys:callback_action": {"number": callback.number, "action": "note"},
        "case_by_number": {"number": aftersales.number},
        "case_phrases": {"number": aftersales.number},
        "case_live": {"number": aftersales.number},
        "notification_read": {"pk": notice.pk},
        "followups:retry": {"pk": failed.pk},
        "quality:review": {"pk": review.pk},
        "quality:resolve": {"pk": review.pk},
        "quality:my_review": {"pk": review.pk},
        "quality:report_csv": {"report": "qa-weekly"},
        "supervisor:report_csv": {"report": "reasons"},
        "imports:job": {"pk": job.pk},
        "imports:run": {"pk": job.pk},
        "imports:resume": {"pk": job.pk},
        "survey_public:answer": {"token": "not-a-real-token-but-well-formed"},
    }
    assert survey.pk
    clients = {ANONYMOUS: Client()}
    for role, user in people.items():
        clients[role] = Client()
        clients[role].force_login(user)
    return {"clients": clients, "people": people, "kwargs": kwargs, "token": token}


def _is_login_redirect(response, admin: bool) -> bool:
    logins = {reverse(settings.LOGIN_URL)} | ({reverse("admin:login")} if admin else set())
    return response.status_code == 302 and response["Location"].split("?")[0] in logins


def _request(client, method: str, url: str, **extra):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra) if method == "GET" else client.post(url, **extra)
    writes = [q["sql"] for q in queries.captured_queries if WRITE.match(q["sql"])]
    return response, writes


def _urls(world) -> list[tuple[str, str, frozenset[str]]]:
    """(name, url, allowed roles) of every URL the walk opens."""
    walked = []
    for name in sorted(all_url_names()):
        if name.startswith(ADMIN):
            # The index and every model's list: the site-wide gate, without walking every add and change form.
            if name != "admin:index" and not name.endswith("_changelist"):
                continue
            walked.append((name, reverse(name), STORE_ADMINS))
            continue
        walked.append((name, reverse(name, kwargs=world["kwargs"].get(name, {})), URL_ROLES[name]))
    # Logging out ends the session the rest of the walk uses: last.
    return sorted(walked, key=lambda row: row[0] == "logout")


def test_every_url_refuses_the_roles_it_does_not_serve_and_writes_nothing(world):
    problems = []
    for name, url, allowed in _urls(world):
        admin = name.startswith(ADMIN)
        for role in PEOPLE:
            if role in allowed:
                continue
            client = world["clients"][role]
            statuses = {}
            for method in ("GET", "POST"):
                response, writes = _request(client, method, url)
                statuses[method] = response.status_code
                if writes:
                    problems.append(f"{method} {name} as {role} wrote: {writes[0][:120]}")
                if allowed is TOKEN:
                    ok = response.status_code in (401, 405)
                elif role == ANONYMOUS:
                    ok = _is_login_redirect(response, admin)
                elif admin:
                    ok = _is_login_redirect(response, admin) or response.status_code == 403
                else:
                    ok = response.status_code in (403, 405)
                if not ok:
                    problems.append(f"{method} {name} as {role}: {response.status_code}, expected a refusal")
            if role not in (ANONYMOUS,) and not admin and allowed is not TOKEN and 403 not in statuses.values():
                problems.append(f"{name} as {role}: no method answered 403 ({statuses})")
    assert not problems, "\n".join(problems)


def test_every_url_serves_the_roles_it_is_for(world):
    problems = []
    for name, url, allowed in _urls(world):
        admin = name.startswith(ADMIN)
        if admin and name != "admin:index":
            continue  # the admin's own model permissions decide the rest
        for role in sorted(allowed):
            client = world["clients"][role]
            for method in ("GET", "POST"):
                response, _writes = _request(client, method, url)
                refused = response.status_code in (401, 403) or _is_login_redirect(response, admin)
                if refused and not (name == "logout" and method == "POST"):  # logging out goes to the login page
                    problems.append(f"{method} {name} as {role}: refused ({response.status_code})")
            if name == "logout":
                client.force_login(world["people"][role]) if role != ANONYMOUS else None
    # The gateway's token opens the API (an empty body is a 400, not a refusal).
    for name in ("api_messages", "api_applications"):
        response = Client().post(
            reverse(name), data="{}", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {world['token']}"
        )
        if response.status_code in (401, 403):
            problems.append(f"POST {name} with a valid token: refused ({response.status_code})")
    assert not problems, "\n".join(problems)
