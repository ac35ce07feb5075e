from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from backoffice.admin import ReadOnlyAdminMixin, money_column
from logistics.models import CourierContact, CustomerNotice, OutOfStockOffer, Problem, SweepRun, TrackingPoll


@admin.register(Problem)
class ProblemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Problems the detectors found; written by the sweep only."""

    list_display = ["detected_at", "kind", "stage", "source", "order", "case", "cleared_at", "cleared_reason"]
    list_filter = ["kind", "stage", "source", ("cleared_at", admin.EmptyFieldListFilter)]
    search_fields = ["order__number", "case__number"]
    list_select_related = ["order", "case"]
    date_hierarchy = "detected_at"
    ordering = ["-detected_at"]


@admin.register(SweepRun)
class SweepRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["started_at", "full", "opened", "escalated", "cleared", "auto_closed", "seconds", "triggered_by"]
    list_filter = ["full"]
    ordering = ["-started_at"]


@admin.register(TrackingPoll)
class TrackingPollAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """When each parcel in transit is next asked about, and how its last attempts went."""

    list_display = ["shipment", "next_poll_at", "failures", "last_polled_at", "last_error"]
    list_filter = [("last_error", admin.EmptyFieldListFilter)]
    search_fields = ["shipment__tracking_no"]
    list_select_related = ["shipment__courier"]
    ordering = ["next_poll_at"]


@admin.register(CourierContact)
class CourierContactAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "case", "courier", "channel", "contact", "result", "next_check_at", "actor"]
    list_filter = ["courier", "channel"]
    search_fields = ["case__number", "contact"]
    list_select_related = ["case", "courier", "actor"]
    ordering = ["-at"]


@admin.register(OutOfStockOffer)
class OutOfStockOfferAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "offered_at",
        "case",
        "order",
        "wait_days",
        money_column("coupon_fen", _("coupon")),
        "choice",
        "wait_until",
        "refund_case",
    ]
    list_filter = ["choice"]
    search_fields = ["case__number", "order__number"]
    list_select_related = ["case", "order", "refund_case"]
    ordering = ["-offered_at"]


@admin.register(CustomerNotice)
class CustomerNoticeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "kind", "order", "message"]
    list_filter = ["kind"]
    search_fields = ["order__number"]
    list_select_related = ["order", "message"]
    ordering = ["-at"]
