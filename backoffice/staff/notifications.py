"""Notices for staff that stay until they are read: who gets one, what is unread, and reading one (audited)."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from backoffice.cases import services as casework
from backoffice.models import Case, EventType, Notification
from backoffice.staff.roles import Role


def supervisors() -> QuerySet:
    """Active people with the supervisor role (store admins see everything but are not on duty for cases)."""
    return get_user_model().objects.filter(is_active=True, groups__name=Role.SUPERVISOR).distinct()


def notify(*, recipients: Iterable, case: Case | None, kind: str, body: str) -> int:
    """One unread notice per person (a person listed twice, or notified before for the same case, gets one)."""
    people = {user.pk: user for user in recipients if user is not None}
    rows = [Notification(recipient=user, case=case, kind=kind, body=body[:300]) for user in people.values()]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def unread(user) -> QuerySet:
    # Their cases in a second query only when there are notices: most pages have none, and a join on the case table
    # cost those pages more (in building the query) than the query itself.
    return Notification.objects.filter(recipient=user, read_at__isnull=True).prefetch_related("case")


def unread_count(user) -> int:
    return Notification.objects.filter(Q(recipient=user) & Q(read_at__isnull=True)).count()


def mark_read(*, notification: Notification, user) -> bool:
    """The recipient has seen it. Recorded on the case's timeline; reading it twice records it once."""
    with transaction.atomic():
        if not Notification.objects.filter(pk=notification.pk, recipient=user, read_at__isnull=True).update(
            read_at=timezone.now()
        ):
            return False
        if notification.case is not None:
            casework.record_event(
                case=notification.case,
                type=EventType.NOTIFICATION_READ,
                actor=user,
                after={"notification": notification.kind},
            )
    return True
