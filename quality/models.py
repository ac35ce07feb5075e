"""Quality review (质检): the store's scorecard, the weekly sample of cases to review, the reviews with their scores,
the agents' answers to them, and the phrases a reply must not contain.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.models import Case


class QualitySettings(models.Model):
    """The store's sampling rules: one record, edited in Django admin."""

    sample_percent = models.PositiveSmallIntegerField(
        _("sample of closed cases per agent and week (%)"), default=5, help_text=_("Drawn at random, reproducibly.")
    )
    sample_minimum = models.PositiveSmallIntegerField(
        _("at least (cases per agent and week)"),
        default=3,
        help_text=_("Fewer only when the agent closed fewer cases that week."),
    )
    payout_review_over_fen = models.PositiveIntegerField(
        _("review every case paid out more than (yuan)"),
        default=10000,
        help_text=_("Refunds and compensations of the case added up."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("quality review settings")
        verbose_name_plural = _("quality review settings")

    def __str__(self) -> str:
        return str(_("Quality review settings"))

    def clean(self) -> None:
        if self.sample_percent > 100:
            raise ValidationError(_("The sample cannot be more than 100 %."))

    @classmethod
    def load(cls) -> "QualitySettings":
        row = cls.objects.filter(pk=1).first()
        if row is None:
            row, _created = cls.objects.get_or_create(pk=1)
        return row


class Scorecard(models.Model):
    """The criteria a reviewer scores. The newest active scorecard is the one new reviews use."""

    name = models.CharField(_("name"), max_length=60)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> "Scorecard | None":
        return cls.objects.filter(active=True).order_by("-created_at", "-id").first()


class Criterion(models.Model):
    """One line of the scorecard: scored from 0 to `scale`, counted with `weight`.

    A critical criterion is pass / fail: failing it zeroes the whole review's score.
    """

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("name"), max_length=40)
    description = models.CharField(_("description"), max_length=300, blank=True)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1, help_text=_("Ignored for critical criteria."))
    scale = models.PositiveSmallIntegerField(
        _("scale"), default=5, help_text=_("Scored from 0 to this number; critical criteria are pass / fail.")
    )
    critical = models.BooleanField(
        _("critical error"), default=False, help_text=_("Failing it zeroes the score of the whole review.")
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.critical and (self.scale < 1 or self.scale > 10):
            raise ValidationError(_("The scale is from 1 to 10 points."))
        if not self.critical and self.weight < 1:
            raise ValidationError(_("A criterion needs a weight of at least 1."))

    @property
    def max_points(self) -> int:
        return 1 if self.critical else self.scale


class SampleDraw(models.Model):
    """The record of one week's draw: the seed of each agent's sample and why each case was added."""

    week = models.DateField(_("week (Monday)"), unique=True)
    drawn_at = models.DateTimeField(_("drawn"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("drawn by"),
        help_text=_("Empty: the weekly task."),
    )
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-week"]
        verbose_name = _("sample draw")
        verbose_name_plural = _("sample draws")

    def __str__(self) -> str:
        return f"{self.week:%Y-%m-%d}"


class ReviewReason(models.TextChoices):
    SAMPLE = "sample", _("Random sample")
    DISSATISFIED = "dissatisfied", _("Dissatisfied survey")
    REOPENED = "reopened", _("Reopened")
    PAYOUT = "payout", _("Large payout")
    PHRASE = "phrase", _("Warned phrase sent")
    MANUAL = "manual", _("Added by hand")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("To review")
    REVIEWED = "reviewed", _("Reviewed")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    DISPUTED = "disputed", _("Disputed")
    RESOLVED = "resolved", _("Dispute resolved")


# Reviews that carry a score (what reports count).
SCORED_STATUSES = (ReviewStatus.REVIEWED, ReviewStatus.ACKNOWLEDGED, ReviewStatus.DISPUTED, ReviewStatus.RESOLVED)


class Review(models.Model):
    """One case's quality review for the agent who handled it, in the week the work was done."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="qa_reviews", verbose_name=_("case"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="qa_reviews", verbose_name=_("agent")
    )
    week = models.DateField(_("week (Monday)"))
    reasons = models.JSONField(_("why reviewed"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ReviewStatus, default=ReviewStatus.PENDING)
    draw = models.ForeignKey(
        SampleDraw, on_delete=models.PROTECT, null=True, blank=True, related_name="reviews", verbose_name=_("draw")
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("scorecard")
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=4, decimal_places=1, null=True, blank=True)
    critical_failed = models.BooleanField(_("critical error"), default=False)
    note = models.TextField(_("overall note"), blank=True)

    agent_note = models.TextField(_("agent's note"), blank=True)
    responded_at = models.DateTimeField(_("answered by the agent"), null=True, blank=True)
    dispute_handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dispute goes to"),
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolution_note = models.TextField(_("resolution"), blank=True)

    class Meta:
        ordering = ["-week", "-created_at", "-id"]
        verbose_name = _("quality review")
        verbose_name_plural = _("quality reviews")
        indexes = [
            models.Index(fields=["status", "week"], name="qa_review_status_week"),
            models.Index(fields=["agent", "week"], name="qa_review_agent_week"),
        ]
        constraints = [models.UniqueConstraint(fields=["case", "week"], name="qa_review_once_per_case_week")]

    def __str__(self) -> str:
        return f"{self.case} · {self.week:%Y-%m-%d}"

    @property
    def reason_labels(self) -> list[str]:
        labels = dict(ReviewReason.choices)
        return [str(labels.get(reason, reason)) for reason in self.reasons]

    @property
    def is_scored(self) -> bool:
        return self.status in SCORED_STATUSES


class ReviewScore(models.Model):
    """A criterion's points in one review, with the criterion as it was when scored (the scorecard may change)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores", verbose_name=_("review"))
    criterion = models.ForeignKey(
        Criterion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("criterion")
    )
    name = models.CharField(_("criterion"), max_length=40)
    weight = models.PositiveSmallIntegerField(_("weight"))
    scale = models.PositiveSmallIntegerField(_("scale"))
    critical = models.BooleanField(_("critical error"), default=False)
    points = models.PositiveSmallIntegerField(_("points"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("criterion score")
        verbose_name_plural = _("criterion scores")

    def __str__(self) -> str:
        return f"{self.name}: {self.points}/{self.scale}"

    @property
    def missed(self) -> bool:
        """Below full marks (a failed critical criterion too)."""
        return self.points < self.scale


class Severity(models.TextChoices):
    BLOCK = "block", _("Block: cannot be sent")
    WARN = "warn", _("Warn: needs a confirmation")


class BannedPhrase(models.Model):
    """A phrase a reply must not contain (the platform punishes it) — or must be confirmed and is reviewed."""

    phrase = models.CharField(
        _("phrase"),
        max_length=60,
        unique=True,
        help_text=_(
            "Matched ignoring spaces, punctuation, full-width letters and common variants (V信, vx, 薇信 → 微信). "
            "A * stands for up to 4 characters in between: 好评*返 matches 好评后返您 5 元."
        ),
    )
    severity = models.CharField(_("severity"), max_length=5, choices=Severity, default=Severity.BLOCK)
    reason = models.CharField(_("reason shown"), max_length=200)
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["severity", "phrase"]
        verbose_name = _("banned phrase")
        verbose_name_plural = _("banned phrases")

    def __str__(self) -> str:
        return self.phrase

    def clean(self) -> None:
        from quality.phrases import normalise

        if not normalise(self.phrase.replace("*", "")).text:
            raise ValidationError(_("The phrase needs at least one letter or character besides punctuation."))
