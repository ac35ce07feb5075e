"""Survey pages: the customer's public answer page, and the supervisors' call-back desk and results.

Thin views: they check the role (or the link and the rate limit), parse a form, call one service and render.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_tables2 import RequestConfig

from backoffice.cases import page as casepage
from backoffice.cases import queues
from backoffice.cases import services as casework
from backoffice.cases.access import CALLBACK, VIEW, WORK, get_case_for, require_desk
from backoffice.cases.actions import form_errors_to_messages, handle_common_action, take_next_and_open
from backoffice.cases.forms import NoteOnlyForm
from backoffice.cases.tables import QueuePaginator
from backoffice.errors import DomainError
from backoffice.models import OPEN_STATUSES, Case, Desk, Status, StoreSettings
from backoffice.staff.roles import Role, require_role
from surveys import queries, ratelimit, services
from surveys.filters import CallbackFilter
from surveys.forms import CallForm, ResultsFilterForm, SurveyAnswerForm
from surveys.models import Survey
from surveys.tables import CallbackTable

PER_PAGE = 25
UNHAPPY_PER_PAGE = 20

# --- the customer's page --------------------------------------------------------------------------------------


def _public(request: HttpRequest, state: str, *, status: int = 200, **context) -> HttpResponse:
    context |= {"state": state, "store_name": StoreSettings.load().store_name}
    return render(request, "surveys/public.html", context, status=status)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """A12: the survey page a customer opens from the message; no login, one answer, rate limited."""
    ip = ratelimit.client_ip(request)
    if ratelimit.over_limit("miss", ip) or not ratelimit.hit("ip", ip) or not ratelimit.hit("token", token):
        return _public(request, "limited", status=429)
    survey = services.find_survey(token)
    if survey is None:
        ratelimit.hit("miss", ip)
        return _public(request, "invalid", status=404)
    context = {"survey": survey, "case": survey.case}
    if survey.is_answered:
        return _public(request, "already" if request.method == "POST" else "thanks", **context)
    if survey.sent_at is None or survey.is_expired():
        return _public(request, "expired", status=410, **context)
    form = SurveyAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.answer_survey(
                survey=survey,
                answer=form.cleaned_data["answer"],
                reasons=list(form.cleaned_data["reasons"]),
                comment=form.cleaned_data["comment"],
            )
        except services.AlreadyAnswered:
            return _public(request, "already", **context)
        except services.SurveyUnavailable:
            return _public(request, "expired", status=410, **context)
        return redirect(request.path)
    return _public(request, "form", form=form, **context)


# --- the supervisors' call-back desk ----------------------------------------------------------------------------


def _supervisor(request: HttpRequest) -> None:
    """The call-back desk's people (its access declaration, `backoffice.cases.access.CALLBACK`: supervisors)."""
    require_desk(request.user, CALLBACK.desk, WORK)


@require_GET
def callbacks(request: HttpRequest) -> HttpResponse:
    """The call-back desk's front door: your own open call-backs if you have any, else the unassigned ones."""
    _supervisor(request)
    mine = Case.objects.filter(desk=Desk.CALLBACK, assignee=request.user, status__in=OPEN_STATUSES).exists()
    return callback_queue(request, "mine" if mine else "unassigned")


@require_GET
@vary_on_headers("HX-Request")
def callback_queue(request: HttpRequest, queue: str) -> HttpResponse:
    _supervisor(request)
    visible = queues.visible_queues(request.user)
    if queue not in visible:
        raise Http404
    store = StoreSettings.load()
    callback_filter = CallbackFilter(
        request.GET, queryset=queries.callback_cases(queue, user=request.user, store=store)
    )
    table = CallbackTable(callback_filter.qs)
    RequestConfig(request, paginate={"per_page": PER_PAGE, "paginator_class": QueuePaginator}).configure(table)
    context = {
        "queue": queue,
        "queues": visible,
        "filter": callback_filter,
        "table": table,
        "queue_label": visible[queue],
    }
    template = "surveys/callbacks.html"
    if request.htmx and request.htmx.target == "queue-results":
        template += "#queue-results"
    return render(request, template, context)


