"""The Content-Security-Policy is on, and no page of the back office, Django admin or the survey breaks it."""

import pytest
from django.urls import reverse

from backoffice.models import Status, StoreSettings
from tests.factories import AgentFactory, CaseFactory
from tests.surveys.conftest import close, token_sent_for

from .conftest import login, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"

# Recorded before any page script runs (an init script is not subject to the page's policy).
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
// htmx refusing to evaluate an expression (hx-on, a trigger filter) is the same breakage, reported by htmx.
document.addEventListener("htmx:evalDisallowedError", (e) => {
  window.__cspViolations.push(`htmx eval refused on ${e.target && e.target.outerHTML.slice(0, 120)}`);
});
"""


@pytest.fixture
def watched(page):
    """The page, with every CSP violation it reports collected (event and console)."""
    page.add_init_script(LISTEN)
    console = []
    page.on(
        "console",
        lambda message: console.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.csp_console = console
    return page


def visit(page, url: str) -> list[str]:
    """Open the page, let htmx load what it loads, and return the violations it reported."""
    response = page.goto(url)
    # Every page opens for real (a 404 or a redirect would check another page), except the one meant to be missing.
    expected = 404 if url.endswith("/no-such-page/") else 200
    assert response is not None and response.status == expected, (url, response and response.status)
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy, (url, policy)
    page.wait_for_load_state("networkidle")
    return [*page.evaluate("window.__cspViolations"), *page.csp_console]


def test_the_policy_allows_no_inline_script_or_style(client, db):
    response = client.get("/login/")

    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


def test_no_page_of_the_desks_reports_a_violation(watched, live_server):
    admin = make_staff("admin_csp", "store_admin", PASSWORD)
    aftersales = CaseFactory()
    logistics = CaseFactory(logistics=True)
    callback = CaseFactory(callback=True)
    login(watched, live_server, "admin_csp", PASSWORD)
    paths = [
        reverse("aftersales:queue", args=["mine"]),
        reverse("aftersales:queue", args=["all"]),
        f"/cases/{aftersales.number}/",
        reverse("logistics:queue", args=["mine"]),
        f"/cases/{logistics.number}/",
        reverse("surveys:callbacks"),
        f"/cases/{callback.number}/",
        reverse("surveys:results"),
        reverse("supervisor:dashboard"),
        reverse("supervisor:reports"),
        reverse("supervisor:audit"),
        reverse("followups:results"),
        reverse("followups:outbox"),
        reverse("imports:jobs"),
        reverse("quality:queue"),
        reverse("quality:reviews"),
        reverse("quality:reports"),
        reverse("quality:mine"),
        "/no-such-page/",
        "/admin/",
        "/admin/backoffice/storesettings/",
        "/admin/axes/accessattempt/",
        "/admin/auth/user/add/",
        # Group and permission pickers (SelectFilter2), date and time widgets.
        f"/admin/auth/user/{admin.pk}/change/",
        # Business hours and holidays as inline rows, with the date widgets.
        reverse("admin:backoffice_storesettings_change", args=[StoreSettings.load().pk]),
    ]

    violations = {path: visit(watched, live_server.url + path) for path in paths}

    assert {path: found for path, found in violations.items() if found} == {}


def test_the_login_and_lockout_pages_report_no_violation(watched, live_server, settings):
    settings.AXES_FAILURE_LIMIT = 2
    make_staff("agent_csp", "agent", PASSWORD)

    assert visit(watched, f"{live_server.url}/login/") == []
    login(watched, live_server, "agent_csp", "wrong")
    login(watched, live_server, "agent_csp", "wrong")

    assert watched.locator("[data-testid=locked-out]").is_visible()
    assert [*watched.evaluate("window.__cspViolations"), *watched.csp_console] == []


def test_the_survey_on_a_phone_reports_no_violation(watched, live_server, own_cache):
    case = CaseFactory(status=Status.RESOLVED, assignee=AgentFactory())
    close(case)
    url = f"{live_server.url}/s/{token_sent_for(case)}/"

    assert visit(watched, url) == []
    watched.locator("label.answer-dissatisfied").click()
    watched.locator("form.survey-form button[type=submit]").click()
    watched.wait_for_load_state("networkidle")

    assert [*watched.evaluate("window.__cspViolations"), *watched.csp_console] == []


def test_sending_a_reply_from_a_grown_reply_box_reports_no_violation(watched, live_server):
    """The reply box grows with its text (a height set from the script); the panel drawn again after the reply must
    not carry that height over as a style attribute, which the policy refuses."""
    agent = make_staff("agent_reply_csp", "agent", PASSWORD)
    case = CaseFactory(assignee=agent, status=Status.IN_PROGRESS)
    login(watched, live_server, "agent_reply_csp", PASSWORD)
    assert visit(watched, f"{live_server.url}/cases/{case.number}/") == []

    box = watched.locator("textarea[name=body]").first
    box.fill("亲，您好\n已为您登记\n马上为您处理\n请稍等片刻~")
    with watched.expect_response(lambda response: response.request.method == "POST"):
        box.press("Control+Enter")
    watched.wait_for_load_state("networkidle")
    watched.wait_for_timeout(300)  # htmx settles the swapped panel after a short delay

    assert "请稍等片刻" in watched.locator(".timeline, #timeline").first.inner_text()
    assert [*watched.evaluate("window.__cspViolations"), *watched.csp_console] == []
