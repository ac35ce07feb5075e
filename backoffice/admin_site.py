from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from backoffice.staff.roles import is_store_admin


class StoreAdminSite(admin.AdminSite):
    site_header = _("Store administration")
    site_title = _("Store administration")
    index_title = _("Configure the store")

    def has_permission(self, request) -> bool:
        # Django admin is the store admins' tool only; agents and supervisors work in the desks.
        user = request.user
        return user.is_active and user.is_authenticated and is_store_admin(user)
