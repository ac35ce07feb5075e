"""Notices for staff that stay until they are read: who gets one, what is unread, and reading one (audited)."""

import dataclasses
import datetime as dt
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from backoffice.cases import services as casework
from backoffice.models import Case, EventType, Notification
from backoffice.prepared import ID, PreparedRead
from backoffice.staff.roles import Role

# How many unread notices a page lists (the newest).
UNREAD_SHOWN = 10


def supervisors() -> QuerySet:
    """Active people with the supervisor role (store admins see everything but are not on duty for cases)."""
    return get_user_model().objects.filter(is_active=True, groups__name=Role.SUPERVISOR).distinct()


def notify(*, recipients: Iterable, case: Case | None, kind: str, body: str) -> int:
    """One unread notice per person (a person listed twice, or notified before for the same case, gets one)."""
    people = {user.pk: user for user in recipients if user is not None}
    rows = [Notification(recipient=user, case=case, kind=kind, body=body[:300]) for user in people.values()]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


@dataclasses.dataclass(frozen=True)
class UnreadNotice:
    """A notice as a page lists it."""

    pk: int
    kind: str
    body: str
    created_at: dt.datetime
    case_number: str | None
    case_platform_status: str | None

    @property
    def kind_label(self) -> str:
        return str(dict(Notification.Kind.choices).get(self.kind, self.kind))


# On every page and every nav-count poll: its SQL written once (backoffice.prepared), newest first, with the case.
_UNREAD = PreparedRead(
    lambda user_id: Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).values_list(
        "pk", "kind", "body", "created_at", "case__number", "case__platform_status"
    )[: UNREAD_SHOWN + 1],
    values=(ID,),
)


def unread(user) -> list[UnreadNotice]:
    """The person's newest unread notices (one more than a page shows, so it knows there are more)."""
    return [UnreadNotice(*row) for row in _UNREAD.rows(user.pk)]


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
