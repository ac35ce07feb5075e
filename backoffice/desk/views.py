"""Every desk's pages, written once: a desk's urls.py maps its URL names to these views with its declaration.

Each view checks the person against the desk's access declaration (`require_desk`), and each case URL fetches its
case with `get_case_for`, so no desk's URL serves another desk's case or a role more than the desk allows.
"""

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect
from django_tables2 import RequestConfig

from backoffice.cases import page as casepage
from backoffice.cases import queues, seen
from backoffice.cases import services as casework
from backoffice.cases.access import ACTIONS_ON_ANY_CASE, VIEW, WORK, get_case_for, require_desk
from backoffice.cases.actions import (
    SHARED_ACTIONS,
    form_errors,
    handle_common_action,
    take_next_and_open,
    valid_data,
)
from backoffice.cases.forms import NoteOnlyForm, ReplyForm
from backoffice.cases.tables import QueuePaginator
from backoffice.desk import closing
from backoffice.desk import queue_live as live_rows
from backoffice.desk.declaration import DeskDeclaration
from backoffice.desk.forms import DeskBulkAssignForm, assignable_staff
from backoffice.errors import DomainError, ReplyOverlap
from backoffice.models import Case, CaseEvent

PER_PAGE = 25


def queue_table(request: HttpRequest, queue: str, *, desk: DeskDeclaration) -> tuple[dict, bool]:
    """The queue's tabs, filters and table for this request (its rows with my read marks): the page and its live poll
    draw the same rows. Returns the context and whether the person supervises the desk."""
    require_desk(request.user, desk.name, WORK)
    visible = queues.visible_queues(request.user)
    if queue not in visible:
        raise Http404
    case_filter = desk.filterset(request.GET, queryset=desk.cases(queue, user=request.user))
    supervisor = desk.supervised_by(request.user)
    rows = seen.with_read_marks(case_filter.qs, request.user)
    table = desk.table(rows, desk=desk, viewer=request.user, exclude=() if supervisor else ("select",))
    # The rows' SQL follows from the desk, the queue, the person (the read marks) and the query string (filters,
    # search, sort, page); the time now is a value in its WHERE clause, compiled for each request.
    table.rows_shape = (desk.name, queue, request.user.pk, tuple(sorted((k, tuple(v)) for k, v in request.GET.lists())))
    RequestConfig(request, paginate={"per_page": PER_PAGE, "paginator_class": QueuePaginator}).configure(table)
    context = {
        "desk": desk,
        "queue": queue,
        "queues": visible,
        "filter": case_filter,
        "table": table,
        "queue_label": visible[queue],
        "live_url": reverse(desk.queue_live_view, args=[queue]),
    }
    return context, supervisor


@require_GET
@vary_on_headers("HX-Request")
def queue(request: HttpRequest, queue: str, *, desk: DeskDeclaration) -> HttpResponse:
    """One queue of the desk: tabs, filters, the table (with bulk assignment for the desk's supervisors)."""
    context, supervisor = queue_table(request, queue, desk=desk)
    context["live_stamp"] = live_rows.follow(context["table"], request.user)
    if supervisor:
        # The form is built only when its drawing is not kept for these people and this page (templates/desk/queue.html).
        context["bulk_assign"] = {
            "staff": assignable_staff(desk.name),
            "form": SimpleLazyObject(lambda: DeskBulkAssignForm(desk=desk.name)),
        }
    if desk.queue_context is not None:
        context |= desk.queue_context(request)
    template = desk.queue_template
    if request.htmx and request.htmx.target == "queue-results":
        template = "desk/queue.html#queue-results"
    return render(request, template, context)


@require_GET
def queue_live(request: HttpRequest, queue: str, *, desk: DeskDeclaration) -> HttpResponse:
    """The open queue page's poll (?<the page's filters, sort and page>, with the tag of the rows it shows in the
    X-Queue-Stamp header): 304 when nothing changed; else my unread count, and the rows drawn again when the page's
    are not the current ones."""
    context, _supervisor = queue_table(request, queue, desk=desk)
    context["live_stamp"] = live_rows.follow_narrow(context["table"], request.user)
    unread = seen.unread_summary(user=request.user, desk=desk.name)
    etag = live_rows.tag(context["live_stamp"], unread)
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        html = None
        if request.headers.get("X-Queue-Stamp") != context["live_stamp"]:
            if desk.results_context is not None:
                context |= desk.results_context(request)
            html = render_to_string("desk/queue.html#queue-results", context, request)
        response = JsonResponse({"stamp": context["live_stamp"], "html": html, "unread": unread})
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


