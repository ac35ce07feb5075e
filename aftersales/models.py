from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.models import Case, Order


class Payout(models.Model):
    """Money that went back to a customer for a case: a refund or a compensation (A2, A3, A5)."""

    class Kind(models.TextChoices):
        REFUND = "refund", _("Refund")
        COMPENSATION = "compensation", _("Compensation")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="payouts", verbose_name=_("case"))
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payouts", verbose_name=_("order"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SUCCEEDED = "succeeded", _("Arrived")
        FAILED = "failed", _("Failed")

    created_at = models.DateTimeField(_("time"), default=timezone.now)
    # A3/A9: the platform confirms the money arrived (or failed); the apology and the follow-up start from there.
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.REQUESTED)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
        help_text=_("Empty: the platform (sync or import)."),
    )

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        indexes = [
            models.Index(fields=["order", "kind"]),
            models.Index(fields=["created_at"]),
            models.Index(fields=["state", "confirmed_at"], name="payout_state"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_fen}"


class DefectOffer(models.Model):
    """A2: the choice offered to a customer with a small defect: a compensation and keep the item, or a free reship
    without returning the old one. The customer's answer is recorded, and the chosen resolution follows from it."""

    class Choice(models.TextChoices):
        PENDING = "pending", _("Waiting for the customer's choice")
        COMPENSATION = "compensation", _("Compensation, keeps the item")
        RESHIP = "reship", _("Free reship, no return")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="defect_offers", verbose_name=_("case"))
    compensation_fen = models.PositiveIntegerField(_("compensation offered (fen)"))
    choice = models.CharField(_("choice"), max_length=12, choices=Choice, default=Choice.PENDING)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("offered by")
    )
    offered_at = models.DateTimeField(_("offered"), default=timezone.now)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    chosen_at = models.DateTimeField(_("chosen"), null=True, blank=True)

    class Meta:
        ordering = ["-offered_at"]
        verbose_name = _("small-defect offer")
        verbose_name_plural = _("small-defect offers")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(choice="pending"), name="aftersales_defect_offer_one_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.get_choice_display()}"
