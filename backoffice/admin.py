"""Django admin: the store admins' tool for configuring the store. Cases change in the desks, never here."""

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext_lazy as _

from backoffice.cases.forms import YuanField
from backoffice.errors import DomainError
from backoffice.models import (
    AutoReplyRule,
    BusinessHours,
    Campaign,
    Case,
    CaseCounter,
    CaseEvent,
    Coupon,
    Courier,
    Customer,
    FollowUp,
    Holiday,
    Integration,
    MessageTemplate,
    Order,
    OrderItem,
    OutboundMessage,
    Product,
    QuickPhrase,
    Shipment,
    Sku,
    StaffProfile,
    StoreSettings,
    TrackingEvent,
    mask_phone,
)
from backoffice.platform.shipping import switch_to_presale as switch_product_to_presale
from backoffice.staff import lockout_admin  # noqa: F401 - registers the audited login lock-out admin
from backoffice.store.money import format_fen
from backoffice.supervisor.audit import AuditedAdminMixin, record_settings_change
from quality.forms import PhraseCheckedForm


class YuanAmountsMixin:
    """Amount fields (integer fen in the database) are typed and shown in yuan, 20.00, by the one money parser."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name.endswith("_fen") and isinstance(db_field, models.PositiveIntegerField) and db_field.editable:
            return YuanField(
                label=capfirst(db_field.verbose_name),
                required=not db_field.blank,
                help_text=db_field.help_text,
                initial=db_field.get_default() if db_field.has_default() else None,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 12}),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


def code_column(field: str, description):
    """A list column for an identifier staff type elsewhere (a template's key): shown as code, still sorted by it."""

    @admin.display(description=description, ordering=field)
    def column(obj) -> str:
        value = getattr(obj, field)
        return format_html("<code>{}</code>", value) if value else "—"

    column.__name__ = f"{field}_code"
    return column


def money_column(field: str, description):
    """A list column that shows an integer fen field as ¥12.50 and still sorts by the field."""

    @admin.display(description=description, ordering=field)
    def column(obj) -> str:
        return format_fen(getattr(obj, field))

    column.__name__ = f"{field}_money"
    return column


def short_text(value: str, words: int = 12) -> str:
    return Truncator(value or "").words(words)


class ReadOnlyAdminMixin:
    """For rows that only services write (audit, outbox, payouts): admins look, nobody edits here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SingleRecordAdminMixin:
    """For a settings model with one record (`Model.load()` makes it): the list opens that record, nobody adds
    another or deletes it."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        opts = self.model._meta
        return HttpResponseRedirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[self.model.load().pk])
        )


# --- Store settings (one record) -------------------------------------------------------------------------


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 0
    verbose_name_plural = _("Business hours (R1, R2: outside them the auto-reply answers)")


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0
    verbose_name_plural = _("Holidays and worked days (R2)")


