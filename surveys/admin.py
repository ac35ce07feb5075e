"""Django admin for surveys: the store's survey settings and reason list are edited here; answers and calls are read."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from backoffice.admin import ReadOnlyAdminMixin, SingleRecordAdminMixin, code_column, short_text
from backoffice.models import CaseEvent, EventType
from surveys.models import CallAttempt, CallBack, Survey, SurveyReason, SurveySettings


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


@admin.register(SurveySettings)
class SurveySettingsAdmin(SingleRecordAdminMixin, admin.ModelAdmin):
    fields = [
        "enabled",
        "delivery",
        "followup_wait_hours",
        "valid_days",
        "callback_hours",
        "callback_retry_hours",
        "updated_at",
    ]
    readonly_fields = ["updated_at"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        changed = [name for name in form.changed_data if name in form.cleaned_data]
        if changed:
            # Who changed when surveys go out, or how fast call-backs are due, is part of the audit trail.
            CaseEvent.objects.create(
                actor=request.user,
                type=EventType.SETTINGS_CHANGED,
                target=f"surveysettings:{obj.pk}",
                before={name: _plain(form.initial.get(name)) for name in changed},
                after={name: _plain(form.cleaned_data[name]) for name in changed},
            )


@admin.register(SurveyReason)
class SurveyReasonAdmin(admin.ModelAdmin):
    list_display = ["label", code_column("code", pgettext_lazy("identifier", "code")), "sort_order", "active"]
    list_editable = ["sort_order", "active"]
    search_fields = ["label", "code"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Answers and calls point at reasons; switch one off instead.
        return False


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Answers come from customers only; listed here to look at and export."""

    list_display = ["case", "sent_at", "sent_via", "answer", "answered_at", "comment_short", "expires_at"]
    list_filter = ["answer", "sent_via", ("answered_at", admin.EmptyFieldListFilter)]
    search_fields = ["case__number", "case__customer__nickname", "comment"]
    list_select_related = ["case"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    exclude = ["token_hash"]

    @admin.display(description=_("comment"))
    def comment_short(self, obj: Survey) -> str:
        return short_text(obj.comment)


class CallAttemptInline(admin.TabularInline):
    model = CallAttempt
    fields = ["at", "actor", "reached", "retry_at", "category", "notes", "coupon_fen", "aftersales_case"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CallBack)
class CallBackAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["case", "survey", "created_at", "reached", "category"]
    list_filter = ["reached", "category"]
    search_fields = ["case__number", "survey__case__number"]
    list_select_related = ["case", "survey__case", "category"]
    inlines = [CallAttemptInline]
