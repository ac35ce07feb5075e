"""Bulk assignment above any desk's queue: the rows ticked, and whom they may go to on that desk."""

from backoffice.cases.access import desk_access
from backoffice.cases.forms import staff_list, staff_users
from backoffice.staff.roles import Role, staff_choice_label
from backoffice.store.cache import kept
from backoffice.supervisor.forms import BACK_TO_QUEUE, BulkAssignForm


def desk_only_staff(desk: str) -> list | None:
    """The staff who may work the desk (its access declaration) when that is not everyone: None on an agents' desk
    (a supervisor does an agent's work too), else the staff of its roles only (call-backs: the supervisors)."""
    access = desk_access(desk)
    roles = set(access.works + access.supervises)
    if Role.AGENT in roles:
        return None
    return kept(f"staff_users:{desk}", lambda: list(staff_users().filter(groups__name__in=roles)))


def assignable_staff(desk: str) -> tuple[tuple[int, str], ...]:
    """Whom the desk's bulk-assignment form offers, as (id, label): all the form's choices draw from (a queue page
    keeps the drawn form for them instead of building it)."""
    staff = desk_only_staff(desk)
    return tuple((user.pk, staff_choice_label(user)) for user in (staff_list() if staff is None else staff))


class DeskBulkAssignForm(BulkAssignForm):
    """The bulk-assignment form of one desk's queue: its choices are the people who may work that desk, so a
    call-back is never offered to an agent (`casework.assign_case` refuses it anyway)."""

    def __init__(self, *args, desk: str, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        field.choices = [("", field.empty_label), (BACK_TO_QUEUE, self.back_to_queue_label), *assignable_staff(desk)]
