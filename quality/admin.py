"""Django admin for quality review: the store admin edits the scorecard, the sampling rules and the banned phrases
here (every change audited); reviews and draws are read here and worked on the supervisor desk."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from backoffice.admin import ReadOnlyAdminMixin, SingleRecordAdminMixin, YuanAmountsMixin, short_text
from backoffice.supervisor.audit import AuditedAdminMixin
from quality.models import BannedPhrase, Criterion, QualitySettings, Review, ReviewScore, SampleDraw, Scorecard


@admin.register(QualitySettings)
class QualitySettingsAdmin(YuanAmountsMixin, SingleRecordAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    fields = ["sample_percent", "sample_minimum", "payout_review_over_fen", "updated_at"]
    readonly_fields = ["updated_at"]


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 1
    fields = ["sort_order", "name", "description", "weight", "scale", "critical"]


@admin.register(Scorecard)
class ScorecardAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "active", "created_at", "criteria_count"]
    list_filter = ["active"]
    inlines = [CriterionInline]

    @admin.display(description=_("criteria"))
    def criteria_count(self, obj: Scorecard) -> int:
        return obj.criteria.count()


@admin.register(BannedPhrase)
class BannedPhraseAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["phrase", "severity", "active", "short_reason", "updated_at"]
    list_editable = ["severity", "active"]
    list_filter = ["severity", "active"]
    search_fields = ["phrase", "reason"]

    @admin.display(description=_("reason shown"))
    def short_reason(self, obj: BannedPhrase) -> str:
        return short_text(obj.reason)


class ReviewScoreInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ReviewScore
    extra = 0
    fields = ["name", "weight", "scale", "critical", "points", "comment"]
    readonly_fields = fields


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["case", "agent", "week", "status", "score", "critical_failed", "reviewer", "reviewed_at"]
    list_filter = ["status", "week", "critical_failed"]
    search_fields = ["case__number", "agent__username"]
    list_select_related = ["case", "agent", "reviewer"]
    inlines = [ReviewScoreInline]


@admin.register(SampleDraw)
class SampleDrawAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["week", "drawn_at", "actor"]
