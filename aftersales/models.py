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
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        indexes = [models.Index(fields=["order", "kind"]), models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_fen}"
