"""Quality review pages: the supervisors' review queue, review form, disputes and reports; the agents' own reviews;
and the reply box's phrase check.

Thin views: check the role, parse a form, call one service or query, render. Rules live in services.py.
"""

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backoffice.cases import queues
from backoffice.cases.actions import form_errors_to_messages
from backoffice.errors import DomainError
from backoffice.staff.roles import Role, require_role
from backoffice.supervisor.charts import columns, hbars
from backoffice.supervisor.forms import PeriodForm, period_presets
from backoffice.supervisor.reports import Period
from backoffice.supervisor.views import csv_response
from quality import queries, services
from quality.forms import AddCaseForm, AnswerForm, DrawForm, QueueFilterForm, ScorecardForm
from quality.models import Review, ReviewStatus, Scorecard
from quality.screening import find_phrases

PER_PAGE = 50
# A QA score a team lead is happy with; the dashed line on the charts. *(assumed)*
TARGET_SCORE = 85


def _supervisor(request: HttpRequest) -> None:
    require_role(request.user, Role.SUPERVISOR)


def _page(request: HttpRequest, qs):
    return Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))


# --- supervisors: the queue -----------------------------------------------------------------------------------------


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """QA-2: the cases waiting for a review (sampled, by rule, or added by hand), oldest week first."""
    _supervisor(request)
    filters = QueueFilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    agent = criteria.get("agent")
    pending = queries.pending_reviews(
        week=services.week_of(criteria["week"]) if criteria.get("week") else None,
        agent_id=agent.pk if agent else None,
        reason=criteria.get("reason") or "",
    )
    context = {
        "section": "quality",
        "tab": "queue",
        "filters": filters,
        "page_obj": _page(request, pending),
        "add_form": AddCaseForm(),
        "draw_form": DrawForm(initial={"week": services.last_week()}),
        "disputes": queries.disputes_for(request.user).count(),
        "has_scorecard": Scorecard.current() is not None,
    }
    return render(request, "quality/queue.html", context)


@require_POST
def add_case(request: HttpRequest) -> HttpResponse:
    """QA-2: a supervisor adds any case by its number."""
    _supervisor(request)
    form = AddCaseForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect("quality:queue")
    try:
        review = services.add_case(case=form.case, actor=request.user, note=form.cleaned_data["note"])
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("quality:queue")
    messages.success(request, _("%(number)s is in the review queue.") % {"number": review.case.number})
    return redirect("quality:queue")


