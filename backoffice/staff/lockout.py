"""Login lock-out: too many wrong passwords lock the username and the address for a while (django-axes).

django-axes counts the failures (settings AXES_FAILURE_LIMIT, AXES_COOLOFF_TIME, AXES_LOCKOUT_PARAMETERS) on the
staff login page and on Django admin's. This module is the store's side of it: the backend that refuses a locked-out
login, the page that explains it, the audit event of every lock-out, and the store admin's unlock.
"""

import datetime as dt
import logging

from axes.backends import AxesStandaloneBackend
from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from backoffice.models import CaseEvent, EventType
from backoffice.staff.clientip import client_ip

logger = logging.getLogger(__name__)

TARGET_PREFIX = "login:"


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a login whose username or address is locked out, before any password is checked.

    Logins from a web page always pass their request, and only those are counted and locked. Code that checks a
    password without a request (the test client's login(), management commands) is not a login attempt from the
    outside and is left to the next backend.
    """

    def authenticate(self, request: HttpRequest | None, username: str | None = None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def cooloff_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The page shown instead of the login form while the username or address is locked (429)."""
    return render(
        request,
        "registration/locked_out.html",
        {"cooloff_minutes": cooloff_minutes(), "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )


def login_target(username: str) -> str:
    """The audit target of a login name: login:agent1 (searchable in the supervisor's audit log)."""
    return (TARGET_PREFIX + (username or ""))[:80]


def record_lockout(*, username: str, ip_address: str, path: str, at: dt.datetime | None = None) -> CaseEvent | None:
    """Record that a username or address was locked out after too many failed logins (an account.locked_out event).

    django-axes reports the lock-out again on every refused attempt while it lasts; one event per lock-out is kept:
    nothing is written while the last lock-out of this username is still within its cool-off and was not lifted.
    """
    at = at or timezone.now()
    username = (username or "")[:150]
    target = login_target(username)
    latest = (
        CaseEvent.objects.filter(
            type__in=[EventType.LOGIN_LOCKED_OUT, EventType.LOGIN_UNLOCKED],
            target=target,
            at__gte=at - settings.AXES_COOLOFF_TIME,
        )
        .order_by("-at", "-id")
        .first()
    )
    if (
        latest is not None
        and latest.type == EventType.LOGIN_LOCKED_OUT
        and latest.after.get("ip_address") == ip_address
    ):
        return None
    logger.warning("Login locked out: username %r from %s on %s", username, ip_address, path)
    return CaseEvent.objects.create(
        case=None,
        actor=None,
        type=EventType.LOGIN_LOCKED_OUT,
        at=at,
        target=target,
        body=f"{username} from {ip_address}: locked for {cooloff_minutes()} min after {settings.AXES_FAILURE_LIMIT} failed logins"[
            :500
        ],
        before={},
        after={
            "username": username,
            "ip_address": ip_address,
            "path": path[:200],
            "until": timezone.localtime(at + settings.AXES_COOLOFF_TIME).isoformat(timespec="seconds"),
        },
    )


def on_user_locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    """django-axes' user_locked_out hook (connected in BackofficeConfig.ready): the lock-out goes into the audit log."""
    path = getattr(request, "path", "") if request is not None else ""
    record_lockout(username=username or "", ip_address=ip_address or "", path=path)


def on_user_logged_in(sender, request=None, user=None, **kwargs) -> None:
    """A successful login clears that username's own failed attempts from that address, and nothing else.

    The other failures counted against the address (guesses at other usernames) stay, so logging in to one's own
    account between guesses does not reset the count against someone else's.
    """
    if request is None or user is None:
        return
    AccessAttempt.objects.filter(username=user.get_username(), ip_address=client_ip(request)).delete()


def unlock(*, actor, attempts: QuerySet) -> int:
    """A store admin lifts lock-outs: the failed-login counters go, and each lifted one is audited (login.unlocked).

    Returns how many counters were removed.
    """
    with transaction.atomic():
        rows = list(attempts.select_for_update().values("pk", "username", "ip_address", "failures_since_start"))
        if not rows:
            return 0
        AccessAttempt.objects.filter(pk__in=[row["pk"] for row in rows]).delete()
        CaseEvent.objects.bulk_create(
            CaseEvent(
                case=None,
                actor=actor,
                type=EventType.LOGIN_UNLOCKED,
                target=login_target(row["username"] or ""),
                body=f"{row['username'] or ''} from {row['ip_address'] or ''}: unlocked"[:500],
                before={
                    "username": row["username"] or "",
                    "ip_address": row["ip_address"] or "",
                    "failures": row["failures_since_start"],
                },
                after={},
            )
            for row in rows
        )
    return len(rows)
