"""Per-person desk settings: whether an agent is on duty, and how many open cases they may hold."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