def _counts_etag(request: HttpRequest, *, desk: DeskDeclaration) -> str:
    """Counts change with a case's event (opened, claimed, closed …) or, for "due soon" and "overdue", with the clock:
    the newest event id and the minute, per person, desk and language. The desk's role check comes first: a person
    without it gets the refusal, never a 304 or a tag."""
    require_desk(request.user, desk.name, WORK)
    newest = CaseEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    minute = int(timezone.now().timestamp() // 60)
    return f"{desk.name}-{request.user.pk}-{newest}-{minute}-{translation.get_language()}"


@require_GET
@condition(etag_func=_counts_etag)
def nav_counts(request: HttpRequest, *, desk: DeskDeclaration) -> HttpResponse:
    """Polled every 1.5 s by every open page: unchanged counts answer 304 with nothing counted or drawn."""
    require_desk(request.user, desk.name, WORK)
    counts = queues.queue_counts(user=request.user, desk=desk.name)
    response = render(request, "desk/nav_counts.html", {"desk": desk, "counts": counts})
    response["Cache-Control"] = "private, no-cache"
    return response


@require_POST
def take_next(request: HttpRequest, *, desk: DeskDeclaration) -> HttpResponse:
    return take_next_and_open(
        request,
        desk=desk.name,
        empty_message=str(desk.empty_take_next),
        queue_url=reverse(desk.queue_view, args=["mine"]),
    )


def _reply_and_close(request: HttpRequest, case: Case, desk: DeskDeclaration) -> bool:
    form = ReplyForm(request.POST)
    if not form.is_valid():
        raise DomainError(" ".join(form_errors(form)))
    data = form.cleaned_data
    closing.reply_and_close(
        desk=desk,
        case=case,
        actor=request.user,
        body=data["body"],
        phrase_ids=data["phrases"],
        confirm_warnings=data["confirm_warnings"],
        seen_event=data["seen_event"],
        confirm_overlap=data["confirm_overlap"],
    )
    messages.success(request, _("Reply sent and case closed."))
    return True


def _close_and_take_next(request: HttpRequest, case: Case, desk: DeskDeclaration) -> HttpResponse | None:
    """Close, then take the next case exactly like `n` and open it; None (and a message) when the close is refused."""
    data = valid_data(request, NoteOnlyForm)
    if data is None:
        return None
    closing.close_for_next(desk=desk, case=case, actor=request.user, note=data["note"])
    messages.success(request, _("%(number)s closed.") % {"number": case.number})
    opened = take_next(request, desk=desk)
    # The next case is another page: htmx goes there instead of swapping a whole page into the panel.
    return HttpResponseClientRedirect(opened.url) if request.htmx else opened


def case_context(request: HttpRequest, desk: DeskDeclaration, case: Case, **kept) -> dict:
    context = casepage.common_context(request, case, case_url=reverse(desk.case_view, args=[case.number]))
    context |= {
        "desk": desk,
        "buttons": desk.case_buttons(case),
        "confirm_actions": " ".join(sorted(desk.access.actions - ACTIONS_ON_ANY_CASE)),
        "closes_in_one_step": desk.closes_in_one_step(case),
    }
    if desk.case_context is not None:
        context |= desk.case_context(request, case)
    return context | kept


@require_GET
@vary_on_headers("HX-Request")
def case_page(request: HttpRequest, number: str, *, desk: DeskDeclaration) -> HttpResponse:
    case = get_case_for(request.user, desk.name, number, VIEW)
    template = "desk/case.html"
    if request.htmx and request.htmx.target == "case-panel":
        template += "#case-panel"
    context = case_context(request, desk, case)
    # The page shows the timeline up to its newest entry: the case is read (no longer unread in my queue).
    seen.mark_seen(user=request.user, case_id=case.pk, event_id=context["last_event_id"])
    return render(request, template, context)


@require_POST
def case_action(request: HttpRequest, number: str, action: str, *, desk: DeskDeclaration) -> HttpResponse:
    """A case action: the desk's own (its declaration's `actions`) or a shared one; a refused rule is a message."""
    case = get_case_for(request.user, desk.name, number, action)
    if action not in desk.actions and action not in SHARED_ACTIONS:
        raise Http404
    kept = opened = None
    try:
        with transaction.atomic():
            # On a colleague's case the page asked first (static/js/desk.js) and sends whose case it confirmed.
            casework.confirm_acting_for(
                case=case, actor=request.user, action=action, confirmed_for=request.POST.get("confirm_other", "")
            )
            own = desk.actions.get(action)
            if own is not None:
                kept = own(request, case)
                done = kept is None
            elif action == "reply_close":
                done = _reply_and_close(request, case, desk)
            elif action == "close_next":
                opened = _close_and_take_next(request, case, desk)
                done = opened is not None
            else:
                done = handle_common_action(request, case, action)
            if not done:
                # A refused form did nothing: neither is the confirmation to act on a colleague's case kept.
                transaction.set_rollback(True)
        if opened is not None:
            return opened
    except DomainError as error:
        messages.error(request, error.message)
        if action == "reply_close" or (action == "reply" and request.htmx):
            # A refused reply stays in the box (with its phrases, checked again on the next send); after someone
            # else's reply the box offers "send anyway".
            kept = {
                "reply_body": request.POST.get("body", ""),
                "reply_phrases": request.POST.get("phrases", ""),
                "reply_overlap": isinstance(error, ReplyOverlap),
            }
            if kept["reply_overlap"]:
                # "Send anyway" confirms what the agent saw when refused, not the redrawn page's newest entry.
                kept["reply_seen_event"] = request.POST.get("seen_event", "")
    if request.htmx:
        fresh = get_case_for(request.user, desk.name, number, VIEW)
        context = case_context(request, desk, fresh, **(kept or {}))
        # The redrawn panel shows the timeline up to its newest entry, as the page does.
        seen.mark_seen(user=request.user, case_id=fresh.pk, event_id=context["last_event_id"])
        return casepage.refreshed_panel(request, "desk/case.html", context)
    if kept:  # a refused form with what was typed: the page again
        return render(request, "desk/case.html", case_context(request, desk, case, **kept), status=400)
    return redirect(desk.case_view, number=number)