@require_POST
def draw(request: HttpRequest) -> HttpResponse:
    """QA-1: draw a finished week's sample now (the weekly task does it on Monday morning; drawing again is safe)."""
    _supervisor(request)
    form = DrawForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect("quality:queue")
    week = services.week_of(form.cleaned_data["week"])
    try:
        services.draw_week(week=week, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("quality:queue")
    added = Review.objects.filter(week=week).count()
    messages.success(
        request, _("Week of %(week)s: %(count)s case(s) to review.") % {"week": week.isoformat(), "count": added}
    )
    return redirect(f"{reverse('quality:queue')}?week={week.isoformat()}")


# --- supervisors: one review ------------------------------------------------------------------------------------------


def _scorecard_lines(scorecard: Scorecard):
    return [(c.pk, c.name, c.description, c.max_points, c.critical, None, "") for c in scorecard.criteria.all()]


def _score_lines(review: Review):
    return [(s.pk, s.name, "", s.scale, s.critical, s.points, s.comment) for s in review.scores.all()]


def _review_context(request: HttpRequest, review: Review, **extra) -> dict:
    case = review.case
    return {
        "section": "quality",
        "tab": "reviews" if review.is_scored else "queue",
        "review": review,
        "case": case,
        "events": list(queues.timeline(case)),
        "scores": list(review.scores.all()),
        "case_url": queues.case_page_url(case),
        **extra,
    }


def _get_review(pk: int) -> Review:
    return get_object_or_404(
        Review.objects.select_related(
            "case", "case__customer", "case__order", "agent", "reviewer", "dispute_handler", "resolved_by"
        ),
        pk=pk,
    )


@require_http_methods(["GET", "POST"])
def review_page(request: HttpRequest, pk: int) -> HttpResponse:
    """QA-3: the scorecard beside the case's full timeline; saving it scores the case and tells the agent."""
    _supervisor(request)
    review = _get_review(pk)
    scorecard = Scorecard.current()
    form = None
    if review.status == ReviewStatus.PENDING and scorecard is not None and review.agent_id != request.user.pk:
        scorecard = Scorecard.objects.prefetch_related("criteria").get(pk=scorecard.pk)
        form = ScorecardForm(request.POST or None, lines=_scorecard_lines(scorecard))
        if request.method == "POST":
            if form.is_valid():
                try:
                    services.submit_review(
                        review=review, reviewer=request.user, values=form.values(), note=form.cleaned_data["note"]
                    )
                except DomainError as error:
                    messages.error(request, error.message)
                else:
                    messages.success(request, _("Review saved: %(score)s.") % {"score": review.score})
                    return redirect("quality:queue")
            else:
                form_errors_to_messages(request, form)
    elif request.method == "POST":
        messages.error(request, _("This case cannot be reviewed by you now."))
        return redirect("quality:review", pk=pk)
    resolve_form = None
    if services.can_resolve(review, request.user):
        resolve_form = ScorecardForm(
            lines=_score_lines(review), note_label=_("Decision, for the agent"), note_required=True
        )
    context = _review_context(request, review, form=form, scorecard=scorecard, resolve_form=resolve_form)
    return render(request, "quality/review.html", context)


@require_POST
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """QA-4: a supervisor other than the reviewer decides a disputed review."""
    _supervisor(request)
    review = _get_review(pk)
    form = ScorecardForm(
        request.POST, lines=_score_lines(review), note_label=_("Decision, for the agent"), note_required=True
    )
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect("quality:review", pk=pk)
    try:
        services.resolve_dispute(
            review=review, supervisor=request.user, values=form.values(), note=form.cleaned_data["note"]
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("quality:review", pk=pk)
    messages.success(request, _("Dispute decided: %(score)s.") % {"score": review.score})
    return redirect("quality:reviews")


@require_GET
def reviews(request: HttpRequest) -> HttpResponse:
    """Reviews done, newest first, with the disputes this supervisor is to decide on top."""
    _supervisor(request)
    status = request.GET.get("status", "")
    if status not in ReviewStatus.values or status == ReviewStatus.PENDING:
        status = ""
    context = {
        "section": "quality",
        "tab": "reviews",
        "disputes_for_me": list(queries.disputes_for(request.user)[:PER_PAGE]),
        "page_obj": _page(request, queries.done_reviews(status=status)),
        "status": status,
        "statuses": [(value, label) for value, label in ReviewStatus.choices if value != ReviewStatus.PENDING],
    }
    return render(request, "quality/reviews.html", context)


# --- supervisors: reports ---------------------------------------------------------------------------------------------


def _period(request: HttpRequest):
    form = PeriodForm(request.GET or None)
    if not form.is_bound:
        # A team lead's default: the last three weeks and this one so far (reviews of this week show at once).
        this_week = services.week_of(timezone.localdate())
        period = Period(this_week - dt.timedelta(days=21), this_week)
    else:
        period = form.period()
        if not form.is_valid():
            form_errors_to_messages(request, form)
    return form, queries.whole_weeks(period)


@require_GET
def reports_page(request: HttpRequest) -> HttpResponse:
    """QA-6: score per agent per week with the trend, the criteria most often missed, QA beside R1 and CSAT."""
    _supervisor(request)
    form, period = _period(request)
    weekly = queries.weekly_scores(period)
    missed = queries.missed_criteria(period)
    beside = queries.quality_beside(period)
    context = {
        "section": "quality",
        "tab": "reports",
        "form": form,
        "presets": period_presets(),
        "period": period,
        "previous": period.previous(),
        "query": f"date_from={period.first.isoformat()}&date_to={period.last.isoformat()}",
        "weekly": weekly,
        "weekly_chart": columns(
            [(f"{week:%m-%d}", cell.average) for week, cell in zip(weekly.weeks, weekly.store.cells, strict=True)],
            unit="",
            scale=100,
            target=TARGET_SCORE,
        ),
        "agents_chart": hbars([(a.label, a.average, a.previous_average) for a in weekly.agents], unit="", scale=100),
        "missed": missed,
        "missed_chart": hbars([(r.name, r.miss_rate, None) for r in missed.rows], scale=100),
        "beside": beside,
        "beside_qa_chart": hbars([(a.label, a.qa_score, None) for a in beside.agents], unit="", scale=100),
        "beside_r1_chart": hbars([(a.label, a.r1_rate, None) for a in beside.agents], scale=100),
        "beside_csat_chart": hbars([(a.label, a.csat, None) for a in beside.agents], scale=100),
    }
    return render(request, "quality/reports.html", context)


@require_GET
def report_csv(request: HttpRequest, report: str) -> HttpResponse:
    _supervisor(request)
    if report not in queries.REPORTS:
        raise Http404
    _form, period = _period(request)
    _label, build = queries.REPORTS[report]
    header, rows = build(period).csv()
    return csv_response(header, rows, name=f"{report}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.csv")


# --- agents -----------------------------------------------------------------------------------------------------------


@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """QA-4: an agent's own reviews, the ones still to answer first."""
    require_role(request.user, Role.AGENT)
    qs = queries.reviews_of_agent(request.user)
    context = {
        "section": "quality",
        "page_obj": _page(request, qs),
        "to_answer": queries.unanswered_count(request.user),
    }
    return render(request, "quality/mine.html", context)


@require_http_methods(["GET", "POST"])
def my_review(request: HttpRequest, pk: int) -> HttpResponse:
    """QA-4: the agent reads the scores and comments, and acknowledges or disputes with a note."""
    require_role(request.user, Role.AGENT)
    review = _get_review(pk)
    if review.agent_id != request.user.pk or not review.is_scored:
        raise Http404
    form = AnswerForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["decision"] == "dispute":
                    services.dispute_review(review=review, agent=request.user, note=data["note"])
                    messages.success(request, _("Your dispute went to another supervisor."))
                else:
                    services.acknowledge_review(review=review, agent=request.user, note=data["note"])
                    messages.success(request, _("Review acknowledged."))
            except DomainError as error:
                messages.error(request, error.message)
            return redirect("quality:my_review", pk=pk)
        form_errors_to_messages(request, form)
    context = _review_context(request, review, answer_form=form if review.status == ReviewStatus.REVIEWED else None)
    return render(request, "quality/my_review.html", context)


# --- the reply box ------------------------------------------------------------------------------------------------------


@require_POST
def check_phrases(request: HttpRequest) -> JsonResponse:
    """QA-5: what the reply box shows as the agent types: the rules the text breaks, each named with its reason."""
    require_role(request.user, Role.AGENT)
    text = request.POST.get("text", "")[:4000]
    matches = [m.as_dict() for m in find_phrases(text)]
    return JsonResponse({"matches": matches, "blocked": any(m["severity"] == "block" for m in matches)})
