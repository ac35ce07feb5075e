"""Login lock-out: wrong passwords lock the username and the address for a while; a store admin lifts it; audited."""

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from backoffice.models import CaseEvent, EventType
from tests.factories import PASSWORD, AgentFactory, StoreAdminFactory, SupervisorFactory

LOGIN = "/login/"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture
def wang(db):
    return AgentFactory(username="wang")


def fail(client: Client, username: str, times: int, *, path: str = LOGIN, **extra) -> list[int]:
    return [
        client.post(path, {"username": username, "password": "wrong-password"}, **extra).status_code
        for _ in range(times)
    ]


def log_in(client: Client, username: str, *, path: str = LOGIN, **extra):
    return client.post(path, {"username": username, "password": PASSWORD}, **extra)


def test_five_wrong_passwords_lock_the_login_and_the_right_one_is_then_refused_with_the_message(
    client, wang, in_english
):
    statuses = fail(client, "wang", 5)

    assert statuses == [200, 200, 200, 200, 429]
    in_english(client)
    with translation.override("en"):
        response = log_in(client, "wang")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins." in page
    assert "locked for 15 minutes" in page
    assert "_auth_user_id" not in client.session


def test_four_wrong_passwords_do_not_lock(client, wang):
    fail(client, "wang", 4)

    response = log_in(client, "wang")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(wang.pk)


def test_a_successful_login_clears_the_users_own_failures(client, wang):
    fail(client, "wang", 4)
    assert log_in(client, "wang").status_code == 302
    client.logout()

    assert fail(client, "wang", 4) == [200, 200, 200, 200]


def test_logging_in_to_ones_own_account_does_not_reset_the_guesses_from_that_address(client, wang):
    mallory = AgentFactory(username="mallory")
    for name in ["a", "b", "c", "d"]:
        fail(client, name, 1)
    assert log_in(client, mallory.username).status_code == 302
    client.logout()

    assert fail(client, "e", 1) == [429]


def test_the_limit_is_a_setting(client, wang, settings):
    settings.AXES_FAILURE_LIMIT = 2

    assert fail(client, "wang", 2) == [200, 429]


def test_a_locked_username_is_refused_from_another_address_too(client, wang):
    fail(client, "wang", 5, REMOTE_ADDR="10.0.0.1")

    assert log_in(client, "wang", REMOTE_ADDR="10.0.0.2").status_code == 429


def test_an_address_that_failed_too_often_is_locked_for_every_username(client, wang):
    other = AgentFactory(username="li")
    for name in ["a", "b", "c", "d", "e"]:
        fail(client, name, 1, REMOTE_ADDR="10.0.0.9")

    assert log_in(client, other.username, REMOTE_ADDR="10.0.0.9").status_code == 429
    # Another computer is not affected.
    assert log_in(client, other.username, REMOTE_ADDR="10.0.0.10").status_code == 302


def test_the_lock_ends_after_the_cooloff(client, wang):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        fail(client, "wang", 5)
        traveller.shift(dt.timedelta(minutes=14))
        assert log_in(client, "wang").status_code == 429
        traveller.shift(dt.timedelta(minutes=16))
        assert log_in(client, "wang").status_code == 302


def test_django_admin_login_is_locked_the_same_way(client, db):
    StoreAdminFactory(username="boss")

    assert fail(client, "boss", 5, path=ADMIN_LOGIN)[-1] == 429
    response = log_in(client, "boss", path=ADMIN_LOGIN)

    assert response.status_code == 429
    assert 'data-testid="locked-out"' in response.content.decode()


def test_a_lockout_is_recorded_once_in_the_audit_log(client, wang):
    fail(client, "wang", 5, REMOTE_ADDR="10.0.0.7")
    log_in(client, "wang", REMOTE_ADDR="10.0.0.7")
    fail(client, "wang", 3, REMOTE_ADDR="10.0.0.7")

    events = list(CaseEvent.objects.filter(type=EventType.LOGIN_LOCKED_OUT))
    assert len(events) == 1
    event = events[0]
    assert event.actor is None
    assert event.case is None
    assert event.target == "login:wang"
    assert event.after["username"] == "wang"
    assert event.after["ip_address"] == "10.0.0.7"
    assert event.after["path"] == LOGIN


def test_the_supervisor_audit_log_finds_lockouts_by_login(client, wang, in_english):
    fail(client, "wang", 5)
    supervisor = Client()
    supervisor.force_login(SupervisorFactory())
    in_english(supervisor)

    with translation.override("en"):
        page = supervisor.get(reverse("supervisor:audit"), {"case": "login:wang"}).content.decode()

    assert "Login locked out" in page


def test_client_login_without_a_request_still_works_for_tests_and_commands(wang):
    client = Client()

    assert client.login(username="wang", password=PASSWORD)


def test_a_store_admin_unlocks_in_django_admin_and_it_is_audited(client, wang):
    fail(client, "wang", 5)
    boss = StoreAdminFactory(username="boss")
    admin_client = Client()
    admin_client.force_login(boss)
    changelist = reverse("admin:axes_accessattempt_changelist")
    assert admin_client.get(changelist).status_code == 200
    attempt = AccessAttempt.objects.get(username="wang")

    response = admin_client.post(
        changelist, {"action": "unlock_selected", "_selected_action": [attempt.pk]}, follow=True
    )

    assert response.status_code == 200
    assert not AccessAttempt.objects.exists()
    assert log_in(client, "wang").status_code == 302
    unlocked = CaseEvent.objects.get(type=EventType.LOGIN_UNLOCKED)
    assert unlocked.actor == boss
    assert unlocked.target == "login:wang"
    assert unlocked.before["failures"] == 5


def test_deleting_a_counter_in_admin_is_an_audited_unlock(client, wang):
    fail(client, "wang", 5)
    boss = StoreAdminFactory(username="boss")
    admin_client = Client()
    admin_client.force_login(boss)
    attempt = AccessAttempt.objects.get(username="wang")

    admin_client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})

    assert not AccessAttempt.objects.exists()
    assert CaseEvent.objects.filter(type=EventType.LOGIN_UNLOCKED, actor=boss).count() == 1


def test_a_new_lockout_after_an_unlock_is_recorded_again(client, wang):
    fail(client, "wang", 5)
    boss = StoreAdminFactory(username="boss")
    admin_client = Client()
    admin_client.force_login(boss)
    admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "unlock_selected", "_selected_action": list(AccessAttempt.objects.values_list("pk", flat=True))},
    )

    fail(client, "wang", 5)

    assert CaseEvent.objects.filter(type=EventType.LOGIN_LOCKED_OUT).count() == 2


@pytest.mark.parametrize("role_factory", [AgentFactory, SupervisorFactory])
def test_only_store_admins_see_the_lockouts(client, wang, role_factory):
    fail(client, "wang", 5)
    staff = Client()
    staff.force_login(role_factory())

    response = staff.get(reverse("admin:axes_accessattempt_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(ADMIN_LOGIN)


def test_lockouts_count_the_address_behind_the_trusted_proxy(client, wang, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    other = AgentFactory(username="li")
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for name in ["a", "b", "c", "d", "e"]:
        fail(client, name, 1, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)

    # The guesser is locked out; a colleague behind the same proxy is not.
    assert log_in(client, other.username, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy).status_code == 429
    assert log_in(client, other.username, HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy).status_code == 302
