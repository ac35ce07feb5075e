"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Never downloads a browser: the whole folder skips when /usr/bin/chromium (apt package `chromium`) is missing.
"""

import os
import time
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test's thread; Django would then refuse ORM calls
# made by the test itself (creating users, reading rows back) as "async unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1440, "height": 900}


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests need the playwright Python package (pip install -e '.[dev]')"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _skip_reason()
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    """A fresh page in its own context (no cookies carried over), sized like an agent's screen."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    artifacts = os.environ.get("BROWSER_ARTIFACTS")
    report = getattr(request.node, "rep_call", None)
    if artifacts and report is not None and report.failed:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(artifacts) / f"{request.node.name}.png"), full_page=True)
    # The page's polls stop here; one it sent last may still be running in the live server's thread, which on SQLite
    # shares the test's connection, and the database is emptied right after this test: let that request finish.
    page.goto("about:blank")
    context.close()
    time.sleep(0.2)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Lets the page fixture see whether the test failed, to keep a screenshot (BROWSER_ARTIFACTS=dir).
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def login(page, live_server, username: str, password: str) -> None:
    """Log in through the real login form and wait until the app has redirected away from it."""
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form.auth-form button[type=submit]")


def make_staff(username: str, role: str, password: str = "correct-horse-battery", name: str = ""):
    """A user in one role group (the groups come from the post_migrate handler); `name` "王 小丽" is the family name,
    a space, and the given name."""
    from django.contrib.auth.models import Group, User

    last, _space, first = name.partition(" ")
    user = User.objects.create_user(username=username, password=password, first_name=first, last_name=last)
    user.groups.add(Group.objects.get(name=role))
    return user
