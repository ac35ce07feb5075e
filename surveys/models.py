"""Satisfaction surveys (A12) and the call-backs that follow an unhappy answer (A13).

A survey belongs to one closed case and is reached through a link whose token only the customer got;
the database keeps the token's hash. A dissatisfied answer opens one call-back case on the supervisors' desk.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.models import Case, CaseKind
from backoffice.store.cache import kept


class SurveySettings(models.Model):
    """The store's survey choices: one record, edited in Django admin."""

    class Delivery(models.TextChoices):
        ALONE = "alone", _("On its own, when the case closes")
        IN_FOLLOWUP = "followup", _("Inside the follow-up message")

    enabled = models.BooleanField(_("send surveys"), default=True)
    delivery = models.CharField(_("how the survey goes out"), max_length=10, choices=Delivery, default=Delivery.ALONE)
    followup_wait_hours = models.PositiveIntegerField(
        _("wait for the follow-up message (hours)"),
        default=72,
        help_text=_(
            "Inside the follow-up: a closed case that gets no follow-up message by then is sent the survey on its own."
        ),
    )
    valid_days = models.PositiveIntegerField(_("link valid for (days)"), default=14)
    callback_hours = models.PositiveIntegerField(
        _("call back within (business hours)"), default=24, help_text=_("A13: the call-back's SLA.")
    )
    callback_retry_hours = models.PositiveIntegerField(
        _("try an unreached customer again after (business hours)"),
        default=2,
        help_text=_("A13: when a call did not reach the customer, the call-back comes due again this much later."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("survey settings")
        verbose_name_plural = _("survey settings")

    def __str__(self) -> str:
        return str(_("Survey settings"))

    @classmethod
    def load(cls) -> "SurveySettings":
        """The one row (read once per request or task, like the store's settings)."""
        return kept("survey_settings", lambda: cls.objects.get_or_create(pk=1)[0])


class SurveyReason(models.Model):
    """What a customer can tick as the reason for the answer, and what a call-back finds: the admin's list."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    label = models.CharField(_("label"), max_length=40, help_text=_("Shown to customers, in Chinese."))
    sort_order = models.PositiveIntegerField(_("order"), default=100)
    active = models.BooleanField(_("active"), default=True, help_text=_("Off: no longer offered; old answers keep it."))

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("survey reason")
        verbose_name_plural = _("survey reasons")

    def __str__(self) -> str:
        return self.label


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Survey(models.Model):
    """One per closed case (A12): sent once, answered once."""

    class Answer(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        NEUTRAL = "neutral", _("Neutral")
        DISSATISFIED = "dissatisfied", _("Dissatisfied")

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="survey", verbose_name=_("case"))
    delivery = models.CharField(_("delivery"), max_length=10, choices=SurveySettings.Delivery)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Inside-the-follow-up surveys wait for their message until then; the beat sweep sends the rest on their own.
    send_after = models.DateTimeField(_("send on its own after"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    sent_via = models.CharField(_("sent with"), max_length=10, choices=SurveySettings.Delivery, blank=True)
    expires_at = models.DateTimeField(_("link expires"), null=True, blank=True)
    answer = models.CharField(_("answer"), max_length=12, choices=Answer, blank=True)
    reasons = models.ManyToManyField(
        SurveyReason, through="SurveyAnswerReason", related_name="surveys", verbose_name=_("reasons"), blank=True
    )
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    # Taken from the case when the answer comes, so the results group answers without joining the cases.
    answered_week = models.DateField(_("week answered (Monday)"), null=True, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent of the case"),
    )
    case_kind = models.CharField(_("case kind"), max_length=20, choices=CaseKind, blank=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        indexes = [
            models.Index(fields=["answered_at"], name="survey_answered"),
            models.Index(fields=["sent_at"], name="survey_sent"),
            models.Index(
                fields=["send_after"], condition=models.Q(sent_at__isnull=True), name="survey_waiting_to_send"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(answered_at__isnull=True) | ~models.Q(answer=""), name="survey_answer_with_time"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case.number}: {self.get_answer_display() or '—'}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())


class SurveyAnswerReason(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="answer_reasons")
    reason = models.ForeignKey(SurveyReason, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey", "reason"], name="survey_reason_once")]

    def __str__(self) -> str:
        return f"{self.survey_id}: {self.reason_id}"


class CallBack(models.Model):
    """A13: the call-back case a dissatisfied answer opened; exactly one per survey."""

    survey = models.OneToOneField(Survey, on_delete=models.PROTECT, related_name="callback", verbose_name=_("survey"))
    case = models.OneToOneField(
        Case, on_delete=models.PROTECT, related_name="callback", verbose_name=_("call-back case")
    )
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    # The latest call's outcome, for the queue and the results.
    reached = models.BooleanField(_("reached"), null=True, blank=True)
    category = models.ForeignKey(
        SurveyReason,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unhappy about"),
    )

    class Meta:
        verbose_name = _("call-back")
        verbose_name_plural = _("call-backs")

    def __str__(self) -> str:
        return self.case.number


class CallAttempt(models.Model):
    """One phone call: reached or not, what the customer was unhappy about, what was done."""

    callback = models.ForeignKey(CallBack, on_delete=models.PROTECT, related_name="attempts")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("time"), default=timezone.now)
    reached = models.BooleanField(_("reached"))
    retry_at = models.DateTimeField(_("try again at"), null=True, blank=True)
    category = models.ForeignKey(
        SurveyReason,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unhappy about"),
    )
    notes = models.TextField(_("notes"), blank=True)
    coupon_fen = models.PositiveIntegerField(_("coupon (fen)"), default=0)
    coupon_ref = models.CharField(_("coupon"), max_length=80, blank=True)
    aftersales_case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("new after-sales case"),
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")

    def __str__(self) -> str:
        return f"{self.callback} {self.at:%Y-%m-%d %H:%M}"