@admin.register(StoreSettings)
class StoreSettingsAdmin(YuanAmountsMixin, SingleRecordAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    inlines = [BusinessHoursInline, HolidayInline]
    readonly_fields = ["updated_at"]
    fieldsets = [
        (_("Store"), {"fields": ["store_name", "return_address", "updated_at"]}),
        (
            _("Customer service (R1–R4)"),
            {
                "fields": ["first_response_minutes", ("r1_window_opens", "r1_window_closes")],
                "description": _(
                    "Business hours and holidays are below; quick phrases (R3, R4) and auto-reply rules (A6) "
                    "have their own pages. The reply-rate window is how the platform measures R1, apart from "
                    "the store's own hours."
                ),
            },
        ),
        (
            _("Logistics (L1–L6)"),
            {
                "fields": [
                    "ship_within_hours",
                    "ship_warning_hours",
                    "holidays_pause_ship_clock",
                    "presale_default_days",
                    "first_tracking_event_hours",
                    "tracking_stall_hours",
                    "shipment_notice_minutes",
                    "notice_lookback_hours",
                    ("expected_delivery_days_min", "expected_delivery_days_max"),
                    "remote_provinces",
                    ("remote_delivery_days_min", "remote_delivery_days_max"),
                    ("shipping_problem_act_hours", "tracking_problem_act_hours"),
                ],
                "description": _(
                    "The presale days apply when a product is switched to presale (Products → action). The act-within "
                    "hours are the deadlines of new logistics cases."
                ),
            },
        ),
        (
            _("After-sales (A5–A7)"),
            {
                "fields": [
                    "auto_refund_threshold_fen",
                    "small_defect_compensation_fen",
                    "first_handling_minutes",
                    ("refund_handle_hours", "return_review_hours", "exchange_review_hours"),
                    ("compensation_handle_hours", "reship_handle_hours", "review_handle_hours"),
                    "due_soon_minutes",
                    "auto_assign",
                ],
                "description": _("Amounts are in yuan, e.g. 20.00."),
            },
        ),
        (
            _("Coupons & follow-ups (A9, A10, L3)"),
            {
                "fields": [
                    ("followup_delay_min_hours", "followup_delay_max_hours"),
                    "out_of_stock_wait_days",
                    "sms_channel",
                    "settled_close_hours",
                ],
                "description": _(
                    "Each coupon's value is set on its campaign (Coupon campaigns): the messages quote that value."
                ),
            },
        ),
    ]

    def has_add_permission(self, request) -> bool:
        # One store, one record: it is created after migrate, so "add" only shows on an empty database.
        return admin.ModelAdmin.has_add_permission(self, request) and not StoreSettings.objects.exists()


# --- Cases and their audit trail ---------------------------------------------------------------------------


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    fields = ["at", "type", "actor", "body"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the desks change cases through services that check the state table and write the timeline."""

    list_display = [
        "number",
        "desk",
        "kind",
        "status",
        "priority",
        "assignee",
        "customer",
        money_column("amount_fen", _("requested")),
        money_column("resolved_amount_fen", _("paid out")),
        "due_at",
        "created_at",
    ]
    list_filter = ["desk", "kind", "status", "priority", ("assignee", admin.RelatedOnlyFieldListFilter), "reason"]
    search_fields = ["number", "subject", "external_id", "order__number", "customer__nickname", "customer__pdd_user_id"]
    list_select_related = ["assignee", "customer"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    inlines = [CaseEventInline]


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail is append-only: no add, change or delete here, not even for superusers."""

    list_display = ["at", "type", "case", "actor", "target", "summary"]
    list_filter = ["type", ("actor", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["case__number", "target", "body"]
    list_select_related = ["case", "actor"]
    date_hierarchy = "at"
    ordering = ["-at", "-id"]

    @admin.display(description=_("text"))
    def summary(self, obj: CaseEvent) -> str:
        return short_text(obj.body)


@admin.register(CaseCounter)
class CaseCounterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["prefix", "day", "last"]
    list_filter = ["prefix"]
    ordering = ["-day", "prefix"]


# --- What the store says to customers ----------------------------------------------------------------------


@admin.register(MessageTemplate)
class MessageTemplateAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = PhraseCheckedForm  # the banned-phrase check (QA-5)
    list_display = [code_column("key", _("key")), "name", "channel", "active", "preview"]
    list_filter = ["channel", "active"]
    search_fields = ["key", "name", "body"]

    @admin.display(description=_("text"))
    def preview(self, obj: MessageTemplate) -> str:
        return short_text(obj.body)

    def get_readonly_fields(self, request, obj=None):
        # The code finds templates by key: renaming one would silently stop its messages.
        return ["key"] if obj is not None else []


@admin.register(QuickPhrase)
class QuickPhraseAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = PhraseCheckedForm  # the banned-phrase check (QA-5)
    list_display = ["title", "category", "sort_order", "active", "preview"]
    list_editable = ["sort_order", "active"]
    list_filter = ["active", "category"]
    search_fields = ["title", "category", "body"]

    @admin.display(description=_("text"))
    def preview(self, obj: QuickPhrase) -> str:
        return short_text(obj.body)


@admin.register(AutoReplyRule)
class AutoReplyRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "keywords", "template", "priority", "active"]
    list_editable = ["priority", "active"]
    list_filter = ["active"]
    search_fields = ["name", "keywords"]
    list_select_related = ["template"]


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "customer",
        "case",
        "channel",
        code_column("template_key", _("template")),
        "state",
        "attempts",
        "sent_at",
    ]
    list_filter = ["state", "channel", "template_key"]
    search_fields = ["customer__nickname", "case__number", "body", "idempotency_key"]
    list_select_related = ["customer", "case"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]


@admin.register(Integration)
class IntegrationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """A gateway's token is shown once, when it is made; only its hash is kept."""

    list_display = ["name", "token_hint", "active", "created_at", "last_used_at"]
    list_filter = ["active"]
    search_fields = ["name"]
    readonly_fields = ["token_hint", "created_at", "last_used_at"]
    actions = ["issue_new_tokens"]

    def save_model(self, request, obj: Integration, form, change) -> None:
        token = None if change else obj.issue_token()
        super().save_model(request, obj, form, change)
        if token:
            self._show_token_once(request, obj, token)

    @admin.action(description=_("Issue a new token (the old one stops working)"), permissions=["change"])
    def issue_new_tokens(self, request, queryset) -> None:
        for integration in queryset:
            token = integration.issue_token()
            integration.save(update_fields=["token_hash", "token_hint"])
            # The token itself is never stored; the audit says who replaced it.
            record_settings_change(
                actor=request.user, instance=integration, before={"token": "old"}, after={"token": "new"}
            )
            self._show_token_once(request, integration, token)

    def _show_token_once(self, request, integration: Integration, token: str) -> None:
        messages.success(
            request,
            _("Token for %(name)s: %(token)s — copy it now, it will not be shown again.")
            % {"name": integration.name, "token": token},
        )


# --- The store's own data ------------------------------------------------------------------------------------


@admin.register(Courier)
class CourierAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "phone", "active"]
    list_filter = ["active"]
    search_fields = ["name", "code"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["nickname", "pdd_user_id", "name", "phone_masked", "region", "created_at"]
    search_fields = ["nickname", "pdd_user_id", "name", "=phone"]
    list_filter = ["province"]
    ordering = ["-created_at"]

    @admin.display(description=_("phone"))
    def phone_masked(self, obj: Customer) -> str:
        return mask_phone(obj.phone)

    @admin.display(description=_("region"))
    def region(self, obj: Customer) -> str:
        return obj.region


class SkuInline(admin.TabularInline):
    model = Sku
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "goods_id", "category", "ship_within_hours", "presale_ship_by", "listed"]
    list_filter = ["category", "listed"]
    search_fields = ["name", "goods_id", "skus__code"]
    inlines = [SkuInline]
    actions = ["switch_to_presale"]

    @admin.action(description=_("Switch to presale (ships within the store's presale days, L2)"))
    def switch_to_presale(self, request: HttpRequest, queryset) -> None:
        store = StoreSettings.load()
        for product in queryset:
            switch_product_to_presale(product=product, actor=request.user, store=store)
        self.message_user(
            request,
            _("%(count)d products now ship within %(days)d days as presales.")
            % {"count": len(queryset), "days": store.presale_default_days},
        )


@admin.register(Sku)
class SkuAdmin(YuanAmountsMixin, admin.ModelAdmin):
    list_display = ["code", "product", "spec", money_column("price_fen", _("price")), "stock"]
    list_filter = ["product__category"]
    search_fields = ["code", "spec", "product__name"]
    list_select_related = ["product"]
    autocomplete_fields = ["product"]


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    autocomplete_fields = ["sku"]


class ShipmentInline(admin.TabularInline):
    model = Shipment
    extra = 0
    fields = ["courier", "tracking_no", "shipped_at", "state", "last_event_at", "delivered_at"]
    show_change_link = True


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "customer",
        "status",
        money_column("paid_fen", _("paid")),
        "paid_at",
        "ship_by",
        "shipped_at",
        "receiver_phone_masked",
    ]
    list_filter = ["status"]
    search_fields = ["number", "customer__nickname", "customer__pdd_user_id", "receiver_name", "=receiver_phone"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    date_hierarchy = "paid_at"
    ordering = ["-paid_at"]
    inlines = [OrderItemInline, ShipmentInline]

    @admin.display(description=_("receiver phone"))
    def receiver_phone_masked(self, obj: Order) -> str:
        return mask_phone(obj.receiver_phone)


class TrackingEventInline(admin.TabularInline):
    model = TrackingEvent
    extra = 0


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["tracking_no", "courier", "order", "state", "shipped_at", "last_event_at", "delivered_at"]
    list_filter = ["state", "courier"]
    search_fields = ["tracking_no", "order__number"]
    list_select_related = ["courier", "order"]
    autocomplete_fields = ["order"]
    inlines = [TrackingEventInline]


@admin.register(TrackingEvent)
class TrackingEventAdmin(admin.ModelAdmin):
    list_display = ["at", "shipment", "state", "place", "description"]
    list_filter = ["state"]
    search_fields = ["shipment__tracking_no", "place", "description"]
    list_select_related = ["shipment", "shipment__courier"]
    autocomplete_fields = ["shipment"]


# --- Follow-up coupon campaigns (A9, A10, L3) -----------------------------------------------------------------


@admin.register(Campaign)
class CampaignAdmin(YuanAmountsMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "trigger",
        "active",
        money_column("coupon_value_fen", _("coupon")),
        money_column("threshold_fen", _("minimum spend")),
        "window",
        "cap",
        money_column("budget_fen", _("budget")),
        money_column("spent_fen", _("issued so far")),
    ]
    list_filter = ["active", "trigger"]
    list_editable = ["active"]
    search_fields = ["key", "name"]
    list_select_related = ["template"]
    readonly_fields = ["spent", "created_at"]
    fieldsets = [
        (None, {"fields": ["key", "name", "trigger", "active", "template"]}),
        (_("When"), {"fields": ["delay_min_hours", "delay_max_hours"]}),
        (_("Coupon"), {"fields": ["coupon_value_fen", "threshold_fen", "valid_days"]}),
        (_("Limits"), {"fields": ["cap_per_customer", "cap_days", "budget_fen", "spent", "created_at"]}),
    ]

    @admin.display(description=_("issued so far"))
    def spent(self, obj: Campaign) -> str:
        return format_fen(obj.spent_fen)

    @admin.display(description=_("send after (hours)"))
    def window(self, obj: Campaign) -> str:
        if obj.delay_min_hours is None:
            return str(_("store default"))
        return f"{obj.delay_min_hours}–{obj.delay_max_hours}"

    @admin.display(description=_("per customer"))
    def cap(self, obj: Campaign) -> str:
        if not obj.cap_per_customer:
            return "—"
        return _("%(count)s per %(days)s days") % {"count": obj.cap_per_customer, "days": obj.cap_days}

    def get_readonly_fields(self, request, obj=None):
        # Follow-ups point at the campaign by key in their timeline: the key stays once made.
        return [*self.readonly_fields, "key"] if obj is not None else self.readonly_fields


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["case", "campaign", "customer", "state", "due_at", "sent_at", "attempts", "note"]
    list_filter = ["state", "campaign"]
    search_fields = ["case__number", "customer__nickname"]
    list_select_related = ["case", "campaign", "customer"]
    date_hierarchy = "due_at"
    ordering = ["-due_at"]


@admin.register(Coupon)
class CouponAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "code",
        "customer",
        money_column("value_fen", _("value")),
        money_column("threshold_fen", _("minimum spend")),
        "valid_until",
        "state",
        "campaign",
        "case",
        "issued_at",
    ]
    list_filter = ["state", "campaign"]
    search_fields = ["code", "customer__nickname", "case__number"]
    list_select_related = ["customer", "campaign", "case"]
    date_hierarchy = "issued_at"
    ordering = ["-issued_at"]
    actions = ["mark_used"]

    @admin.action(description=_("Mark as used"))
    def mark_used(self, request: HttpRequest, queryset) -> None:
        from backoffice.followups.coupons import mark_coupon_used

        done = 0
        for coupon in queryset.select_related("case"):
            try:
                mark_coupon_used(coupon=coupon, actor=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, str(exc), messages.WARNING)
        if done:
            self.message_user(request, _("%(count)s coupon(s) marked used.") % {"count": done}, messages.SUCCESS)


