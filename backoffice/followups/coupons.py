"""Coupons after they are issued: used, expired. Issuing is part of a follow-up (backoffice.followups.services)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.cases.services import record_event
from backoffice.errors import DomainError
from backoffice.models import Coupon, EventType


def expire_coupons() -> int:
    """Beat, daily: issued coupons past their date become expired."""
    return Coupon.objects.filter(state=Coupon.State.ISSUED, valid_until__lt=timezone.now()).update(
        state=Coupon.State.EXPIRED
    )


def mark_coupon_used(*, coupon: Coupon, actor) -> Coupon:
    """The platform reported the coupon redeemed (recorded by a store admin)."""
    now = timezone.now()
    with transaction.atomic():
        updated = Coupon.objects.filter(pk=coupon.pk, state=Coupon.State.ISSUED, valid_until__gte=now).update(
            state=Coupon.State.USED, used_at=now
        )
        if not updated:
            raise DomainError(_("Coupon %(code)s is not valid any more.") % {"code": coupon.code})
        coupon.state, coupon.used_at = Coupon.State.USED, now
        if coupon.case_id:
            record_event(
                case=coupon.case,
                type=EventType.CASE_UPDATED,
                actor=actor,
                body=_("Coupon %(code)s used") % {"code": coupon.code},
                target=f"coupon:{coupon.pk}",
                before={"coupon": Coupon.State.ISSUED},
                after={"coupon": Coupon.State.USED},
            )
    return coupon
