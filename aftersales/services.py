"""The after-sales desk's rules: applications, automatic approval, and each resolution with its customer message.

Every function here is the one place its rule lives; the views, the gateway API and the importers call them.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.cases import services as casework
from backoffice.cases.models import (
    REASON_SHIPPING_PAYER,
    Resolution,  # noqa: F401 - re-exported for the desk's views
    ShippingPayer,
)
from backoffice.cases.services import (  # noqa: F401 - the desk's verbs, re-exported for its views
    add_note,
    assign_case,
    claim_case,
    record_customer_message,
    release_case,
    reply_to_customer,
    take_next_case,
    transition_case,
)
from backoffice.errors import DomainError
from backoffice.messaging import outbox
from backoffice.models import (
    Case,
    CaseKind,
    Customer,
    Desk,
    EventType,
    Order,
    Payout,
    Priority,
    Status,
    StoreSettings,
)
from backoffice.payouts import services as payouts
from backoffice.payouts.services import (  # noqa: F401 - re-exported for the desk's views and the importers
    confirm_payout,
    mark_payout,
    refundable_fen,
    refunds_on_the_way,
)
from backoffice.store.businesshours import Calendar
from backoffice.store.money import format_fen

REFUNDABLE_KINDS = (CaseKind.REFUND, CaseKind.RETURN)
# A4: what a customer applies for on the platform; each gets "I handle it within 1 hour".
APPLICATION_KINDS = (CaseKind.REFUND, CaseKind.RETURN, CaseKind.EXCHANGE, CaseKind.COMPENSATION, CaseKind.RESHIP)
# Applications settled with goods (the new item, the missing one), not money.
GOODS_KINDS = (CaseKind.EXCHANGE, CaseKind.RESHIP)


def _require_open(case: Case) -> None:
    if not case.is_open:
        raise DomainError(_("This case is already resolved or closed. Reopen it first."))


def _resolve(case: Case, *, actor, resolution: str, amount_fen: int = 0, note: str = "") -> Case:
    now = timezone.now()
    # R1: the resolution's message is a human answer to a waiting customer (not when the system decides, A5).
    casework.stop_reply_clock(case=case, actor=actor, answer="resolution", at=now)
    extra = {"resolution": resolution, "resolved_amount_fen": case.resolved_amount_fen + amount_fen}
    if case.handled_at is None:
        extra["handled_at"] = now
    return casework.transition_case(case=case, to=Status.RESOLVED, actor=actor, note=note, extra=extra)


# --- getting applications in --------------------------------------------------------------------------------------


def open_application(
    *,
    kind: str,
    order: Order | None,
    customer: Customer | None = None,
    actor=None,
    reason: str = "",
    amount_fen: int = 0,
    small_defect: bool = False,
    subject: str = "",
    message: str = "",
    source: str = "manual",
    external_id: str = "",
    priority: int = Priority.NORMAL,
    opened_at=None,
) -> Case:
    """Open an after-sales case and run the automation rules (A5) on it."""
    store = StoreSettings.load()
    with transaction.atomic():
        case = casework.open_case(
            desk=Desk.AFTERSALES,
            kind=kind,
            order=order,
            customer=customer,
            actor=actor,
            reason=reason,
            amount_fen=amount_fen,
            small_defect=small_defect,
            subject=subject,
            source=source,
            external_id=external_id,
            priority=priority,
            opened_at=opened_at,
            store=store,
        )
        if message:
            casework.record_customer_message(case=case, body=message, at=opened_at, store=store)
        apply_automation(case=case, store=store)
        promise_handling(case=case, store=store)
    return case


def promise_handling(*, case: Case, store: StoreSettings | None = None, calendar: Calendar | None = None) -> Case:
    """A4: an application still waiting for a person gets a first-handling deadline (1 hour of business time by
    default) and, when it arrives in business hours, the message "I handle it within 1 hour; the refund arrives
    within 24 hours". Out of hours the out-of-hours reply says when someone will be there instead."""
    store = store or StoreSettings.load()
    if not case.is_open or case.kind not in APPLICATION_KINDS or case.handled_at is not None:
        return case
    calendar = calendar or Calendar.for_store(store)
    opened = case.created_at
    minutes = store.first_handling_minutes
    case.handle_due = calendar.add_business_time(opened, dt.timedelta(minutes=minutes))
    case.due_at = casework.case_due(case)
    Case.objects.filter(pk=case.pk).update(handle_due=case.handle_due, due_at=case.due_at)
    if calendar.is_open(opened) and case.customer_id:
        outbox.send_template(
            # An exchange or a reship is not promised a refund (A4's "24 hours" is the refund's).
            key="handling_promise_goods" if case.kind in GOODS_KINDS else "handling_promise",
            case=case,
            extra={"handle_within": _duration_zh(minutes)},
            idempotency_key=f"promise:{case.pk}",
        )
    return case