# --- Platform data in: file imports and the open-platform sync ----------------------------------------------------


from backoffice.platform.models import ImportJob, PlatformCredentials, SyncCursor, secret_hint  # noqa: E402


class PlatformCredentialsForm(forms.ModelForm):
    """The secret and the token are write-only here: an empty field keeps the stored value."""

    client_secret = forms.CharField(
        label=_("client secret"), required=False, widget=forms.PasswordInput(render_value=False)
    )
    access_token = forms.CharField(
        label=_("access token"), required=False, widget=forms.PasswordInput(render_value=False)
    )
    api_url = forms.URLField(label=_("API address"), assume_scheme="https", initial=PlatformCredentials.DEFAULT_API_URL)

    class Meta:
        model = PlatformCredentials
        fields = ["client_id", "client_secret", "access_token", "api_url", "sync_enabled", "initial_days"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("client_secret", "access_token"):
            current = secret_hint(getattr(self.instance, name, ""))
            self.fields[name].help_text = (
                _("Stored: %(hint)s — leave empty to keep it.") % {"hint": current} if current else _("Not set.")
            )

    def clean(self):
        cleaned = super().clean()
        for name in ("client_secret", "access_token"):
            if not cleaned.get(name):
                cleaned[name] = getattr(self.instance, name, "")
        return cleaned


@admin.register(PlatformCredentials)
class PlatformCredentialsAdmin(admin.ModelAdmin):
    form = PlatformCredentialsForm
    list_display = ["__str__", "client_id", "secret_hint", "token_hint", "sync_enabled", "source", "updated_at"]

    @admin.display(description=_("client secret"))
    def secret_hint(self, obj: PlatformCredentials) -> str:
        return obj.secret_hint

    @admin.display(description=_("access token"))
    def token_hint(self, obj: PlatformCredentials) -> str:
        return obj.token_hint

    @admin.display(description=_("in use"))
    def source(self, obj: PlatformCredentials) -> str:
        from backoffice.platform.pdd.client import Credentials

        credentials = Credentials.load()
        if credentials is None:
            return _("incomplete: the sync is off")
        return _("environment variables (they win)") if credentials.source == "environment" else _("these")

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not PlatformCredentials.objects.exists()


@admin.register(SyncCursor)
class SyncCursorAdmin(admin.ModelAdmin):
    """Where each stream's sync stands; moving `synced up to` back makes the next run read that time again."""

    list_display = ["stream", "synced_until", "last_run_at", "last_success_at", "last_error", "locked_until"]
    fields = ["stream", "synced_until", "last_run_at", "last_success_at", "last_error", "last_counts", "locked_until"]
    readonly_fields = ["stream", "last_run_at", "last_success_at", "last_error", "last_counts", "locked_until"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "job_link", "state", "created", "updated", "rejected", "created_by"]
    list_filter = ["kind", "state"]
    search_fields = ["original_name"]
    list_select_related = ["created_by"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]

    @admin.display(description=_("file"))
    def job_link(self, obj: ImportJob) -> str:
        return format_html('<a href="{}">{}</a>', reverse("imports:job", args=[obj.pk]), obj.original_name)


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "on_duty", "on_duty_changed_at", "max_open_cases")
    list_editable = ("max_open_cases",)
    list_filter = ("on_duty",)
    search_fields = ("user__username", "user__first_name", "user__last_name")
    readonly_fields = ("on_duty", "on_duty_changed_at")
