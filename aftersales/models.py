from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.models import Case


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
