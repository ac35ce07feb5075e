"""Follow-up coupon campaigns (A9, A10, L3): the campaign an admin sets up, each case's follow-up, and the coupon it issues."""

import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.cases.models import Case
from backoffice.messaging.models import MessageTemplate, OutboundMessage
from backoffice.platform.models import Customer

COUPON_VARIABLES_HELP = _(
    "Besides the case's variables ({customer_name} {order_no} {store_name}…), a follow-up message may use "
    "{coupon_value} {coupon_threshold} {coupon_code} {coupon_valid_until}."
)


class Trigger(models.TextChoices):
    """What starts a follow-up. The first three are the document's (A9, A10, L3); admins may use the others."""

    # The value keeps its historic name; A9 starts when the refund arrived (the payout's success), not at Close.
    AFTERSALES_REFUND_CLOSED = "aftersales_refund_closed", _("Refund arrived on an after-sales case (A9)")
    REVIEW_RESOLVED = "review_resolved", _("Mid/negative-review case resolved (A10)")
    OUT_OF_STOCK_WAIT = "out_of_stock_wait", _("Customer accepted to wait for out-of-stock goods (L3)")
    AFTERSALES_CLOSED = "aftersales_closed", _("After-sales case closed, other resolutions")
    LOGISTICS_CLOSED = "logistics_closed", _("Logistics case closed")


# Follow-ups for these triggers thank a customer for a finished case: reopening the case cancels them.
AFTER_CLOSURE_TRIGGERS = frozenset(
    {Trigger.AFTERSALES_REFUND_CLOSED, Trigger.REVIEW_RESOLVED, Trigger.AFTERSALES_CLOSED, Trigger.LOGISTICS_CLOSED}
)


class Campaign(models.Model):
    key = models.SlugField(_("key"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=80)
    trigger = models.CharField(_("trigger"), max_length=40, choices=Trigger)
    active = models.BooleanField(_("active"), default=True, help_text=_("Off: no new follow-ups, pending ones cancel."))
    delay_min_hours = models.PositiveIntegerField(
        _("send after, at least (hours)"), null=True, blank=True, help_text=_("Empty: the store's follow-up window.")
    )
    delay_max_hours = models.PositiveIntegerField(
        _("send after, at most (hours)"), null=True, blank=True, help_text=_("Empty: the store's follow-up window.")
    )
    coupon_value_fen = models.PositiveIntegerField(_("coupon value (yuan)"), help_text=_("e.g. 10.00"))
    threshold_fen = models.PositiveIntegerField(
        _("minimum spend (yuan)"), default=0, help_text=_("0: no threshold (无门槛).")
    )
    valid_days = models.PositiveIntegerField(_("coupon valid for (days)"), default=30)
    template = models.ForeignKey(
        MessageTemplate,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("message template"),
        help_text=COUPON_VARIABLES_HELP,
    )
    cap_per_customer = models.PositiveIntegerField(
        _("coupons per customer"), default=1, help_text=_("0: no cap. Counted over the period below.")
    )
    cap_days = models.PositiveIntegerField(_("cap period (days)"), default=30)
    budget_fen = models.PositiveIntegerField(
        _("budget (yuan)"), null=True, blank=True, help_text=_("Empty: no limit. Coupons past it are refused.")
    )
    # What the campaign's coupons are worth so far; raised by a conditional update that refuses to pass the budget.
    spent_fen = models.PositiveIntegerField(_("issued so far (fen)"), default=0, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["key"]
        verbose_name = _("coupon campaign")
        verbose_name_plural = _("coupon campaigns")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        low, high = self.delay_min_hours, self.delay_max_hours
        if (low is None) != (high is None):
            raise ValidationError(_("Give both ends of the sending window, or neither."))
        if low is not None and low > high:
            raise ValidationError(_("The sending window must start before it ends."))

    @property
    def remaining_fen(self) -> int | None:
        return None if self.budget_fen is None else max(self.budget_fen - self.spent_fen, 0)


class FollowUp(models.Model):
    """One case's follow-up by one campaign: timed work (a row with a due time) and its history in one."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")
        REFUSED = "refused", _("Refused")
        FAILED = "failed", _("Failed")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="followups", verbose_name=_("case"))
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="followups", verbose_name=_("campaign")
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer"))
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.SCHEDULED)
    triggered_at = models.DateTimeField(_("triggered"), default=timezone.now)
    due_at = models.DateTimeField(_("due"))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True, help_text=_("Why it was cancelled or refused."))
    message = models.ForeignKey(
        OutboundMessage,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followups",
        verbose_name=_("message"),
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    closed_at = models.DateTimeField(_("cancelled or refused"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [models.Index(fields=["state", "due_at"], name="followup_due")]
        constraints = [models.UniqueConstraint(fields=["case", "campaign"], name="followup_once_per_case")]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.case}"


def new_coupon_code() -> str:
    # 12 characters without look-alikes (0/O, 1/I): read out over the phone if need be.
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(12))


class Coupon(models.Model):
    class State(models.TextChoices):
        ISSUED = "issued", _("Issued")
        USED = "used", _("Used")
        EXPIRED = "expired", _("Expired")

    code = models.CharField(_("code"), max_length=20, unique=True, default=new_coupon_code)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="coupons", verbose_name=_("customer"))
    value_fen = models.PositiveIntegerField(_("value (fen)"))
    threshold_fen = models.PositiveIntegerField(_("minimum spend (fen)"), default=0, help_text=_("0: no threshold."))
    valid_until = models.DateTimeField(_("valid until"))
    reason = models.CharField(_("reason"), max_length=120, blank=True)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="coupons", verbose_name=_("case")
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, null=True, blank=True, related_name="coupons", verbose_name=_("campaign")
    )
    # One coupon per follow-up, whatever retries happen: the database refuses a second.
    followup = models.OneToOneField(
        FollowUp, on_delete=models.PROTECT, null=True, blank=True, related_name="coupon", verbose_name=_("follow-up")
    )
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.ISSUED)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        indexes = [
            models.Index(fields=["customer", "campaign", "issued_at"], name="coupon_cap"),
            models.Index(fields=["state", "valid_until"], name="coupon_expiry"),
        ]

    def __str__(self) -> str:
        return self.code
