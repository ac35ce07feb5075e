"""The case-page actions every desk shares: take, release, assign, reply, note, priority, and the plain state moves.

The shared case-action view (`backoffice.desk.views.case_action`) fetches the case with `caseaccess.get_case_for`
(which checks the desk, the role and the action), runs the desk's own action when its declaration has one by that
name (e.g. a close that settles money), and these otherwise.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from . import casework, phrases
from .caseaccess import WORK, require_desk
from .forms import AssignForm, NoteForm, NoteOnlyForm, PriorityForm, ReplyForm
from .models import Case, Status
from .queues import case_page_url

STATE_ACTIONS = ("start", "wait", "resolve", "close", "reopen")


def form_errors_to_messages(request: HttpRequest, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def handle_common_action(request: HttpRequest, case: Case, action: str) -> bool:
    """Run a shared action; False when the action is not one of them. Domain errors propagate to the caller."""
    user, post = request.user, request.POST
    if action == "claim":
        casework.claim_case(case=case, agent=user)
        messages.success(request, _("The case is yours."))
    elif action == "release":
        casework.release_case(case=case, agent=user)
        messages.success(request, _("The case went back to the queue."))
    elif action == "assign":
        # Only the desk's supervisors get here: assign is a supervisor action in every desk's access declaration.
        form = AssignForm(post)
        if form.is_valid():
            casework.assign_case(case=case, assignee=form.cleaned_data["assignee"], actor=user)
            messages.success(request, _("Assignment saved."))
        else:
            form_errors_to_messages(request, form)
    elif action == "reply":
        form = ReplyForm(post)
        if form.is_valid():
            phrases.reply_with_phrases(
                case=case,
                body=form.cleaned_data["body"],
                actor=user,
                phrase_ids=form.cleaned_data["phrases"],
                confirm_warnings=form.cleaned_data["confirm_warnings"],
            )
            messages.success(request, _("Reply sent."))
        else:
            form_errors_to_messages(request, form)
    elif action == "note":
        form = NoteForm(post)
        if form.is_valid():
            casework.add_note(case=case, body=form.cleaned_data["body"], actor=user)
            messages.success(request, _("Note added."))
        else:
            form_errors_to_messages(request, form)
    elif action == "priority":
        form = PriorityForm(post)
        if form.is_valid():
            casework.set_priority(case=case, priority=form.cleaned_data["priority"], actor=user)
            messages.success(request, _("Priority changed"))
        else:
            form_errors_to_messages(request, form)
    elif action in STATE_ACTIONS:
        form = NoteOnlyForm(post)
        if form.is_valid():
            target = casework.ACTIONS_BY_NAME[action].target
            casework.transition_case(case=case, to=target, actor=user, note=form.cleaned_data["note"])
            messages.success(request, _("Saved."))
        else:
            form_errors_to_messages(request, form)
    else:
        return False
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


__all__ = ["STATE_ACTIONS", "Status", "form_errors_to_messages", "handle_common_action", "take_next_and_open"]
