"""The logistics desk's actions: each one checks its rule, changes rows in a transaction and writes the timeline.

The shared verbs (claim, release, assign, reply, note, plain state moves) are backoffice.cases.services's; these are the
desk's own: courier contacts (L5), customer notices from templates (L3, L5), the out-of-stock offer (L3), manual
tracking updates (L4), resolving and closing, and agents reporting an order out of stock (L2/L3).
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.cases import handoff
from backoffice.cases import services as casework
from backoffice.cases.models import Resolution
from backoffice.errors import DomainError
from backoffice.followups import services as followups
from backoffice.messaging import outbox
from backoffice.models import (
    Campaign,
    Case,
    CaseKind,
    Courier,
    Desk,
    EventType,
    Order,
    OutboundMessage,
    Reason,
    Shipment,
    Status,
    StoreSettings,
    TrackingEvent,
    Trigger,
)
from backoffice.payouts import services as payouts
from backoffice.store.money import format_fen
from logistics import detection
from logistics.models import CourierContact, OutOfStockOffer, Problem
from logistics.tracking import TrackEvent

# Template keys (backoffice.store.defaults.DEFAULT_TEMPLATES; store admins edit the texts).
SHIPMENT_NOTICE = "shipment_notice"  # L6
AFTERSALES_REMINDER = "aftersales_reminder"  # A1
STALLED_NOTICE = "stalled_notice"  # L5
OUT_OF_STOCK_OFFER = "out_of_stock_offer"  # L3
DELAY_APOLOGY = "delay_apology"

# Which templates an agent may send from a case, by problem.
NOTIFY_TEMPLATES = {
    CaseKind.NOT_SHIPPED: [DELAY_APOLOGY],
    CaseKind.NO_TRACKING: [DELAY_APOLOGY],
    CaseKind.NO_TRACKING_UPDATE: [STALLED_NOTICE, DELAY_APOLOGY],
    CaseKind.STALLED: [STALLED_NOTICE, DELAY_APOLOGY],
    CaseKind.OUT_OF_STOCK: [DELAY_APOLOGY],
}
TEMPLATE_LABELS = {
    STALLED_NOTICE: gettext_lazy("Parcel stalled: we are on it (L5)"),
    DELAY_APOLOGY: gettext_lazy("Apology for the delay"),
    OUT_OF_STOCK_OFFER: gettext_lazy("Out of stock: wait or refund (L3)"),
}


class Outcome:
    """How a logistics case ended (Case.resolution)."""

    SHIPPED = "shipped"
    COURIER_CHASED = "courier_chased"
    CUSTOMER_WAITS = "customer_waits"
    REFUNDED = "refunded"
    CLEARED = "cleared"
    OTHER = "other"

    # What an agent may choose (CLEARED is the detector's), worded by the one list of resolutions.
    CHOICES = [(value, Resolution(value).label) for value in (SHIPPED, COURIER_CHASED, CUSTOMER_WAITS, REFUNDED, OTHER)]


def _require_logistics(case: Case) -> None:
    if case.desk != Desk.LOGISTICS:
        raise DomainError(_("This is not a logistics case."))


def _require_open(case: Case) -> None:
    _require_logistics(case)
    if not case.is_open:
        raise DomainError(_("This case is already resolved or closed. Reopen it first."))


def _when(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%m-%d %H:%M") if moment else "—"


def latest_shipment(order: Order | None) -> Shipment | None:
    if order is None:
        return None
    return Shipment.objects.filter(order=order).select_related("courier").order_by("-shipped_at", "-pk").first()


def _set_deadline(case: Case, due: dt.datetime, now: dt.datetime) -> None:
    due_at = casework.nearest_due(case.first_response_due, due)
    Case.objects.filter(pk=case.pk).update(resolve_due=due, due_at=due_at, updated_at=now)
    case.resolve_due, case.due_at, case.updated_at = due, due_at, now


# --- reporting ----------------------------------------------------------------------------------------------------


def report_out_of_stock(*, order: Order, actor, note: str = "") -> Case:
    """L2/L3: an agent learned an order cannot ship (the warehouse has none): open its case, or return the open one."""
    if order.status != Order.Status.AWAITING_SHIPMENT:
        raise DomainError(_("Only an order awaiting shipment can be reported out of stock."))
    now = timezone.now()
    found = detection.Found(order.pk, order.customer_id, CaseKind.OUT_OF_STOCK, source=Problem.Source.AGENT)
    with transaction.atomic():
        problem = detection.open_problem(found, now=now, store=StoreSettings.load(), actor=actor)
        if problem is None:
            problem = Problem.objects.get(order=order, kind=CaseKind.OUT_OF_STOCK, cleared_at__isnull=True)
        case = Case.objects.select_related("customer", "order").get(pk=problem.case_id)
        if note.strip():
            casework.add_note(case=case, body=note, actor=actor)
    return case


# --- courier ------------------------------------------------------------------------------------------------------


def contact_courier(
    *,
    case: Case,
    actor,
    contact: str,
    result: str,
    channel: str = CourierContact.Channel.PHONE,
    next_check_at: dt.datetime | None = None,
    courier: Courier | None = None,
) -> CourierContact:
    """L5: record that the courier was contacted — who, what they said, and when to check again.

    The next check time becomes the case's deadline, so the case comes back up in the due queues then.
    """
    _require_open(case)
    contact, result = contact.strip(), result.strip()
    if not contact or not result:
        raise DomainError(_("Say who you contacted and what came of it."))
    now = timezone.now()
    if next_check_at is not None and next_check_at <= now:
        raise DomainError(_("The next check must be in the future."))
    shipment = latest_shipment(case.order)
    courier = courier or (shipment.courier if shipment else None)
    if courier is None:
        raise DomainError(_("This order has no parcel; choose the courier."))
    with transaction.atomic():
        record = CourierContact.objects.create(
            case=case,
            shipment=shipment,
            courier=courier,
            channel=channel,
            contact=contact[:80],
            result=result[:500],
            next_check_at=next_check_at,
            actor=actor,
            at=now,
        )
        body = _("Courier contacted: %(courier)s, %(contact)s (%(channel)s) — %(result)s") % {
            "courier": courier.name,
            "contact": record.contact,
            "channel": record.get_channel_display(),
            "result": record.result,
        }
        if next_check_at is not None:
            body += " · " + _("check again %(at)s") % {"at": _when(next_check_at)}
            _set_deadline(case, next_check_at, now)
        else:
            Case.objects.filter(pk=case.pk).update(updated_at=now)
        casework.record_event(
            case=case,
            type=EventType.CASE_UPDATED,
            actor=actor,
            body=body,
            target=f"courier_contact:{record.pk}",
            after={
                "logistics": "courier_contacted",
                "courier": courier.code,
                "contact": record.contact,
                "next_check_at": next_check_at.isoformat() if next_check_at else None,
            },
            at=now,
        )
        if case.status == Status.NEW:
            casework.transition_case(case=case, to=Status.IN_PROGRESS, actor=actor)
    return record


# --- telling the customer -----------------------------------------------------------------------------------------


def wait_coupon_fen() -> int | None:
    """L3: the coupon promised for waiting is the one the L3 campaign issues — one source of truth for the value.
    None when no such campaign is active (then no coupon can be promised)."""
    campaign = Campaign.objects.filter(trigger=Trigger.OUT_OF_STOCK_WAIT, active=True).order_by("pk").first()
    return campaign.coupon_value_fen if campaign else None


def _offer_variables(store: StoreSettings, *, wait_days: int | None = None, coupon_fen: int | None = None) -> dict:
    coupon_fen = coupon_fen if coupon_fen is not None else wait_coupon_fen()
    return {
        "wait_days": wait_days if wait_days is not None else store.out_of_stock_wait_days,
        "coupon": format_fen(coupon_fen) if coupon_fen is not None else "",
    }


def notify_customer(*, case: Case, actor, template_key: str) -> OutboundMessage:
    """L5 (and apologies): send the customer a store template about this problem, once per template and day."""
    _require_open(case)
    if template_key not in NOTIFY_TEMPLATES.get(case.kind, []):
        raise DomainError(_("This message does not fit this problem."))
    if case.customer_id is None:
        raise DomainError(_("This case has no customer to tell."))
    key = f"notify:{case.pk}:{template_key}:{timezone.localdate():%Y%m%d}"
    if OutboundMessage.objects.filter(idempotency_key=key).exists():
        raise DomainError(_("The customer already got this message today."))
    store = StoreSettings.load()
    with transaction.atomic():
        message = outbox.send_template(
            key=template_key, case=case, idempotency_key=key, actor=actor, extra=_offer_variables(store)
        )
        if message is None:
            raise DomainError(_("That message template is switched off or missing; ask the store admin."))
        casework.stop_reply_clock(case=case, actor=actor, answer="message")  # R1: a person told the customer
        Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())
        if case.status == Status.NEW:
            casework.transition_case(case=case, to=Status.IN_PROGRESS, actor=actor)
    return message


# --- out of stock (L3) --------------------------------------------------------------------------------------------


def pending_offer(case: Case) -> OutOfStockOffer | None:
    return OutOfStockOffer.objects.filter(case=case, choice=OutOfStockOffer.Choice.PENDING).first()


def offer_out_of_stock_choice(*, case: Case, actor) -> OutOfStockOffer:
    """L3: contact the customer first and offer a choice — wait N days (with a coupon) or a refund."""
    _require_open(case)
    if case.kind != CaseKind.OUT_OF_STOCK:
        raise DomainError(_("Only out-of-stock cases make this offer."))
    if case.order is None or case.order.status != Order.Status.AWAITING_SHIPMENT:
        raise DomainError(_("The order is no longer awaiting shipment."))
    store = StoreSettings.load()
    coupon_fen = wait_coupon_fen()
    if coupon_fen is None:
        raise DomainError(
            _("No out-of-stock coupon campaign (L3) is active, so no coupon can be promised; ask the store admin.")
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            offer = OutOfStockOffer.objects.create(
                case=case,
                order=case.order,
                wait_days=store.out_of_stock_wait_days,
                coupon_fen=coupon_fen,
                offered_by=actor,
                offered_at=now,
            )
            message = outbox.send_template(
                key=OUT_OF_STOCK_OFFER,
                case=case,
                idempotency_key=f"L3:{case.pk}:{offer.pk}",
                actor=actor,
                extra=_offer_variables(store, wait_days=offer.wait_days, coupon_fen=offer.coupon_fen),
            )
            if message is None:
                raise DomainError(
                    _("The out-of-stock message template is switched off or missing; ask the store admin.")
                )
            casework.stop_reply_clock(case=case, actor=actor, answer="message", at=now)
            casework.record_event(
                case=case,
                type=EventType.CASE_UPDATED,
                actor=actor,
                body=_("Offered: wait %(days)s days with a %(coupon)s coupon, or a refund.")
                % {"days": offer.wait_days, "coupon": format_fen(offer.coupon_fen)},
                target=f"stock_offer:{offer.pk}",
                after={"logistics": "stock_offer", "wait_days": offer.wait_days, "coupon_fen": offer.coupon_fen},
                at=now,
            )
            if case.status != Status.WAITING:
                casework.transition_case(
                    case=case, to=Status.WAITING, actor=actor, note=_("Waiting for the customer's choice.")
                )
    except IntegrityError:
        raise DomainError(_("An offer is already waiting for the customer's answer.")) from None
    return offer


def record_offer_choice(*, case: Case, actor, choice: str) -> OutOfStockOffer:
    """L3: the customer chose. Wait: the coupon goes out (follow-ups) and the case is due on the agreed day.
    Refund: an after-sales refund of what is still refundable is opened and approved, and this case resolves."""
    _require_logistics(case)
    if choice not in (OutOfStockOffer.Choice.WAIT, OutOfStockOffer.Choice.REFUND):
        raise DomainError(_("Choose wait or refund."))
    offer = pending_offer(case)
    if offer is None:
        raise DomainError(_("There is no offer waiting for an answer; make the offer first."))
    now = timezone.now()
    with transaction.atomic():
        changes = {"choice": choice, "chosen_by": actor, "chosen_at": now}
        if choice == OutOfStockOffer.Choice.WAIT:
            changes["wait_until"] = now + dt.timedelta(days=offer.wait_days)
        if not OutOfStockOffer.objects.filter(pk=offer.pk, choice=OutOfStockOffer.Choice.PENDING).update(**changes):
            raise DomainError(_("Someone recorded the customer's choice just now. Reload the case."))
        for name, value in changes.items():
            setattr(offer, name, value)
        if case.status == Status.WAITING:
            casework.transition_case(case=case, to=Status.IN_PROGRESS, actor=actor)
        if choice == OutOfStockOffer.Choice.WAIT:
            _customer_waits(case=case, offer=offer, actor=actor, now=now)
        else:
            _customer_refunded(case=case, offer=offer, actor=actor, now=now)
    return offer


def _customer_waits(*, case: Case, offer: OutOfStockOffer, actor, now: dt.datetime) -> None:
    casework.record_event(
        case=case,
        type=EventType.CASE_UPDATED,
        actor=actor,
        body=_("The customer chose to wait until %(at)s (coupon %(coupon)s).")
        % {"at": _when(offer.wait_until), "coupon": format_fen(offer.coupon_fen)},
        target=f"stock_offer:{offer.pk}",
        after={"logistics": "stock_choice", "choice": "wait", "wait_until": offer.wait_until.isoformat()},
        at=now,
    )
    _set_deadline(case, offer.wait_until, now)
    # The coupon is the follow-up campaign's to send (one place for coupons).
    followups.on_trigger(trigger="out_of_stock_wait", case=case, actor=actor)


def _customer_refunded(*, case: Case, offer: OutOfStockOffer, actor, now: dt.datetime) -> None:
    order = case.order
    amount = payouts.refundable_fen(order)
    if amount <= 0:
        raise DomainError(_("Nothing is left to refund on this order."))
    refund_case = handoff.open_case_on(
        Desk.AFTERSALES,
        kind=CaseKind.REFUND,
        order=order,
        actor=actor,
        reason=Reason.OTHER,
        amount_fen=amount,
        subject=_("Out of stock: the customer chose a refund (L3)"),
        source="logistics",
        external_id=f"L3:{offer.pk}",
        refund_fen=amount,
        refund_note=_("L3: out of stock."),
    )
    OutOfStockOffer.objects.filter(pk=offer.pk).update(refund_case=refund_case)
    offer.refund_case = refund_case
    casework.record_event(
        case=case,
        type=EventType.CASE_UPDATED,
        actor=actor,
        body=_("The customer chose a refund: %(amount)s, after-sales case %(number)s.")
        % {"amount": format_fen(amount), "number": refund_case.number},
        target=refund_case.number,
        after={
            "logistics": "stock_choice",
            "choice": "refund",
            "refund_case": refund_case.number,
            "amount_fen": amount,
        },
        at=now,
    )
    resolve_case(case=case, actor=actor, outcome=Outcome.REFUNDED, note="", amount_fen=amount)


# --- tracking -----------------------------------------------------------------------------------------------------


def apply_tracking_events(
    *, shipment: Shipment, events: list[TrackEvent], estimated_delivery: dt.datetime | None = None
) -> int:
    """Store new tracking events (a repeated one is skipped) and move the parcel's state to its latest event; keep the
    courier's delivery estimate when it gives one (A1 is sent the day before it).

    Returns how many events were new. The parcel only moves forward in time: an older event never overrides.
    """
    if estimated_delivery is not None and estimated_delivery != shipment.estimated_delivery_at:
        Shipment.objects.filter(pk=shipment.pk).update(estimated_delivery_at=estimated_delivery)
        shipment.estimated_delivery_at = estimated_delivery
    if not events:
        return 0
    with transaction.atomic():
        before = TrackingEvent.objects.filter(shipment=shipment).count()
        TrackingEvent.objects.bulk_create(
            [
                TrackingEvent(
                    shipment=shipment,
                    at=event.at,
                    place=event.place[:80],
                    state=event.state,
                    description=event.description[:200],
                )
                for event in events
            ],
            ignore_conflicts=True,
        )
        added = TrackingEvent.objects.filter(shipment=shipment).count() - before
        latest = max(events, key=lambda event: event.at)
        if shipment.last_event_at is None or latest.at >= shipment.last_event_at:
            changes = {"state": latest.state, "last_event_at": latest.at}
            if latest.state == Shipment.State.DELIVERED:
                changes["delivered_at"] = latest.at
            Shipment.objects.filter(pk=shipment.pk).update(**changes)
            for name, value in changes.items():
                setattr(shipment, name, value)
    return added


def record_tracking_update(
    *, case: Case, actor, at: dt.datetime, state: str, place: str, description: str, shipment: Shipment | None = None
) -> TrackingEvent | None:
    """L4: an agent types in a tracking event the courier gave them (phone, outlet) that the provider lacks."""
    _require_open(case)
    shipment = shipment or latest_shipment(case.order)
    if shipment is None:
        raise DomainError(_("This order has no parcel to update."))
    if state not in Shipment.State.values:
        raise DomainError(_("Choose a parcel state."))
    now = timezone.now()
    if at > now + dt.timedelta(minutes=5):
        raise DomainError(_("A tracking event cannot be in the future."))
    if at < shipment.shipped_at - dt.timedelta(days=1):
        raise DomainError(_("A tracking event cannot be before the parcel was shipped."))
    description = description.strip()
    if not description:
        raise DomainError(_("Describe the tracking event."))
    event = TrackEvent(at=at, state=state, place=place.strip(), description=description)
    with transaction.atomic():
        added = apply_tracking_events(shipment=shipment, events=[event])
        if not added:
            raise DomainError(_("This parcel already has an event with that time and state."))
        casework.record_event(
            case=case,
            type=EventType.CASE_UPDATED,
            actor=actor,
            body=_("Tracking updated by hand: %(at)s %(state)s %(place)s %(text)s")
            % {"at": _when(at), "state": Shipment.State(state).label, "place": event.place, "text": description},
            target=f"shipment:{shipment.pk}",
            after={"logistics": "tracking_update", "state": state, "at": at.isoformat()},
            at=now,
        )
        Case.objects.filter(pk=case.pk).update(updated_at=now)
    return TrackingEvent.objects.filter(shipment=shipment, at=at, state=state).first()


# --- ending -------------------------------------------------------------------------------------------------------


def resolve_case(*, case: Case, actor, outcome: str, note: str = "", amount_fen: int = 0) -> Case:
    """The problem is handled: record how, and mark the case resolved."""
    _require_open(case)
    if outcome not in dict(Outcome.CHOICES):
        raise DomainError(_("Choose how the problem was solved."))
    extra = {"resolution": outcome, "resolved_amount_fen": case.resolved_amount_fen + amount_fen}
    if case.handled_at is None:
        extra["handled_at"] = timezone.now()
    return casework.transition_case(case=case, to=Status.RESOLVED, actor=actor, note=note, extra=extra)


def close_case(*, case: Case, actor, note: str = "") -> Case:
    """Close: a resolved case closes; an open one only with a note saying why."""
    _require_logistics(case)
    if case.status != Status.RESOLVED and case.is_open and not note.strip():
        raise DomainError(_("Say why you close a case that was not resolved."))
    return casework.transition_case(case=case, to=Status.CLOSED, actor=actor, note=note)


def problems_of(case: Case) -> list[Problem]:
    return list(Problem.objects.filter(case=case).select_related("shipment__courier").order_by("detected_at"))
