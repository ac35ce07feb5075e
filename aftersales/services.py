"""The after-sales desk's rules: applications, automatic approval, and each resolution with its customer message.

Every function here is the one place its rule lives; the views, the gateway API and the importers call them.
"""

from django.db import transaction
from django.db.models import Sum, TextChoices
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice import casework, outbox
from backoffice.casework import (  # noqa: F401 - the desk's verbs, re-exported for its views
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
from backoffice.models import Case, CaseKind, Customer, Desk, EventType, Order, Priority, Status, StoreSettings
from backoffice.money import format_fen

from . import offers
from .models import Payout

REFUNDABLE_KINDS = (CaseKind.REFUND, CaseKind.RETURN)


class Resolution(TextChoices):
    REFUNDED = "refunded", gettext_lazy("Refunded")
    RETURNED_REFUNDED = "returned_refunded", gettext_lazy("Returned and refunded")
    COMPENSATED = "compensated", gettext_lazy("Compensated")
    RESHIPPED = "reshipped", gettext_lazy("Reshipped")
    EXCHANGED = "exchanged", gettext_lazy("Exchanged")
    REJECTED = "rejected", gettext_lazy("Rejected")


def refundable_fen(order: Order) -> int:
    """What can still go back to the customer for this order: what they paid, less refunds and compensations."""
    paid_out = Payout.objects.filter(order=order).aggregate(total=Sum("amount_fen"))["total"] or 0
    return max(order.paid_fen - paid_out, 0)


def _validate_amount(*, case: Case, amount_fen: int) -> None:
    if amount_fen <= 0:
        raise DomainError(_("The amount must be more than ¥0.00."))
    if case.order is None:
        raise DomainError(_("This case has no order, so no money can be paid out."))
    available = refundable_fen(case.order)
    if amount_fen > available:
        raise DomainError(
            _("The amount %(amount)s is more than the %(available)s still refundable on this order.")
            % {"amount": format_fen(amount_fen), "available": format_fen(available)}
        )


def _require_open(case: Case) -> None:
    if not case.is_open:
        raise DomainError(_("This case is already resolved or closed. Reopen it first."))


def _resolve(case: Case, *, actor, resolution: str, amount_fen: int = 0, note: str = "") -> Case:
    now = timezone.now()
    extra = {"resolution": resolution, "resolved_amount_fen": case.resolved_amount_fen + amount_fen}
    if case.handled_at is None:
        extra["handled_at"] = now
    return casework.transition_case(case=case, to=Status.RESOLVED, actor=actor, note=note, extra=extra)


def _pay(case: Case, *, kind: str, amount_fen: int, actor) -> Payout:
    return Payout.objects.create(case=case, order=case.order, kind=kind, amount_fen=amount_fen, actor=actor)


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
    return case


def apply_automation(*, case: Case, store: StoreSettings | None = None) -> Case:
    """A5: a refund application under the threshold (20 yuan) is approved by the system;
    "small defect, no return wanted" gets the small-defect compensation (5 yuan) without review."""
    store = store or StoreSettings.load()
    if not case.is_open or case.order is None:
        return case
    if case.small_defect and case.kind in (CaseKind.REFUND, CaseKind.RETURN, CaseKind.COMPENSATION):
        amount = min(store.small_defect_compensation_fen, refundable_fen(case.order))
        if amount > 0:
            return compensate(case=case, actor=None, amount_fen=amount, note=_("A5: small defect, no return wanted."))
    if case.kind == CaseKind.REFUND and 0 < case.amount_fen < store.auto_refund_threshold_fen:
        return approve_refund(case=case, actor=None, amount_fen=case.amount_fen, note=_("A5: under the threshold."))
    return case


# --- resolutions ------------------------------------------------------------------------------------------------


def approve_refund(*, case: Case, actor, amount_fen: int | None = None, note: str = "") -> Case:
    """A3: approve as a fast refund, tell the customer it arrives within 24 h (A4/A8), then apologise."""
    _require_open(case)
    if case.kind not in REFUNDABLE_KINDS:
        raise DomainError(_("Only refund and return cases can be refunded."))
    amount = case.amount_fen if amount_fen is None else amount_fen
    with transaction.atomic():
        _validate_amount(case=case, amount_fen=amount)
        _pay(case, kind=Payout.Kind.REFUND, amount_fen=amount, actor=actor)
        resolution = Resolution.RETURNED_REFUNDED if case.kind == CaseKind.RETURN else Resolution.REFUNDED
        casework.record_event(
            case=case, type=EventType.REFUND_APPROVED, actor=actor, body=note, after={"amount_fen": amount}
        )
        _resolve(case, actor=actor, resolution=resolution, amount_fen=amount)
        if refundable_fen(case.order) == 0:
            Order.objects.filter(pk=case.order_id).update(status=Order.Status.REFUNDED)
        outbox.send_template(
            key="refund_approved", case=case, idempotency_key=f"refund:{case.pk}:{amount}", actor=actor
        )
        outbox.send_template(key="refund_apology", case=case, idempotency_key=f"apology:{case.pk}", actor=actor)
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
    """A8: approve the return, send the return address and ask for the tracking number; wait for the parcel."""
    _require_open(case)
    if case.kind not in (CaseKind.RETURN, CaseKind.EXCHANGE):
        raise DomainError(_("Only return and exchange cases can have a return approved."))
    if case.handled_at is not None:
        raise DomainError(_("The return was already approved."))
    now = timezone.now()
    with transaction.atomic():
        casework.record_event(case=case, type=EventType.RETURN_APPROVED, actor=actor)
        # Who pays the return shipping is on the case and in the message (store: quality; customer: personal).
        offers.record_return_shipping(case=case, actor=actor, paid_by=shipping_paid_by)
        Case.objects.filter(pk=case.pk).update(handled_at=now, resolve_due=None, due_at=case.first_response_due)
        case.handled_at, case.resolve_due, case.due_at = now, None, case.first_response_due
        casework.transition_case(case=case, to=Status.WAITING, actor=actor, note=_("Waiting for the returned parcel."))
        outbox.send_template(key="return_approved", case=case, idempotency_key=f"return:{case.pk}", actor=actor)
    return case


def mark_return_received(*, case: Case, actor, amount_fen: int | None = None) -> Case:
    """The returned parcel arrived: refund it (return and refund), or send the replacement (exchange)."""
    _require_open(case)
    if case.handled_at is None:
        raise DomainError(_("Approve the return before marking it received."))
    with transaction.atomic():
        casework.record_event(case=case, type=EventType.RETURN_RECEIVED, actor=actor)
        if case.kind == CaseKind.EXCHANGE:
            return arrange_exchange(case=case, actor=actor)
        outbox.send_template(
            key="return_received",
            case=case,
            extra={"refund_amount": format_fen(case.amount_fen if amount_fen is None else amount_fen)},
            idempotency_key=f"received:{case.pk}",
            actor=actor,
        )
        return approve_refund(case=case, actor=actor, amount_fen=amount_fen)


def compensate(*, case: Case, actor, amount_fen: int | None = None, note: str = "") -> Case:
    """A2: pay a small compensation (default 5 yuan) and the customer keeps the item."""
    _require_open(case)
    store = StoreSettings.load()
    amount = store.small_defect_compensation_fen if amount_fen is None else amount_fen
    with transaction.atomic():
        _validate_amount(case=case, amount_fen=amount)
        _pay(case, kind=Payout.Kind.COMPENSATION, amount_fen=amount, actor=actor)
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
