"""Django admin for login lock-outs: store admins see the failed-login counters and lift a lock-out (audited).

django-axes' own admin is switched off (AXES_ENABLE_ADMIN = False): its delete would lift a lock-out unaudited.
"""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from backoffice.staff import lockout


@admin.register(AccessAttempt)
class LoginLockoutAdmin(AccessAttemptAdmin):
    """Failed logins per username and address; "Unlock" (or deleting a row) lifts the lock-out and audits it."""

    actions = ["unlock_selected"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Unlock the selected logins"), permissions=["delete"])
    def unlock_selected(self, request, queryset) -> None:
        count = lockout.unlock(actor=request.user, attempts=queryset)
        self.message_user(
            request,
            ngettext("%(count)d login unlocked.", "%(count)d logins unlocked.", count) % {"count": count},
            messages.SUCCESS,
        )

    def delete_model(self, request, obj) -> None:
        lockout.unlock(actor=request.user, attempts=AccessAttempt.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset) -> None:
        lockout.unlock(actor=request.user, attempts=queryset)

    def get_actions(self, request):
        # Django's "delete selected" does the same as Unlock; one button is clearer.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
