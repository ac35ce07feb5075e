"""Who may open a desk's cases and what they may do there: one declaration per desk, one way to fetch a case.

Every case URL of every desk fetches its case with `get_case_for` (or `find_case_for` when the URL does not name the
desk), and every queue checks its desk with `require_desk`. So a case of one desk is never served by another desk's
page, and a role never does more on a desk than the desk's declaration allows: an unknown case, a case of another
desk or an action the desk does not have is a 404; a role that may not open the desk or do the action is a 403.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from backoffice.models import Case, Desk
from backoffice.staff.roles import Role, has_role

# What a person may do, besides the desk's named case actions.
VIEW = "view"  # open a case page, and read what it shows (quick phrases filled in with the case's data)
WORK = "work"  # the desk's queues, take next, open a case by hand
SUPERVISE = "supervise"  # the desk's supervisor-only tools (run a detection sweep now)

# The case actions every desk's action URL accepts (backoffice.cases.actions), and the one only supervisors may do.
COMMON_ACTIONS = frozenset(
    {"claim", "release", "reply", "note", "priority", "start", "wait", "resolve", "reopen", "reply_close", "close_next"}
)
SUPERVISOR_ACTIONS = frozenset({"assign"})
# Actions that neither speak to the customer nor decide the case: done on a colleague's case without asking.
# Every other action (reply, resolve, close, refund …) on a case assigned to someone else is confirmed first.
ACTIONS_ON_ANY_CASE = frozenset({"claim", "release", "note", "priority", "assign"})


@dataclass(frozen=True)
class DeskAccess:
    """One desk's access: the roles that work its cases, the roles that supervise it, and its case actions.

    Roles follow `roles.has_role`: a supervisor can do an agent's work and a store admin may do everything. The
    supervising roles may also do the desk's work.
    """

    desk: str
    works: tuple[str, ...]
    supervises: tuple[str, ...]
    # The case actions of the desk's action URL that its working roles may do…
    work_actions: frozenset[str]
    # …and the ones only its supervising roles may do.
    supervise_actions: frozenset[str] = SUPERVISOR_ACTIONS

    @property
    def actions(self) -> frozenset[str]:
        """Every case action the desk's action URL accepts; any other name answers 404."""
        return self.work_actions | self.supervise_actions

    def roles_for(self, action: str) -> tuple[str, ...] | None:
        """The roles that may do `action` on this desk; None when the desk has no such action."""
        if action == SUPERVISE or action in self.supervise_actions:
            return self.supervises
        if action in (VIEW, WORK) or action in self.work_actions:
            return self.works + self.supervises
        return None

    def allows(self, user, action: str = VIEW) -> bool:
        roles = self.roles_for(action)
        return bool(roles) and user is not None and user.is_authenticated and has_role(user, *roles)


AFTERSALES = DeskAccess(
    desk=Desk.AFTERSALES,
    works=(Role.AGENT,),
    supervises=(Role.SUPERVISOR,),
    work_actions=COMMON_ACTIONS
    | {
        "approve_refund",
        "compensate",
        "return_received",
        "reject",
        "approve_return",
        "reship",
        "exchange",
        "close",
        "review",
        "payout",
        "defect_offer",
        "defect_choice",
        "reship_tracking",
    },
)
LOGISTICS = DeskAccess(
    desk=Desk.LOGISTICS,
    works=(Role.AGENT,),
    supervises=(Role.SUPERVISOR,),
    work_actions=COMMON_ACTIONS | {"contact_courier", "notify", "offer", "offer_choice", "tracking", "close"},
)
# A13: call-backs to dissatisfied customers are a supervisor's work; agents never see them.
CALLBACK = DeskAccess(
    desk=Desk.CALLBACK,
    works=(Role.SUPERVISOR,),
    supervises=(Role.SUPERVISOR,),
    work_actions=COMMON_ACTIONS | {"call", "close"},
)

DESKS: dict[str, DeskAccess] = {access.desk: access for access in (AFTERSALES, LOGISTICS, CALLBACK)}


def desk_access(desk: str) -> DeskAccess:
    return DESKS[desk]


def require_desk(user, desk: str, action: str = WORK) -> DeskAccess:
    """Refuse (403) a person whose role may not do `action` on the desk; the desk's access otherwise."""
    access = DESKS[desk]
    if not access.allows(user, action):
        raise PermissionDenied(_("Your role does not allow this page."))
    return access


def get_case_for(user, desk: str, number: str, action: str = VIEW) -> Case:
    """The case `number` of `desk`, for `user` to do `action` on: the one way a case URL fetches its case.

    403 when the user's role may not open the desk at all (before the case is looked up, so the answer says nothing
    about which numbers exist); 404 for an action the desk does not have, an unknown number or a case of another desk;
    403 when the role may open the case but not do the action (e.g. an agent assigning).
    """
    access = require_desk(user, desk, VIEW)
    if action != VIEW and action not in access.actions:
        raise Http404
    case = Case.objects.select_related("customer", "order", "assignee").filter(desk=desk, number=number).first()
    if case is None:
        raise Http404
    if not access.allows(user, action):
        raise PermissionDenied(_("Your role does not allow this action on this desk."))
    return case


def desks_open_to(user) -> list[str]:
    """The desks whose cases the user may open."""
    return [desk for desk, access in DESKS.items() if access.allows(user, VIEW)]


def find_case_for(user, number: str, action: str = VIEW) -> Case:
    """A case named by its number alone (links from reports and the outbox, the quick-phrase box).

    Only cases of desks the user may open are found; the rest is a 404, the same as an unknown number.
    """
    desks = desks_open_to(user)
    if not desks:
        raise PermissionDenied(_("Your role does not allow this page."))
    desk = Case.objects.filter(number=number, desk__in=desks).values_list("desk", flat=True).first()
    if desk is None:
        raise Http404
    return get_case_for(user, desk, number, action)


def colleague_holding(case: Case, user, action: str):
    """The colleague whose case this is, when `user` doing `action` on it must confirm first; else None."""
    if action in ACTIONS_ON_ANY_CASE or case.assignee_id is None or case.assignee_id == user.pk:
        return None
    return case.assignee
