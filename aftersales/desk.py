"""The after-sales desk, declared: its queues, table, filters, case panels (resolutions, payouts) and own actions."""

import logging

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales import offers, services, views
from aftersales.filters import CaseFilter
from aftersales.tables import CaseTable
from backoffice.cases import queues
from backoffice.cases.access import AFTERSALES
from backoffice.cases.forms import staff_on_duty
from backoffice.cases.models import REASON_SHIPPING_PAYER, ShippingPayer
from backoffice.desk.declaration import DeskDeclaration
from backoffice.models import Courier

logger = logging.getLogger(__name__)

# R1 in the queue's header is a day's rate: kept this long per person and day, it costs one query per half minute
# instead of one (and more Python than the page's own rows) on every queue page.
R1_HEADER_SECONDS = 30


def queue_context(request) -> dict:
    """R1 in the header (mine and the store's, today) and the duty switch."""
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    key = f"aftersales:r1-header:{today.date().isoformat()}:{request.user.pk}"
    my_rate, store_rate = _kept(key, lambda: queues.response_rates(since=today, agent=request.user))
    return {"my_rate": my_rate, "store_rate": store_rate, "on_duty": staff_on_duty(request.user)}


def _kept(key: str, read):
    """`read()`, kept in the cache for R1_HEADER_SECONDS; with the cache away, read each time (never an error page)."""
    try:
        kept = cache.get(key)
    except Exception:  # noqa: BLE001 - any cache failure means the same: read it now
        logger.warning("R1 header read without the cache: the cache is unavailable", exc_info=True)
        return read()
    if kept is None:
        kept = read()
        try:
            cache.set(key, kept, R1_HEADER_SECONDS)
        except Exception:  # noqa: BLE001 - not kept this time
            logger.warning("R1 header not kept: the cache is unavailable", exc_info=True)
    return kept


def case_context(request, case) -> dict:
    return {
        "resolutions": services.available_resolutions(case),
        "refundable_fen": services.refundable_fen(case.order) if case.order else 0,
        "payouts": list(case.payouts.order_by("pk")),
        # A2: the small-defect choice (offer, then the customer's answer); A8: who pays the return shipping.
        "defect_offer": offers.pending_defect_offer(case) if case.is_open else None,
        "can_offer_defect": offers.can_offer_small_defect_choice(case),
        "shipping_payers": ShippingPayer.choices,
        "shipping_payer": case.return_shipping_paid_by or REASON_SHIPPING_PAYER.get(case.reason, ShippingPayer.STORE),
        "reship_couriers": (
            list(Courier.objects.filter(active=True)) if case.resolution == services.Resolution.RESHIPPED else []
        ),
    }


DESK = DeskDeclaration(
    access=AFTERSALES,
    namespace="aftersales",
    title=_("After-sales"),
    heading=_("After-sales queues"),
    table=CaseTable,
    filterset=CaseFilter,
    empty_take_next=_("No unassigned case is waiting. Well done!"),
    actions={
        action.__name__: action
        for action in (
            views.approve_refund,
            views.compensate,
            views.return_received,
            views.reject,
            views.approve_return,
            views.reship,
            views.exchange,
            views.close,
            views.review,
            views.payout,
            views.defect_offer,
            views.defect_choice,
            views.reship_tracking,
        )
    },
    close_case=services.close_case,
    close_confirm=_("Close this case? The customer gets the follow-up."),
    close_unresolved_confirm=_("Close this case without a resolution?"),
    case_context=case_context,
    case_meta="aftersales/case_meta.html",
    case_panels=("aftersales/case_panels.html",),
    queue_template="aftersales/queue.html",
    queue_context=queue_context,
)
