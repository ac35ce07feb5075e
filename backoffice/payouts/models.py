from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.cases.models import Case
from backoffice.platform.models import Order


class Payout(models.Model):
    """Money that went back to a customer for a case: a refund or a compensation (A2, A3, A5, L3)."""

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
        # The table keeps the name it had when payouts belonged to the after-sales desk (no data moved).
        db_table = "aftersales_payout"
        indexes = [
            models.Index(fields=["order", "kind"], name="aftersales__order_i_e59a54_idx"),
            models.Index(fields=["created_at"], name="aftersales__created_49e764_idx"),
            models.Index(fields=["state", "confirmed_at"], name="payout_state"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_fen}"
