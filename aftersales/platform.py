"""The platform's side of an after-sales case: its status as PDD reports it, and PDD stepping in.

A case where the platform intervened (平台处理中, 平台同意退款 …) costs the store: it goes to the top of the queues with
the highest priority, and its assignee and the supervisors get a notice that stays until they read it.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.cases import services as casework
from backoffice.models import Case, EventType, Notification, Priority
from backoffice.platform.importing.aftersales_status import PlatformStatus
from backoffice.staff import notifications


def record_platform_status(*, case: Case, status: PlatformStatus, actor=None) -> bool:
    """Keep the platform's raw status (code and text) on the case; the first intervention escalates it.

    Returns whether anything changed. A status reported again changes nothing and records nothing.
    """
    text = status.text[:60]
    changed = False
    with transaction.atomic():
        before = {"platform_status_code": case.platform_status_code, "platform_status": case.platform_status}
        if (case.platform_status_code, case.platform_status) != (status.code, text):
            Case.objects.filter(pk=case.pk).update(
                platform_status_code=status.code, platform_status=text, updated_at=timezone.now()
            )
            case.platform_status_code, case.platform_status = status.code, text
            casework.record_event(
                case=case,
                type=EventType.PLATFORM_STATUS,
                actor=actor,
                body=_("Platform status: %(status)s") % {"status": text},
                before=before,
                after={
                    "platform_status_code": status.code,
                    "platform_status": text,
                    "state": status.state,
                    "intervened": status.intervened,
                    "expired": status.expired,
                },
            )
            changed = True
        if status.intervened:
            changed = record_intervention(case=case, status=status, actor=actor) or changed
    return changed


def record_intervention(*, case: Case, status: PlatformStatus, actor=None) -> bool:
    """The platform stepped in: urgent priority, the top of the queues, a notice to the assignee and the supervisors.

    Once per case (a conditional update): the same intervention reported by the export and the sync counts once.
    """
    now = timezone.now()
    with transaction.atomic():
        if not Case.objects.filter(pk=case.pk, platform_intervened_at__isnull=True).update(
            platform_intervened_at=now, priority=Priority.URGENT, updated_at=now
        ):
            return False
        old_priority = case.priority
        case.platform_intervened_at, case.priority = now, Priority.URGENT
        body = _("The platform intervened (%(status)s). Handle this case first.") % {"status": status.text[:60]}
        casework.record_event(
            case=case,
            type=EventType.PLATFORM_INTERVENED,
            actor=actor,
            body=body,
            before={"priority": old_priority},
            after={"priority": Priority.URGENT, "platform_status_code": status.code, "platform_status": status.text},
            at=now,
        )
        recipients = [case.assignee, *notifications.supervisors()]
        notice = _("The platform intervened in case %(number)s (%(status)s).") % {
            "number": case.number,
            "status": status.text[:60],
        }
        notifications.notify(recipients=recipients, case=case, kind=Notification.Kind.PLATFORM_INTERVENED, body=notice)
    return True
