"""Two steps in one key, on every desk: send the reply and close the case; close the case and take the next one.

Closing is the desk's own service (`DeskDeclaration.close`): the after-sales and logistics desks close an unresolved
case only with a reason, so these steps are offered in one key only where the desk closes without one
(`DeskDeclaration.closes_in_one_step`); an unresolved case closes and takes the next with the reason typed first.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.cases import services as casework
from backoffice.errors import DomainError
from backoffice.messaging import phrases
from backoffice.models import Case, Status


def reply_and_close(
    *,
    desk,
    case: Case,
    actor,
    body: str,
    phrase_ids: list[int] = (),
    confirm_warnings: bool = False,
    seen_event: int | None = None,
    confirm_overlap: bool = False,
) -> Case:
    """Send the reply and close the case: both or neither, each on the timeline. A case the desk does not close in
    one step is refused before anything is sent; a close refused after the reply undoes the reply (one transaction),
    so nothing reaches the customer and the reply stays in the agent's box."""
    if not desk.closes_in_one_step(case):
        raise DomainError(
            _(
                "This case is not resolved, so closing it needs a reason: nothing was sent and your reply is still in "
                "the box. Send it, then close the case with a reason."
            )
        )
    with transaction.atomic():
        phrases.reply_with_phrases(
            case=case,
            body=body,
            actor=actor,
            phrase_ids=phrase_ids,
            confirm_warnings=confirm_warnings,
            seen_event=seen_event,
            confirm_overlap=confirm_overlap,
        )
        desk.close(case=case, actor=actor)
    return case


def close_for_next(*, desk, case: Case, actor, note: str = "") -> Case:
    """Close the case before taking the next one: a resolved case closes as it is; an unresolved one needs the
    reason (the desk's close refuses it without one, and the callback desk's plain close is asked the same)."""
    if not desk.closes_in_one_step(case) and not note.strip():
        raise DomainError(_("Say why you close a case that was not resolved."))
    if not casework.can_transition(case, Status.CLOSED):
        raise DomainError(_("This case is already closed."))
    return desk.close(case=case, actor=actor, note=note)
