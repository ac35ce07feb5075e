"""Survey pages: the customer's public answer page, the call-back desk's front door and its call action, and the
results. The call-back desk's queues and case page are the shared desk's (`backoffice.desk`, declared in
`surveys.desk`).

Thin views: they check the role (or the link and the rate limit), parse a form, call one service and render.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from backoffice.cases.access import WORK, require_desk
from backoffice.cases.actions import form_errors_to_messages
from backoffice.desk import views as desk_views
from backoffice.desk.declaration import DeskDeclaration
from backoffice.errors import DomainError
from backoffice.models import OPEN_STATUSES, Case, StoreSettings
from backoffice.staff.roles import Role, require_role
from surveys import queries, ratelimit, services
from surveys.forms import CallForm, ResultsFilterForm, SurveyAnswerForm
from surveys.models import Survey

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


# --- the supervisors' call-back desk (the shared desk's pages, declared in surveys.desk) --------------------------


@require_GET
def callbacks(request: HttpRequest, *, desk: DeskDeclaration) -> HttpResponse:
    """The call-back desk's front door: your own open call-backs if you have any, else the unassigned ones."""
    require_desk(request.user, desk.name, WORK)
    mine = Case.objects.filter(desk=desk.name, assignee=request.user, status__in=OPEN_STATUSES).exists()
    return desk_views.queue(request, "mine" if mine else "unassigned", desk=desk)


def log_call(request: HttpRequest, case: Case) -> dict | None:
    """A13: parse the call form and log the call; the form comes back (with what was typed) when it was refused."""
    form = CallForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return {"call_form": form}
    callback = queries.callback_for(case)
    if callback is None:
        messages.error(request, _("This case has no survey answer to call back about."))
        return {"call_form": form}
    # The form's fields are the service's arguments; the coupon is typed in yuan and kept in fen.
    data = dict(form.cleaned_data)
    coupon_fen = data.pop("coupon") or 0
    try:
        services.log_call(callback=callback, actor=request.user, coupon_fen=coupon_fen, **data)
    except DomainError as error:
        messages.error(request, error.message)
        return {"call_form": form}
    messages.success(request, _("Call logged."))
    return None


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
