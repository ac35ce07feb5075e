"""When each periodic task last ran: the proof that beat and the workers are alive, read by /healthz."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SweepRun(models.Model):
    """One row per beat entry (sweep-outbox, sweep-followups …), updated each time its task finishes."""

    name = models.CharField(_("periodic task"), max_length=60, unique=True)
    first_seen_at = models.DateTimeField(_("first seen"), default=timezone.now)
    last_ran_at = models.DateTimeField(_("last ran"), null=True, blank=True)

    class Meta:
        verbose_name = _("periodic task run")
        verbose_name_plural = _("periodic task runs")

    def __str__(self) -> str:
        return self.name
