"""The case-page actions every desk shares: take, release, assign, reply, note, priority, and the plain state moves.

The shared case-action view (`backoffice.desk.views.case_action`) fetches the case with `caseaccess.get_case_for`
(which checks the desk, the role and the action), runs the desk's own action when its declaration has one by that
name (e.g. a close that settles money), and these otherwise.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from backoffice.cases import services as casework
from backoffice.cases.access import WORK, require_desk
from backoffice.cases.forms import AssignForm, NoteForm, NoteOnlyForm, PriorityForm, ReplyForm
from backoffice.cases.queues import case_page_url
from backoffice.messaging import phrases
from backoffice.models import Case, Status

STATE_ACTIONS = ("start", "wait", "resolve", "close", "reopen")


def form_errors(form) -> list[str]:
    """A refused form's errors, in field order, as the person reads them (the same reason for two fields once)."""
    return list(dict.fromkeys(str(error) for errors in form.errors.values() for error in errors))


def form_errors_to_messages(request: HttpRequest, form) -> None:
    for error in form_errors(form):
        messages.error(request, error)


def valid_data(request: HttpRequest, form_class) -> dict | None:
    """The posted form's cleaned data; None (and its errors as messages) when it is not valid."""
    form = form_class(request.POST)
    if form.is_valid():
        return form.cleaned_data
    form_errors_to_messages(request, form)
    return None


# The form each shared action reads; claim and release read nothing but the click.
ACTION_FORMS = {"assign": AssignForm, "reply": ReplyForm, "note": NoteForm, "priority": PriorityForm} | dict.fromkeys(
    STATE_ACTIONS, NoteOnlyForm
)


# Two steps in one key, on every desk: send the reply and close, close and take the next case. The shared desk views
# handle them (backoffice.desk.closing), since closing is each desk's own service.
CLOSING_ACTIONS = frozenset({"reply_close", "close_next"})

# Every action handled here or there; a desk's declaration handles the rest of its access declaration's actions itself.
SHARED_ACTIONS = frozenset(ACTION_FORMS) | {"claim", "release"} | CLOSING_ACTIONS


def handle_common_action(request: HttpRequest, case: Case, action: str) -> bool:
    """Run a shared action (one of SHARED_ACTIONS but the CLOSING_ACTIONS, which the desk views run); False when its
    form was refused (the errors are messages) and nothing was done. Domain errors propagate to the caller."""
    user = request.user
    data = valid_data(request, ACTION_FORMS[action]) if action in ACTION_FORMS else {}
    if data is None:
        return False
    if action == "claim":
        casework.claim_case(case=case, agent=user)
        said = _("The case is yours.")
    elif action == "release":
        casework.release_case(case=case, agent=user)
        said = _("The case went back to the queue.")
    elif action == "assign":
        # Only the desk's supervisors get here: assign is a supervisor action in every desk's access declaration.
        casework.assign_case(case=case, assignee=data["assignee"], actor=user)
        said = _("Assignment saved.")
    elif action == "reply":
        phrases.reply_with_phrases(
            case=case,
            body=data["body"],
            actor=user,
            phrase_ids=data["phrases"],
            confirm_warnings=data["confirm_warnings"],
            seen_event=data["seen_event"],
            confirm_overlap=data["confirm_overlap"],
        )
        said = _("Reply sent.")
    elif action == "note":
        casework.add_note(case=case, body=data["body"], actor=user)
        said = _("Note added.")
    elif action == "priority":
        casework.set_priority(case=case, priority=data["priority"], actor=user)
        said = _("Priority changed")
    else:
        target = casework.ACTIONS_BY_NAME[action].target
        casework.transition_case(case=case, to=target, actor=user, note=data["note"])
        said = _("Saved.")
    messages.success(request, said)
    return True


def take_next_and_open(request: HttpRequest, *, desk: str, empty_message: str, queue_url: str) -> HttpResponse:
    """Any desk's "take next": open the case the agent got, or say the queue is empty and go back to it."""
    require_desk(request.user, desk, WORK)
    case = casework.take_next_case(agent=request.user, desk=desk)
    if case is None:
        messages.info(request, empty_message)
        return redirect(queue_url)
    messages.success(request, _("You took %(number)s.") % {"number": case.number})
    return redirect(case_page_url(case))


__all__ = [
    "CLOSING_ACTIONS",
    "SHARED_ACTIONS",
    "STATE_ACTIONS",
    "Status",
    "form_errors",
    "form_errors_to_messages",
    "handle_common_action",
    "take_next_and_open",
]
