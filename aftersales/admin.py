from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from backoffice.admin import ReadOnlyAdminMixin, money_column
from backoffice.payouts.models import Payout


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Money that went back to customers: written by the after-sales services only, listed here for the books."""

    list_display = ["created_at", "case", "order", "kind", money_column("amount_fen", _("amount")), "actor"]
    list_filter = ["kind"]
    search_fields = ["case__number", "order__number"]
    list_select_related = ["case", "order", "actor"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