def _duration_zh(minutes: int) -> str:
    # Customer messages are Chinese whatever the staff's language.
    if minutes % 60 == 0:
        return f"{minutes // 60} 小时"
    return f"{minutes} 分钟"


def apply_automation(*, case: Case, store: StoreSettings | None = None) -> Case:
    """A5: a refund application under the threshold (20 yuan) is approved by the system;
    "small defect, no return wanted" gets the small-defect compensation (5 yuan) without review — unless the
    automatic refund it also qualifies for is worth more: the customer never gets less than that."""
    store = store or StoreSettings.load()
    if not case.is_open or case.order is None:
        return case
    auto_refund = case.amount_fen if _qualifies_for_auto_refund(case, store) else 0
    if case.small_defect and case.kind in (CaseKind.REFUND, CaseKind.RETURN, CaseKind.COMPENSATION):
        amount = min(store.small_defect_compensation_fen, refundable_fen(case.order))
        if amount > 0 and amount >= auto_refund:
            return compensate(case=case, actor=None, amount_fen=amount, note=_("A5: small defect, no return wanted."))
    if auto_refund:
        return approve_refund(case=case, actor=None, amount_fen=case.amount_fen, note=_("A5: under the threshold."))
    return case


def _qualifies_for_auto_refund(case: Case, store: StoreSettings) -> bool:
    return case.kind == CaseKind.REFUND and 0 < case.amount_fen < store.auto_refund_threshold_fen


# --- resolutions ------------------------------------------------------------------------------------------------


def check_refund(*, case: Case, amount_fen: int | None = None) -> int:
    """A3: what a refund must pass before it is paid — an open refund or return case, more than ¥0.00 and no more than
    the order still allows. Returns the amount (the case's requested amount when none is given). The confirmation
    dialog asks this before it offers "yes", and approve_refund asks it again."""
    _require_open(case)
    if case.kind not in REFUNDABLE_KINDS:
        raise DomainError(_("Only refund and return cases can be refunded."))
    amount = case.amount_fen if amount_fen is None else amount_fen
    payouts.validate_amount(case=case, amount_fen=amount)
    return amount


def check_compensation(*, case: Case, amount_fen: int | None = None) -> int:
    """A2: what a compensation must pass before it is paid (the store's small-defect amount when none is given)."""
    _require_open(case)
    amount = StoreSettings.load().small_defect_compensation_fen if amount_fen is None else amount_fen
    payouts.validate_amount(case=case, amount_fen=amount)
    return amount


def check_return_refund(*, case: Case, amount_fen: int | None = None) -> int:
    """A8: what marking a returned parcel received must pass; for a return, the refund it pays (an exchange pays
    nothing: 0)."""
    _require_open(case)
    if case.handled_at is None:
        raise DomainError(_("Approve the return before marking it received."))
    if case.kind == CaseKind.EXCHANGE:
        return 0
    return check_refund(case=case, amount_fen=amount_fen)


