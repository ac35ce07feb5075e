"""Money back to customers, for every desk: what an order still allows, paying it out, and the platform's answer.

A refund or compensation is *requested* until the platform (sync or import) or an agent marks it *arrived* or
*failed*; A3's apology and A9's follow-up start from the arrival.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.cases.services import record_event
from backoffice.errors import DomainError
from backoffice.followups import services as followups
from backoffice.messaging import outbox
from backoffice.models import Case, Channel, EventType, Order, StoreSettings, Trigger
from backoffice.payouts.models import Payout
from backoffice.store.money import format_fen


def refundable_fen(order: Order) -> int:
    """What can still go back to the customer for this order: what they paid, less the refunds and compensations
    requested or arrived (a payout that failed returned nothing: that money can still be paid out)."""
    paid_out = (
        Payout.objects.filter(order=order)
        .exclude(state=Payout.State.FAILED)
        .aggregate(total=Sum("amount_fen"))["total"]
        or 0
    )
    return max(order.paid_fen - paid_out, 0)


def validate_amount(*, case: Case, amount_fen: int) -> None:
    """The amount can be paid out on the case's order. Called in the transaction that pays it: the order's row stays
    locked until then, so two agents paying out on one order at once cannot both take the same remainder."""
    if amount_fen <= 0:
        raise DomainError(_("The amount must be more than ¥0.00."))
    if case.order is None:
        raise DomainError(_("This case has no order, so no money can be paid out."))
    Order.objects.select_for_update().filter(pk=case.order_id).values_list("pk", flat=True).first()
    available = refundable_fen(case.order)
    if amount_fen > available:
        raise DomainError(
            _("The amount %(amount)s is more than the %(available)s still refundable on this order.")
            % {"amount": format_fen(amount_fen), "available": format_fen(available)}
        )


def pay(case: Case, *, kind: str, amount_fen: int, actor) -> Payout:
    return Payout.objects.create(case=case, order=case.order, kind=kind, amount_fen=amount_fen, actor=actor)


def confirm_payout(*, payout: Payout, succeeded: bool, actor=None, at: dt.datetime | None = None) -> bool:
    """The platform (sync, import: actor None) or an agent confirms that a payout arrived or failed.

    A3: a refund that arrived gets the apology, by SMS when the store has that channel, else by chat.
    A9: the follow-up clock starts from the moment it arrived. Returns False when it was already confirmed.
    """
    at = at or timezone.now()
    state = Payout.State.SUCCEEDED if succeeded else Payout.State.FAILED
    case = payout.case
    with transaction.atomic():
        if not Payout.objects.filter(pk=payout.pk, state=Payout.State.REQUESTED).update(
            state=state, confirmed_at=at, confirmed_by=actor
        ):
            return False
        payout.state, payout.confirmed_at, payout.confirmed_by = state, at, actor
        record_event(
            case=case,
            type=EventType.PAYOUT_SUCCEEDED if succeeded else EventType.PAYOUT_FAILED,
            actor=actor,
            at=at,
            target=f"payout:{payout.pk}",
            before={"state": Payout.State.REQUESTED},
            after={
                "state": state,
                "kind": payout.kind,
                "amount_fen": payout.amount_fen,
                "confirmed_at": at.isoformat(),
            },
        )
        Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())
        if succeeded and payout.kind == Payout.Kind.REFUND:
            apologise(case=case, payout=payout, actor=actor)
            followups.on_trigger(trigger=Trigger.AFTERSALES_REFUND_CLOSED, case=case, actor=actor, at=at)
    return True


def mark_payout(*, case: Case, payout_id: int, succeeded: bool, actor) -> Payout:
    """An agent records what the platform shows for a payout on this case: it arrived, or it failed (A3, A9)."""
    payout = Payout.objects.filter(pk=payout_id, case=case).first()
    if payout is None:
        raise DomainError(_("That payout is not on this case."))
    if not confirm_payout(payout=payout, succeeded=succeeded, actor=actor):
        raise DomainError(_("This payout was already confirmed. Reload the case."))
    return payout


def refunds_on_the_way(case: Case) -> list[Payout]:
    """The case's refunds requested and not yet confirmed by the platform."""
    return list(Payout.objects.filter(case=case, kind=Payout.Kind.REFUND, state=Payout.State.REQUESTED).order_by("pk"))


def apologise(*, case: Case, payout: Payout, actor) -> None:
    """A3: after the refund succeeded, the apology — by SMS (短信) when the store has it and the customer a phone."""
    template = outbox.active_template("refund_apology")
    customer = case.customer
    if template is None or customer is None:
        return
    store = StoreSettings.load()
    channel = Channel.SMS if store.sms_channel and customer.phone else Channel.CHAT
    outbox.queue_message(
        customer=customer,
        case=case,
        body=outbox.render_text(template.body, outbox.case_variables(case, customer=customer, store=store)),
        channel=channel,
        template_key=template.key,
        idempotency_key=f"apology:{case.pk}",
        actor=actor,
    )
