from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = _("Store")

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in

        from backoffice.cases.audit_guard import reinstall_after_migrate
        from backoffice.staff.lockout import on_user_locked_out, on_user_logged_in
        from backoffice.staff.roles import ensure_role_groups
        from backoffice.store.defaults import ensure_store_defaults

        # django-axes' hook: a login lock-out goes into the audit log.
        user_locked_out.connect(on_user_locked_out, dispatch_uid="backoffice.staff.lockout.audit")
        user_logged_in.connect(on_user_logged_in, dispatch_uid="backoffice.staff.lockout.clear_own_failures")

        # A change of the store's settings, hours, holidays, texts or rules is seen by the rest of the request or task
        # that made it (backoffice.store.cache).
        from backoffice.models import AutoReplyRule, BusinessHours, Holiday, MessageTemplate, StoreSettings
        from backoffice.store.cache import forget_when_saved

        forget_when_saved(StoreSettings, BusinessHours, Holiday, MessageTemplate, AutoReplyRule)

        # django-tables2 reads each render method's signature once, not once per cell.
        from backoffice.cases.tables import install_kept_signatures

        install_kept_signatures()

        # After every app, not only this one: the permissions of later apps exist only once their turn came.
        post_migrate.connect(ensure_role_groups, dispatch_uid="backoffice.ensure_role_groups")
        post_migrate.connect(ensure_store_defaults, sender=self, dispatch_uid="backoffice.ensure_store_defaults")
        # SQLite drops a table's triggers when a migration rebuilds it: the audit guard is put back after each migrate.
        post_migrate.connect(reinstall_after_migrate, sender=self, dispatch_uid="backoffice.cases.audit_guard")


class LoginLockoutsConfig(AxesConfig):
    verbose_name = _("Login lock-outs")


class StoreAdminConfig(AdminConfig):
    default_site = "backoffice.admin_site.StoreAdminSite"