def approve_refund(
    *,
    case: Case,
    actor,
    amount_fen: int | None = None,
    note: str = "",
    template: str = "refund_approved",
    extra: dict | None = None,
) -> Case:
    """A3: approve as a fast refund and tell the customer it arrives within 24 h (A4/A8). The refund is
    requested; the apology follows when it succeeds (confirm_payout)."""
    with transaction.atomic():
        amount = check_refund(case=case, amount_fen=amount_fen)
        payouts.pay(case, kind=Payout.Kind.REFUND, amount_fen=amount, actor=actor)
        resolution = Resolution.RETURNED_REFUNDED if case.kind == CaseKind.RETURN else Resolution.REFUNDED
        casework.record_event(
            case=case, type=EventType.REFUND_APPROVED, actor=actor, body=note, after={"amount_fen": amount}
        )
        _resolve(case, actor=actor, resolution=resolution, amount_fen=amount)
        if refundable_fen(case.order) == 0:
            Order.objects.filter(pk=case.order_id).update(status=Order.Status.REFUNDED)
        outbox.send_template(
            key=template, case=case, extra=extra, idempotency_key=f"refund:{case.pk}:{amount}", actor=actor
        )
    return case


def reject_application(*, case: Case, actor, reason: str) -> Case:
    """Refuse the application; the reason is required and goes to the customer."""
    _require_open(case)
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Give the customer a reason for the rejection."))
    with transaction.atomic():
        casework.record_event(case=case, type=EventType.APPLICATION_REJECTED, actor=actor, body=reason)
        _resolve(case, actor=actor, resolution=Resolution.REJECTED, note=reason)
        outbox.send_template(
            key="application_rejected",
            case=case,
            extra={"reason": reason},
            idempotency_key=f"rejected:{case.pk}:{int(case.resolved_at.timestamp())}",
            actor=actor,
        )
    return case


def approve_return(*, case: Case, actor, shipping_paid_by: str = "") -> Case:
    """A8: approve the return, send the return address and ask for the tracking number; wait for the parcel.
    An exchange is told that the new item goes out once the return arrives."""
    _require_open(case)
    if case.kind not in (CaseKind.RETURN, CaseKind.EXCHANGE):
        raise DomainError(_("Only return and exchange cases can have a return approved."))
    if case.handled_at is not None:
        raise DomainError(_("The return was already approved."))
    now = timezone.now()
    with transaction.atomic():
        casework.record_event(case=case, type=EventType.RETURN_APPROVED, actor=actor)
        # Who pays the return shipping is on the case and in the message (store: quality; customer: personal).
        record_return_shipping(case=case, actor=actor, paid_by=shipping_paid_by)
        casework.stop_reply_clock(case=case, actor=actor, answer="resolution", at=now)
        case.handled_at, case.resolve_due = now, None
        case.due_at = casework.case_due(case)
        Case.objects.filter(pk=case.pk).update(handled_at=now, resolve_due=None, due_at=case.due_at)
        casework.transition_case(case=case, to=Status.WAITING, actor=actor, note=_("Waiting for the returned parcel."))
        key = "exchange_return_approved" if case.kind == CaseKind.EXCHANGE else "return_approved"
        outbox.send_template(key=key, case=case, idempotency_key=f"return:{case.pk}", actor=actor)
    return case


def mark_return_received(*, case: Case, actor, amount_fen: int | None = None) -> Case:
    """The returned parcel arrived: refund it (return and refund), or send the replacement (exchange)."""
    with transaction.atomic():  # the check locks the order until the refund is paid
        check_return_refund(case=case, amount_fen=amount_fen)
        casework.record_event(case=case, type=EventType.RETURN_RECEIVED, actor=actor)
        if case.kind == CaseKind.EXCHANGE:
            return arrange_exchange(case=case, actor=actor)
        return approve_refund(
            case=case,
            actor=actor,
            amount_fen=amount_fen,
            template="return_received",
            extra={"refund_amount": format_fen(case.amount_fen if amount_fen is None else amount_fen)},
        )