@require_POST
def take_next(request: HttpRequest) -> HttpResponse:
    _supervisor(request)
    return take_next_and_open(
        request,
        desk=Desk.CALLBACK,
        empty_message=_("No call-back is waiting. Well done!"),
        queue_url=reverse("surveys:callback_queue", args=["mine"]),
    )


def _case_context(request: HttpRequest, case: Case, call_form: CallForm | None = None) -> dict:
    context = casepage.common_context(request, case, case_url=reverse("surveys:callback", args=[case.number]))
    callback = queries.callback_for(case)
    return context | {
        "callback": callback,
        "survey": callback.survey if callback else None,
        "original": callback.survey.case if callback else None,
        "calls": list(queries.calls(callback)) if callback else [],
        "call_form": call_form or CallForm(),
        "actions": [action for action in casework.available_actions(case) if action.name != "wait"],
    }


@require_GET
@vary_on_headers("HX-Request")
def callback_page(request: HttpRequest, number: str) -> HttpResponse:
    """A13: one call-back: the unhappy answer, the original case, the call form and the call log."""
    case = get_case_for(request.user, CALLBACK.desk, number, VIEW)
    template = "surveys/callback.html"
    if request.htmx and request.htmx.target == "case-panel":
        template += "#case-panel"
    return render(request, template, _case_context(request, case))


def _log_call(request: HttpRequest, case: Case) -> CallForm | None:
    """Parse the call form and log the call; the form comes back (with the supervisor's input) when it was refused."""
    form = CallForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return form
    callback = queries.callback_for(case)
    if callback is None:
        messages.error(request, _("This case has no survey answer to call back about."))
        return form
    data = form.cleaned_data
    try:
        services.log_call(
            callback=callback,
            actor=request.user,
            reached=data["reached"],
            retry_at=data["retry_at"],
            category=data["category"],
            notes=data["notes"],
            coupon_fen=data["coupon"] or 0,
            new_case_kind=data["new_case_kind"],
            new_case_reason=data["new_case_reason"],
            close=data["close"],
        )
    except DomainError as error:
        messages.error(request, error.message)
        return form
    messages.success(request, _("Call logged."))
    return None


@require_POST
def callback_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    case = get_case_for(request.user, CALLBACK.desk, number, action)
    refused_form = None
    try:
        if action == "call":
            refused_form = _log_call(request, case)
        elif action == "close":
            form = NoteOnlyForm(request.POST)
            if form.is_valid():
                casework.transition_case(
                    case=case, to=Status.CLOSED, actor=request.user, note=form.cleaned_data["note"]
                )
                messages.success(request, _("Saved."))
            else:
                form_errors_to_messages(request, form)
        elif not handle_common_action(request, case, action):
            raise Http404
    except DomainError as error:
        messages.error(request, error.message)
    if request.htmx:
        context = _case_context(
            request, get_case_for(request.user, CALLBACK.desk, number, VIEW), call_form=refused_form
        )
        return casepage.refreshed_panel(request, "surveys/callback.html", context)
    if refused_form is not None:
        return render(
            request, "surveys/callback.html", _case_context(request, case, call_form=refused_form), status=400
        )
    return redirect("surveys:callback", number=number)


# --- results --------------------------------------------------------------------------------------------------


@require_GET
def results(request: HttpRequest) -> HttpResponse:
    """A12: CSAT by week, agent, case kind and reason, and the unhappy answers with links to their cases."""
    require_role(request.user, Role.SUPERVISOR)
    form = ResultsFilterForm(request.GET or None)
    date_from, date_to = form.period()
    unhappy = Paginator(queries.unhappy_answers(date_from, date_to), UNHAPPY_PER_PAGE)
    page = unhappy.get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/results.html",
        {
            "form": form,
            "date_from": date_from,
            "date_to": date_to,
            "results": queries.csat_results(date_from, date_to),
            "unhappy_page": page,
            "answers": Survey.Answer,
        },
    )
