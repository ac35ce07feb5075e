"""Staff roles: agent, supervisor and store admin, as Django groups, with the access helpers views use."""

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.core.exceptions import PermissionDenied
from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from backoffice.prepared import ID, PreparedRead


class Role(TextChoices):
    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    STORE_ADMIN = "store_admin", _("Store admin")


# Django admin permissions each role's group carries. Audit events are never changeable by anyone.
ROLE_PERMISSIONS: dict[str, dict[str, Iterable[str]]] = {
    Role.AGENT: {"backoffice": ["view_case", "view_order", "view_customer", "view_quickphrase"]},
    Role.SUPERVISOR: {
        "backoffice": ["view_case", "change_case", "view_order", "view_customer", "view_caseevent"],
    },
    Role.STORE_ADMIN: {
        "backoffice": ["*"],
        "aftersales": ["*"],
        "logistics": ["*"],
        "surveys": ["*"],
        "quality": ["*"],
        "auth": ["*"],
        # Login lock-outs: look, and lift one (deleting the counter; backoffice/staff/lockout_admin.py audits it).
        "axes": ["view_accessattempt", "delete_accessattempt"],
    },
}
NEVER_GRANTED = {"change_caseevent", "delete_caseevent", "add_caseevent"}


def ensure_role_groups(**kwargs) -> None:
    """Create the role groups with their permissions (runs after every migrate)."""
    for role, apps in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        perms = []
        for app_label, codenames in apps.items():
            qs = Permission.objects.filter(content_type__app_label=app_label)
            if "*" not in codenames:
                qs = qs.filter(codename__in=list(codenames))
            perms.extend(p for p in qs if p.codename not in NEVER_GRANTED)
        group.permissions.set(perms)


# Read on every page: its SQL written once (backoffice.prepared).
_ROLE_NAMES = PreparedRead(lambda user_id: Group.objects.filter(user__id=user_id).values_list("name"), values=(ID,))


def user_roles(user) -> set[str]:
    if isinstance(user, AnonymousUser) or not user.is_authenticated:
        return set()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = {name for (name,) in _ROLE_NAMES.rows(user.pk)}
        if user.is_superuser:
            cached |= {Role.STORE_ADMIN, Role.SUPERVISOR}
        user._role_names = cached
    return cached


def has_role(user, *roles: str) -> bool:
    names = user_roles(user)
    # A supervisor can do an agent's work; a store admin sees everything.
    if Role.STORE_ADMIN in names:
        return True
    if Role.SUPERVISOR in names and Role.AGENT in roles:
        return True
    return bool(names & set(roles))


def is_agent(user) -> bool:
    return has_role(user, Role.AGENT)


def is_supervisor(user) -> bool:
    return has_role(user, Role.SUPERVISOR)


def is_store_admin(user) -> bool:
    return has_role(user, Role.STORE_ADMIN)


def display_name(*, username: str, first_name: str = "", last_name: str = "") -> str:
    """Chinese order: family name first, no space (王小丽); the username when no name is set. The one place a staff
    name is put together (Django's full name would give 小丽 王)."""
    return f"{last_name or ''}{first_name or ''}".strip() or username


def staff_display_name(user) -> str:
    return display_name(username=user.get_username(), first_name=user.first_name, last_name=user.last_name)


def staff_choice_label(user) -> str:
    """王小丽 (agent1): a person in a list to pick from (filters, assignment, the audit log), by the name staff know
    each other by and the login that tells namesakes apart."""
    name = staff_display_name(user)
    return f"{name} ({user.get_username()})" if name != user.get_username() else name


def require_role(user, *roles: str) -> None:
    if not has_role(user, *roles):
        raise PermissionDenied(_("Your role does not allow this page."))


def roles_context(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "is_agent": is_agent(user),
        "is_supervisor": is_supervisor(user),
        "is_store_admin": is_store_admin(user),
    }