def compensate(*, case: Case, actor, amount_fen: int | None = None, note: str = "") -> Case:
    """A2: pay a small compensation (default 5 yuan) and the customer keeps the item."""
    with transaction.atomic():
        amount = check_compensation(case=case, amount_fen=amount_fen)
        payouts.pay(case, kind=Payout.Kind.COMPENSATION, amount_fen=amount, actor=actor)
        casework.record_event(
            case=case, type=EventType.COMPENSATED, actor=actor, body=note, after={"amount_fen": amount}
        )
        _resolve(case, actor=actor, resolution=Resolution.COMPENSATED, amount_fen=amount)
        outbox.send_template(
            key="compensation_paid",
            case=case,
            extra={"amount": format_fen(amount)},
            idempotency_key=f"compensation:{case.pk}:{amount}",
            actor=actor,
        )
    return case


def reship(*, case: Case, actor, note: str = "") -> Case:
    """A2: send the item again for free, no return of the old one."""
    _require_open(case)
    if case.order is None:
        raise DomainError(_("A reship needs the order it replaces."))
    with transaction.atomic():
        casework.record_event(case=case, type=EventType.RESHIPPED, actor=actor, body=note)
        _resolve(case, actor=actor, resolution=Resolution.RESHIPPED, note=note)
        outbox.send_template(key="reship_arranged", case=case, idempotency_key=f"reship:{case.pk}", actor=actor)
    return case


def arrange_exchange(*, case: Case, actor, note: str = "") -> Case:
    _require_open(case)
    with transaction.atomic():
        casework.record_event(case=case, type=EventType.EXCHANGED, actor=actor, body=note)
        _resolve(case, actor=actor, resolution=Resolution.EXCHANGED, note=note)
        outbox.send_template(key="exchange_arranged", case=case, idempotency_key=f"exchange:{case.pk}", actor=actor)
    return case


# --- payouts: requested → arrived / failed (A3, A9) -------------------------------------------------------------


def settled_cases(*, now: dt.datetime | None = None, store: StoreSettings | None = None):
    """A9: resolved after-sales cases with no money still on its way (nothing requested or failed), quiet for the
    store's period since they were resolved, their money arrived and anything else happened on them."""
    now = now or timezone.now()
    store = store or StoreSettings.load()
    cutoff = now - dt.timedelta(hours=store.settled_close_hours)
    unsettled = Payout.objects.filter(case=OuterRef("pk")).exclude(state=Payout.State.SUCCEEDED)
    return (
        Case.objects.filter(
            desk=Desk.AFTERSALES, status=Status.RESOLVED, resolved_at__lte=cutoff, updated_at__lte=cutoff
        )
        .annotate(last_arrival=Max("payouts__confirmed_at"))
        .filter(~Exists(unsettled))
        .filter(Q(last_arrival__isnull=True) | Q(last_arrival__lte=cutoff))
    )


