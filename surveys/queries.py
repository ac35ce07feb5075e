"""The reads behind the call-back queue and the survey results (A12, A13)."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.cases import queues
from backoffice.models import Case, CaseKind, Desk
from backoffice.staff.roles import staff_display_name
from surveys.models import CallAttempt, CallBack, Survey, SurveyAnswerReason

Answer = Survey.Answer
TOP_REASONS = 3


# --- call-backs -----------------------------------------------------------------------------------------------


def callback_cases(queue: str, *, user) -> QuerySet:
    """A call-back queue, each row with its survey, original case, reasons and number of calls."""
    return (
        queues.queue_cases(queue, user=user, desk=Desk.CALLBACK)
        .select_related("callback__survey__case", "callback__category")
        .prefetch_related("callback__survey__reasons")
        .annotate(call_count=Count("callback__attempts"))
    )


def callback_for(case: Case) -> CallBack | None:
    return (
        CallBack.objects.select_related("survey__case__assignee", "category")
        .prefetch_related("survey__reasons")
        .filter(case=case)
        .first()
    )


def calls(callback: CallBack) -> QuerySet:
    return CallAttempt.objects.filter(callback=callback).select_related("actor", "category", "aftersales_case")


# --- results --------------------------------------------------------------------------------------------------


@dataclass
class ResultRow:
    """One group's answers: counts, each answer's share, CSAT (the satisfied share) and the most cited reasons."""

    key: object
    label: str
    total: int = 0
    satisfied: int = 0
    neutral: int = 0
    dissatisfied: int = 0
    top_reasons: list[tuple[str, int]] = field(default_factory=list)
    share: float | None = None  # reasons rows only: the share of all answers that ticked this reason

    @staticmethod
    def _pct(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    @property
    def satisfied_pct(self) -> float | None:
        return self._pct(self.satisfied, self.total)

    @property
    def neutral_pct(self) -> float | None:
        return self._pct(self.neutral, self.total)

    @property
    def dissatisfied_pct(self) -> float | None:
        return self._pct(self.dissatisfied, self.total)

    @property
    def csat(self) -> float | None:
        """CSAT: the share of answers that are "satisfied"."""
        return self.satisfied_pct


def _counts(prefix: str = "") -> dict:
    answer = f"{prefix}answer"
    return {
        "total": Count("pk"),
        "satisfied": Count("pk", filter=Q(**{answer: Answer.SATISFIED})),
        "neutral": Count("pk", filter=Q(**{answer: Answer.NEUTRAL})),
        "dissatisfied": Count("pk", filter=Q(**{answer: Answer.DISSATISFIED})),
    }


def _bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_default_timezone()
    return (
        dt.datetime.combine(date_from, dt.time.min, tz),
        dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tz),
    )


def answered_between(date_from: dt.date, date_to: dt.date) -> QuerySet:
    start, end = _bounds(date_from, date_to)
    return Survey.objects.filter(answered_at__gte=start, answered_at__lt=end)


def _agent_label(user) -> str:
    if user is None:
        return str(_("Unassigned"))
    return staff_display_name(user)


def _add(row: ResultRow, counts: dict) -> None:
    row.total += counts["total"]
    row.satisfied += counts["satisfied"]
    row.neutral += counts["neutral"]
    row.dissatisfied += counts["dissatisfied"]


def _top(counter: dict) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:TOP_REASONS]


# Each results table groups the answers by one of these columns (copied from the case when the answer came).
DIMENSIONS = {"week": "answered_week", "agent": "agent", "kind": "case_kind"}


def csat_results(date_from: dt.date, date_to: dt.date) -> dict:
    """CSAT by week, agent (of the surveyed case), case kind and reason, with each group's top reasons.

    Four queries whatever the number of answers: the answers counted per (week, agent, kind), the ticked reasons
    counted the same way, the agents' names, and the surveys sent; the tables are summed up from those.
    """
    start, end = _bounds(date_from, date_to)
    cells = list(
        answered_between(date_from, date_to)
        .values("answered_week", "agent", "case_kind")
        .annotate(**_counts())
        .order_by()
    )
    reason_cells = list(
        SurveyAnswerReason.objects.filter(survey__answered_at__gte=start, survey__answered_at__lt=end)
        .values("survey__answered_week", "survey__agent", "survey__case_kind", "reason", "reason__label")
        .annotate(**_counts("survey__"))
        .order_by()
    )
    agent_ids = {cell["agent"] for cell in cells if cell["agent"] is not None}
    agents = {user.pk: user for user in get_user_model().objects.filter(pk__in=agent_ids)}
    label_of = {
        "week": lambda key: f"{key:%Y-%m-%d}" if key else "—",
        "agent": lambda key: _agent_label(agents.get(key)),
        "kind": lambda key: CaseKind(key).label if key in CaseKind.values else (key or "—"),
    }

    overall = ResultRow(key=None, label=str(_("All answers")))
    tables: dict[str, dict] = {name: {} for name in DIMENSIONS}
    for cell in cells:
        _add(overall, cell)
        for name, column in DIMENSIONS.items():
            key = cell[column]
            row = tables[name].get(key)
            if row is None:
                row = tables[name][key] = ResultRow(key=key, label=label_of[name](key))
            _add(row, cell)

    reasons: dict = {}
    cited: dict[str, dict] = {name: defaultdict(lambda: defaultdict(int)) for name in DIMENSIONS}
    for cell in reason_cells:
        row = reasons.get(cell["reason"])
        if row is None:
            row = reasons[cell["reason"]] = ResultRow(key=cell["reason"], label=cell["reason__label"])
        _add(row, cell)
        for name, column in DIMENSIONS.items():
            cited[name][cell[f"survey__{column}"]][cell["reason__label"]] += cell["total"]

    # The surveys sent in these dates and how many of those were answered (whenever): the answer rate of a cohort,
    # which never passes 100 % (the answers above are those received in the dates, to surveys sent at any time).
    sent = Survey.objects.filter(sent_at__gte=start, sent_at__lt=end).aggregate(
        sent=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False))
    )
    results: dict = {"overall": overall, "sent": sent["sent"], "sent_answered": sent["answered"]}
    for name in DIMENSIONS:
        rows = list(tables[name].values())
        for row in rows:
            row.top_reasons = _top(cited[name].get(row.key, {}))
        if name == "week":
            rows.sort(key=lambda r: r.key or dt.date.min, reverse=True)
        else:
            rows.sort(key=lambda r: (-r.total, str(r.label)))
        results[name] = rows
    reason_rows = sorted(reasons.values(), key=lambda r: (-r.total, r.label))
    for row in reason_rows:
        row.share = ResultRow._pct(row.total, overall.total)
    results["reason"] = reason_rows
    return results


def unhappy_answers(date_from: dt.date, date_to: dt.date) -> QuerySet:
    """The dissatisfied answers, newest first, with their case, customer, agent and call-back."""
    return (
        answered_between(date_from, date_to)
        .filter(answer=Answer.DISSATISFIED)
        .select_related("case__customer", "agent", "callback__case", "callback__category")
        .prefetch_related("reasons")
        .order_by("-answered_at", "-pk")
    )
