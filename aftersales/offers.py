"""The guide's after-sales facts that need more than one click: the small-defect choice offered to the customer (A2),
and the reship's new tracking number sent to the customer.

Each function checks its rule, changes rows in a transaction, writes the timeline and sends through the one outbox.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.models import DefectOffer
from backoffice.cases import services as casework
from backoffice.errors import DomainError
from backoffice.messaging import outbox
from backoffice.models import Case, CaseKind, Courier, EventType, Shipment, Status, StoreSettings
from backoffice.store.money import format_fen

SMALL_DEFECT_OFFER = "small_defect_offer"
RESHIP_SHIPPED = "reship_shipped"
# Cases on which a small defect can be settled either way: the customer asked for money back or for a fix.
DEFECT_KINDS = (CaseKind.REFUND, CaseKind.RETURN, CaseKind.COMPENSATION, CaseKind.RESHIP, CaseKind.INQUIRY)
DEFECT_REASONS = ("quality", "not_as_described")


# --- A2: the small-defect choice ----------------------------------------------------------------------------------


def pending_defect_offer(case: Case) -> DefectOffer | None:
    return DefectOffer.objects.filter(case=case, choice=DefectOffer.Choice.PENDING).first()


def can_offer_small_defect_choice(case: Case) -> bool:
    """Whether the case page offers the A2 choice: an open, undecided after-sales case about an order and about a
    defect (a quality reason, "small defect", or a compensation request), no offer pending."""
    about_a_defect = case.small_defect or case.kind == CaseKind.COMPENSATION or case.reason in DEFECT_REASONS
    return (
        case.is_open
        and about_a_defect
        and case.kind in DEFECT_KINDS
        and case.order_id is not None
        and case.handled_at is None
        and pending_defect_offer(case) is None
    )


def offer_small_defect_choice(*, case: Case, actor) -> DefectOffer:
    """A2: offer the customer (1) a compensation (the store's 5 yuan) and keep the item, or (2) a free reship with no
    return; the case waits for the answer."""
    if not case.is_open:
        raise DomainError(_("This case is already resolved or closed. Reopen it first."))
    if case.kind not in DEFECT_KINDS or case.order is None:
        raise DomainError(_("Only an after-sales case about an order can offer the small-defect choice."))
    if pending_defect_offer(case) is not None:
        raise DomainError(_("The customer has not answered the last offer yet."))
    store = StoreSettings.load()
    now = timezone.now()
    with transaction.atomic():
        offer = DefectOffer.objects.create(
            case=case, compensation_fen=store.small_defect_compensation_fen, offered_by=actor, offered_at=now
        )
        message = outbox.send_template(
            key=SMALL_DEFECT_OFFER,
            case=case,
            idempotency_key=f"A2:{case.pk}:{offer.pk}",
            actor=actor,
            extra={"compensation": format_fen(offer.compensation_fen)},
        )
        if message is None:
            raise DomainError(_("The small-defect offer template is switched off or missing; ask the store admin."))
        casework.record_event(
            case=case,
            type=EventType.DEFECT_OFFERED,
            actor=actor,
            body=_("Offered: %(amount)s and keep the item, or a free reship without returning it.")
            % {"amount": format_fen(offer.compensation_fen)},
            target=f"defect_offer:{offer.pk}",
            after={"compensation_fen": offer.compensation_fen},
            at=now,
        )
        if case.status != Status.WAITING:
            casework.transition_case(
                case=case, to=Status.WAITING, actor=actor, note=_("Waiting for the customer's choice.")
            )
    return offer


def record_defect_choice(*, case: Case, actor, choice: str) -> DefectOffer:
    """A2: the customer answered. Compensation: the offered amount is paid and the item kept. Reship: a free reship
    is arranged. Either way the answer is on the case, like the out-of-stock offer's (L3)."""
    from aftersales import services

    if choice not in (DefectOffer.Choice.COMPENSATION, DefectOffer.Choice.RESHIP):
        raise DomainError(_("Choose compensation or reship."))
    offer = pending_defect_offer(case)
    if offer is None:
        raise DomainError(_("There is no offer waiting for an answer; make the offer first."))
    now = timezone.now()
    with transaction.atomic():
        changes = {"choice": choice, "chosen_by": actor, "chosen_at": now}
        if not DefectOffer.objects.filter(pk=offer.pk, choice=DefectOffer.Choice.PENDING).update(**changes):
            raise DomainError(_("Someone recorded the customer's choice just now. Reload the case."))
        for name, value in changes.items():
            setattr(offer, name, value)
        casework.record_event(
            case=case,
            type=EventType.DEFECT_CHOSEN,
            actor=actor,
            body=DefectOffer.Choice(choice).label,
            target=f"defect_offer:{offer.pk}",
            before={"choice": DefectOffer.Choice.PENDING},
            after={"choice": choice},
            at=now,
        )
        if case.status == Status.WAITING:
            casework.transition_case(case=case, to=Status.IN_PROGRESS, actor=actor)
        note = _("A2: the customer chose this.")
        if choice == DefectOffer.Choice.COMPENSATION:
            services.compensate(case=case, actor=actor, amount_fen=offer.compensation_fen, note=note)
        else:
            services.reship(case=case, actor=actor, note=note)
    return offer


# --- the reship's tracking number ---------------------------------------------------------------------------------


def send_reship_tracking(*, case: Case, actor, courier: Courier, tracking_no: str) -> Shipment:
    """A2: the reshipped parcel left: record it on the order and send the customer its courier and tracking number
    (the reship message promised it)."""
    tracking_no = tracking_no.strip()
    if case.resolution != "reshipped" or case.order is None:
        raise DomainError(_("Only a reshipped case sends a reship's tracking number."))
    if not tracking_no:
        raise DomainError(_("Enter the tracking number."))
    if Shipment.objects.filter(order=case.order, tracking_no=tracking_no).exists():
        raise DomainError(_("This tracking number is already on the order."))
    now = timezone.now()
    with transaction.atomic():
        shipment = Shipment.objects.create(order=case.order, courier=courier, tracking_no=tracking_no, shipped_at=now)
        message = outbox.send_template(
            key=RESHIP_SHIPPED,
            case=case,
            idempotency_key=f"reship-shipped:{case.pk}:{shipment.pk}",
            actor=actor,
            extra={"courier": courier.name, "tracking_no": tracking_no},
        )
        if message is None:
            raise DomainError(_("The reship-shipped template is switched off or missing; ask the store admin."))
        casework.record_event(
            case=case,
            type=EventType.RESHIP_SHIPPED,
            actor=actor,
            body=f"{courier.name} {tracking_no}",
            target=f"shipment:{shipment.pk}",
            after={"courier": courier.code, "tracking_no": tracking_no},
            at=now,
        )
        Case.objects.filter(pk=case.pk).update(updated_at=now)
    return shipment
