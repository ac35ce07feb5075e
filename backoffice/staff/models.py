"""Per-person desk settings: whether an agent is on duty, and how many open cases they may hold."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.cases.models import Case


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile", verbose_name=_("user")
    )
    on_duty = models.BooleanField(_("on duty"), default=False)
    on_duty_changed_at = models.DateTimeField(_("on duty changed"), null=True, blank=True)
    max_open_cases = models.PositiveIntegerField(
        _("open cases at most"), default=20, help_text=_("Automatic assignment stops giving this person cases here.")
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return str(self.user)


# Notices for staff that stay until read: shown on their queue page and as a count in the navigation.
class Notification(models.Model):
    class Kind(models.TextChoices):
        PLATFORM_INTERVENED = "platform_intervened", _("Platform intervened")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind)
    body = models.CharField(_("text"), max_length=300)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]
        constraints = [
            # One notice per person, case and kind: a status reported twice does not notify twice.
            models.UniqueConstraint(fields=["recipient", "case", "kind"], name="notification_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient}"
