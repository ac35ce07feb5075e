"""The reads behind the quality pages: the review queue, an agent's reviews, disputes, and the QA reports.

Reports count reviews that carry a score (reviewed, acknowledged, disputed, resolved) by the week of the work they
review; R1 and CSAT come from the supervisor reports over the same whole weeks. Each is a fixed number of queries.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from backoffice.supervisor import reports
from backoffice.supervisor.reports import Period, pct, staff_label
from quality.models import SCORED_STATUSES, Review, ReviewScore, ReviewStatus
from quality.services import week_of


def review_list() -> QuerySet:
    return Review.objects.select_related("case", "agent", "reviewer", "dispute_handler", "added_by")


def pending_reviews(*, week: dt.date | None = None, agent_id: int | None = None, reason: str = "") -> QuerySet:
    qs = review_list().filter(status=ReviewStatus.PENDING)
    if week:
        qs = qs.filter(week=week)
    if agent_id:
        qs = qs.filter(agent_id=agent_id)
    if reason:
        qs = qs.filter(reasons__contains=[reason]) if _json_contains() else qs.filter(reasons__icontains=reason)
    return qs.order_by("week", "agent__username", "case__number")


def _json_contains() -> bool:
    from django.db import connection

    # JSON containment is PostgreSQL's; SQLite matches the text of the list.
    return connection.vendor == "postgresql"


def done_reviews(*, status: str = "", agent_id: int | None = None) -> QuerySet:
    qs = review_list().filter(status__in=SCORED_STATUSES)
    if status:
        qs = qs.filter(status=status)
    if agent_id:
        qs = qs.filter(agent_id=agent_id)
    return qs.order_by("-reviewed_at", "-id")


def disputes_for(user) -> QuerySet:
    """Disputed reviews this supervisor decides: sent to them, or to nobody (never their own reviews)."""
    return (
        review_list()
        .filter(status=ReviewStatus.DISPUTED)
        .filter(Q(dispute_handler=user) | Q(dispute_handler__isnull=True))
        .exclude(reviewer=user)
        .order_by("responded_at", "id")
    )


def reviews_of_agent(user) -> QuerySet:
    """What an agent sees: their reviews once scored (not the queue of cases waiting for a review)."""
    return review_list().filter(agent=user, status__in=SCORED_STATUSES).order_by("-reviewed_at", "-id")


def unanswered_count(user) -> int:
    return Review.objects.filter(agent=user, status=ReviewStatus.REVIEWED).count()


def scores_of(review: Review) -> list[ReviewScore]:
    return list(review.scores.all())


# --- reports --------------------------------------------------------------------------------------------------------


def whole_weeks(period: Period) -> Period:
    """The period widened to whole Monday-to-Sunday weeks (reviews belong to a week)."""
    return Period(week_of(period.first), week_of(period.last) + dt.timedelta(days=6))


def mondays(period: Period) -> list[dt.date]:
    first = week_of(period.first)
    return [first + dt.timedelta(days=7 * n) for n in range((period.last - first).days // 7 + 1)]


def _scored(period: Period) -> QuerySet:
    weeks = mondays(period)
    return Review.objects.filter(status__in=SCORED_STATUSES, week__gte=weeks[0], week__lte=weeks[-1])


def _float(value) -> float | None:
    return None if value is None else float(value)


@dataclass
class WeekCell:
    week: dt.date
    reviews: int = 0
    average: float | None = None

    @property
    def label(self) -> str:
        return f"{self.week:%m-%d}"


@dataclass
class AgentWeeks:
    user_id: int | None
    label: str
    cells: list[WeekCell]
    reviews: int = 0
    average: float | None = None
    previous_average: float | None = None

    @property
    def trend(self) -> float | None:
        """The last week with reviews against the week with reviews before it, in points."""
        scored = [c.average for c in self.cells if c.average is not None]
        if len(scored) < 2:
            return None
        return scored[-1] - scored[-2]

    @property
    def change(self) -> float | None:
        return reports.points_change(self.average, self.previous_average)


@dataclass
class WeeklyScores:
    period: Period
    weeks: list[dt.date]
    agents: list[AgentWeeks]
    store: AgentWeeks

    def csv(self) -> tuple[list[str], list[list]]:
        header = ["agent", "week", "reviews", "average_score"]
        rows = []
        for agent in [*self.agents, self.store]:
            for cell in agent.cells:
                rows.append([agent.label, cell.week, cell.reviews, _round(cell.average)])
        return header, rows


def weekly_scores(period: Period) -> WeeklyScores:
    """QA score per agent per week (average of the week's reviews), the period's average, the period before's, and
    the store row. Two grouped queries and one for the names."""
    period = whole_weeks(period)
    previous = period.previous()
    weeks = mondays(period)
    index = {week: i for i, week in enumerate(weeks)}
    rows = _scored(period).values("agent_id", "week").annotate(n=Count("pk"), avg=Avg("score")).order_by()
    totals = {
        row["agent_id"]: row
        for row in _scored(period).values("agent_id").annotate(n=Count("pk"), avg=Avg("score")).order_by()
    }
    before = dict(_scored(previous).values_list("agent_id").annotate(avg=Avg("score")).order_by())
    store_rows = _scored(period).values("week").annotate(n=Count("pk"), avg=Avg("score")).order_by()
    store_total = _scored(period).aggregate(n=Count("pk"), avg=Avg("score"))
    store_before = _scored(previous).aggregate(avg=Avg("score"))["avg"]

    agents: dict[int, AgentWeeks] = {}
    for row in rows:
        agent = agents.setdefault(row["agent_id"], AgentWeeks(row["agent_id"], "", [WeekCell(w) for w in weeks]))
        cell = agent.cells[index[row["week"]]]
        cell.reviews, cell.average = row["n"], _float(row["avg"])
    users = get_user_model().objects.in_bulk(list(agents))
    for agent_id, agent in agents.items():
        agent.label = staff_label(users.get(agent_id))
        agent.reviews = totals[agent_id]["n"]
        agent.average = _float(totals[agent_id]["avg"])
        agent.previous_average = _float(before.get(agent_id))
    store = AgentWeeks(None, str(reports.ALL_AGENTS), [WeekCell(w) for w in weeks])
    for row in store_rows:
        cell = store.cells[index[row["week"]]]
        cell.reviews, cell.average = row["n"], _float(row["avg"])
    store.reviews, store.average = store_total["n"], _float(store_total["avg"])
    store.previous_average = _float(store_before)
    ordered = sorted(agents.values(), key=lambda a: (a.average if a.average is not None else 101, a.label))
    return WeeklyScores(period=period, weeks=weeks, agents=ordered, store=store)


@dataclass
class CriterionRow:
    name: str
    scored: int = 0
    missed: int = 0
    critical: bool = False
    points_share: float | None = None  # average points as a share of the scale

    @property
    def miss_rate(self) -> float | None:
        return pct(self.missed, self.scored)


@dataclass
class MissedCriteria:
    period: Period
    rows: list[CriterionRow] = field(default_factory=list)

    def csv(self) -> tuple[list[str], list[list]]:
        header = ["criterion", "critical", "scored", "missed", "miss_rate_pct", "average_points_pct"]
        return header, [
            [r.name, r.critical, r.scored, r.missed, _round(r.miss_rate), _round(r.points_share)] for r in self.rows
        ]


def missed_criteria(period: Period) -> MissedCriteria:
    """The criteria most often missed (scored below full marks) in the period's reviews, most missed first."""
    period = whole_weeks(period)
    weeks = mondays(period)
    rows = (
        ReviewScore.objects.filter(
            review__status__in=SCORED_STATUSES, review__week__gte=weeks[0], review__week__lte=weeks[-1]
        )
        .values("name", "critical")
        .annotate(
            scored=Count("pk"),
            missed=Count("pk", filter=Q(points__lt=F("scale"))),
            share=Avg(F("points") * Decimal("100.0") / F("scale")),
        )
        .order_by()
    )
    result = [
        CriterionRow(
            name=row["name"],
            critical=row["critical"],
            scored=row["scored"],
            missed=row["missed"],
            points_share=_float(row["share"]),
        )
        for row in rows
    ]
    result.sort(key=lambda r: (-r.missed, -(r.miss_rate or 0), r.name))
    return MissedCriteria(period=period, rows=result)


@dataclass
class AgentQuality:
    user_id: int | None
    label: str
    reviews: int = 0
    qa_score: float | None = None
    r1_replies: int = 0
    r1_rate: float | None = None
    csat_answers: int = 0
    csat: float | None = None


@dataclass
class QualityBeside:
    period: Period
    agents: list[AgentQuality]

    def csv(self) -> tuple[list[str], list[list]]:
        header = ["agent", "reviews", "qa_score", "r1_replies", "r1_rate_pct", "survey_answers", "csat_pct"]
        return header, [
            [a.label, a.reviews, _round(a.qa_score), a.r1_replies, _round(a.r1_rate), a.csat_answers, _round(a.csat)]
            for a in self.agents
        ]


def quality_beside(period: Period) -> QualityBeside:
    """Each reviewed agent's QA score beside their R1 rate (reports.response_rates) and CSAT over the same weeks."""
    from surveys.models import Survey

    period = whole_weeks(period)
    qa = {
        row["agent_id"]: row
        for row in _scored(period).values("agent_id").annotate(n=Count("pk"), avg=Avg("score")).order_by()
    }
    r1 = {agent.user_id: agent.total for agent in reports.response_rates(period).agents}
    csat_rows = (
        Survey.objects.filter(period.q("answered_at"), case__assignee__isnull=False)
        .values("case__assignee")
        .annotate(n=Count("pk"), satisfied=Count("pk", filter=Q(answer=Survey.Answer.SATISFIED)))
        .order_by()
    )
    csat = {row["case__assignee"]: row for row in csat_rows}
    users = get_user_model().objects.in_bulk(list(qa))
    result = []
    for agent_id, row in qa.items():
        cell = r1.get(agent_id)
        answers = csat.get(agent_id)
        result.append(
            AgentQuality(
                user_id=agent_id,
                label=staff_label(users.get(agent_id)),
                reviews=row["n"],
                qa_score=_float(row["avg"]),
                r1_replies=cell.total if cell else 0,
                r1_rate=cell.rate if cell else None,
                csat_answers=answers["n"] if answers else 0,
                csat=pct(answers["satisfied"], answers["n"]) if answers else None,
            )
        )
    result.sort(key=lambda a: (-(a.qa_score or 0), a.label))
    return QualityBeside(period=period, agents=result)


def _round(value: float | None, digits: int = 1):
    return "" if value is None else round(value, digits)


# The reports of the quality page, in page order (CSV slugs).
REPORTS = {
    "qa-weekly": (_("QA score per agent and week"), weekly_scores),
    "qa-criteria": (_("Criteria most often missed"), missed_criteria),
    "qa-beside": (_("QA score, R1 rate and CSAT"), quality_beside),
}