def close_settled_cases(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Beat, A9: settled cases close by themselves (recorded as the system), so nothing waits on a click."""
    store = StoreSettings.load()
    closed = 0
    for case in settled_cases(now=now, store=store).order_by("resolved_at")[:limit]:
        try:
            casework.transition_case(
                case=case,
                to=Status.CLOSED,
                actor=None,
                note=_("Settled and quiet for %(hours)s hours: closed automatically.")
                % {"hours": store.settled_close_hours},
            )
        except DomainError:
            continue  # someone moved it just now
        closed += 1
    return closed


def close_case(*, case: Case, actor, note: str = "") -> Case:
    """Close the case: resolved cases close; an open case closes only with a note saying why."""
    if case.status != Status.RESOLVED and case.is_open and not note.strip():
        raise DomainError(_("Say why you close a case that was not resolved."))
    return casework.transition_case(case=case, to=Status.CLOSED, actor=actor, note=note)


def reopen_case(*, case: Case, actor, note: str = "") -> Case:
    return casework.transition_case(case=case, to=Status.IN_PROGRESS, actor=actor, note=note)


def record_review_outcome(*, case: Case, actor, revised: bool) -> Case:
    """A10: track whether the customer revised the mid/negative review."""
    if case.kind != CaseKind.REVIEW:
        raise DomainError(_("Only review cases track a revised review."))
    with transaction.atomic():
        old = case.review_revised
        Case.objects.filter(pk=case.pk).update(review_revised=revised, updated_at=timezone.now())
        case.review_revised = revised
        casework.record_event(
            case=case,
            type=EventType.REVIEW_TRACKED,
            actor=actor,
            before={"review_revised": old},
            after={"review_revised": revised},
        )
    return case


def available_resolutions(case: Case) -> list[str]:
    """Which resolution buttons the case page offers, by kind and progress (A2, A3, A8, A10)."""
    if not case.is_open:
        return []
    kind = case.kind
    names: list[str] = []
    if kind == CaseKind.REFUND:
        names.append("approve_refund")
    if kind in (CaseKind.RETURN, CaseKind.EXCHANGE):
        names.append("return_received" if case.handled_at else "approve_return")
    if kind == CaseKind.EXCHANGE and case.handled_at is None:
        names.append("exchange")
    if kind in (CaseKind.REFUND, CaseKind.RETURN, CaseKind.COMPENSATION, CaseKind.RESHIP, CaseKind.REVIEW):
        names += ["compensate", "reship"]
    if kind in (CaseKind.REFUND, CaseKind.RETURN, CaseKind.EXCHANGE, CaseKind.COMPENSATION, CaseKind.RESHIP):
        names.append("reject")
    return names


# --- return shipping ------------------------------------------------------------------------------------------


def return_shipping_payer(case: Case, chosen: str = "") -> str:
    """Who pays the return shipping: the store for a quality problem (defect, wrong item, not as described, slow
    logistics), the customer for a personal reason (size, changed mind). The agent may decide otherwise; for any other
    reason, in doubt, the store pays (a dispute over the shipping costs the store more than the shipping)."""
    if chosen:
        if chosen not in ShippingPayer.values:
            raise DomainError(_("Choose who pays the return shipping."))
        return chosen
    return REASON_SHIPPING_PAYER.get(case.reason, ShippingPayer.STORE)


def record_return_shipping(*, case: Case, actor, paid_by: str = "") -> str:
    """Record on the case who pays the return shipping; the return message then says it ({return_shipping})."""
    payer = return_shipping_payer(case, paid_by)
    old = case.return_shipping_paid_by
    if old == payer:
        return payer
    with transaction.atomic():
        Case.objects.filter(pk=case.pk).update(return_shipping_paid_by=payer, updated_at=timezone.now())
        case.return_shipping_paid_by = payer
        casework.record_event(
            case=case,
            type=EventType.CASE_UPDATED,
            actor=actor,
            body=_("Return shipping paid by: %(payer)s") % {"payer": ShippingPayer(payer).label},
            before={"return_shipping_paid_by": old},
            after={"return_shipping_paid_by": payer},
        )
    return payer


# --- applications other desks open --------------------------------------------------------------------------------


def open_for_another_desk(*, actor=None, refund_fen: int = 0, refund_note: str = "", **fields) -> Case:
    """An application another desk opens (L3's refund, a call-back's new case), through the core's hand-off. With
    `refund_fen` the refund is approved at once, unless A5 already approved a small one."""
    case = open_application(actor=actor, **fields)
    if refund_fen and case.is_open:
        approve_refund(case=case, actor=actor, amount_fen=refund_fen, note=refund_note)
    return case
