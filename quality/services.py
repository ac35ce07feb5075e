"""Quality review rules (质检): every write of the quality app goes through a function here.

- draw_week: the weekly sample (QA-1) and the cases every week's review must include (QA-2), recorded.
- add_case: a supervisor adds any case by hand (QA-2).
- submit_review: the scorecard's scores, comments and a note; weights and critical errors make the score (QA-3).
- acknowledge_review / dispute_review: the agent's answer; a dispute goes to another supervisor (QA-4).
- resolve_dispute: that supervisor's decision, with the scores kept or changed (QA-4).

Every change is a conditional update inside a transaction and appends a CaseEvent (the audit trail).
"""

import datetime as dt
import math
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.cases.services import record_event
from backoffice.errors import DomainError
from backoffice.models import Case, CaseEvent, Desk, EventType, Status
from backoffice.staff.roles import Role, has_role
from quality.models import QualitySettings, Review, ReviewReason, ReviewScore, ReviewStatus, SampleDraw, Scorecard

NOTE_MAX = 2000
COMMENT_MAX = 500

# The allowed moves of a review; anything else is refused.
TRANSITIONS: dict[str, set[str]] = {
    ReviewStatus.PENDING: {ReviewStatus.REVIEWED},
    ReviewStatus.REVIEWED: {ReviewStatus.ACKNOWLEDGED, ReviewStatus.DISPUTED},
    ReviewStatus.DISPUTED: {ReviewStatus.RESOLVED},
    ReviewStatus.ACKNOWLEDGED: set(),
    ReviewStatus.RESOLVED: set(),
}


# --- weeks --------------------------------------------------------------------------------------------------------


def week_of(day: dt.date) -> dt.date:
    """The Monday of a Shanghai calendar day's week."""
    return day - dt.timedelta(days=day.weekday())


def week_bounds(week: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Monday 00:00 to the next Monday 00:00, Shanghai time (aware)."""
    tz = timezone.get_default_timezone()
    start = dt.datetime.combine(week, dt.time.min, tz)
    return start, start + dt.timedelta(days=7)


def last_week(today: dt.date | None = None) -> dt.date:
    return week_of(today or timezone.localdate()) - dt.timedelta(days=7)


# --- adding cases -------------------------------------------------------------------------------------------------


def _add(*, case: Case, agent, week: dt.date, reason: str, draw=None, actor=None, note: str = "") -> Review | None:
    """Put the case in the week's review queue for the agent, or add the reason to its existing review.

    Returns the review when something changed, None when the case was already there for that reason.
    """
    review = Review.objects.filter(case=case, week=week).first()
    if review is None:
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    case=case, agent=agent, week=week, reasons=[reason], draw=draw, added_by=actor
                )
        except IntegrityError:
            review = Review.objects.get(case=case, week=week)
        else:
            _record(review, EventType.QA_ADDED, actor, body=note, after={"reason": reason, "week": week.isoformat()})
            return review
    if reason in review.reasons:
        return None
    before = list(review.reasons)
    review.reasons = [*before, reason]
    review.save(update_fields=["reasons"])
    _record(review, EventType.QA_ADDED, actor, body=note, before={"reasons": before}, after={"reasons": review.reasons})
    return review


def _record(review: Review, type: str, actor, *, body: str = "", before=None, after=None) -> CaseEvent:
    after = {"review": review.pk, **(after or {})}
    return record_event(case=review.case, type=type, actor=actor, body=body, before=before, after=after)


def add_case(*, case: Case, actor, note: str = "") -> Review:
    """QA-2: a supervisor adds any case to the review queue by hand (the week of its closing, or this week)."""
    if not has_role(actor, Role.SUPERVISOR):
        raise DomainError(_("Only supervisors add cases to the quality review."))
    if case.assignee_id is None:
        raise DomainError(_("Nobody handled this case yet: there is no one to review."))
    day = timezone.localdate(case.closed_at) if case.closed_at else timezone.localdate()
    week = week_of(day)
    with transaction.atomic():
        review = _add(case=case, agent=case.assignee, week=week, reason=ReviewReason.MANUAL, actor=actor, note=note)
    if review is None:
        raise DomainError(_("This case is already in the review queue."))
    return review


def sample_size(closed: int, settings: QualitySettings) -> int:
    """QA-1: the store's share of the agent's closed cases, rounded up, at least the minimum, at most all of them."""
    if closed <= 0:
        return 0
    return min(closed, max(settings.sample_minimum, math.ceil(closed * settings.sample_percent / 100)))


def sample_seed(week: dt.date, agent_id: int) -> str:
    return f"qa:{week.isoformat()}:{agent_id}"


def draw_sample(case_ids: list[int], *, week: dt.date, agent_id: int, size: int) -> list[int]:
    """The same cases for the same week, agent and candidates, whoever draws and however often (seeded)."""
    rng = random.Random(sample_seed(week, agent_id))  # noqa: S311 - reproducible sampling, not security
    return sorted(rng.sample(sorted(case_ids), size))


def _closed_in(week: dt.date):
    start, end = week_bounds(week)
    return Case.objects.filter(
        status=Status.CLOSED, closed_at__gte=start, closed_at__lt=end, assignee__isnull=False
    ).exclude(desk=Desk.CALLBACK)


def rule_cases(week: dt.date, settings: QualitySettings) -> dict[str, list[tuple[int, int | None]]]:
    """QA-2: (case id, agent id) of every case the week's review must include, by rule.

    A dissatisfied survey answered that week; a case reopened that week; a case closed that week whose payouts add up
    to more than the store's amount; a reply sent that week with a warned phrase (the agent who sent it).
    """
    from surveys.models import Survey

    start, end = week_bounds(week)
    dissatisfied = Survey.objects.filter(
        answer=Survey.Answer.DISSATISFIED, answered_at__gte=start, answered_at__lt=end, case__assignee__isnull=False
    ).values_list("case_id", "case__assignee_id")
    reopened = (
        CaseEvent.objects.filter(
            type=EventType.CASE_STATUS,
            at__gte=start,
            at__lt=end,
            before__status__in=[Status.RESOLVED, Status.CLOSED],
            case__assignee__isnull=False,
        )
        .exclude(after__status__in=[Status.RESOLVED, Status.CLOSED])
        .values_list("case_id", "case__assignee_id")
    )
    payout = _closed_in(week).filter(resolved_amount_fen__gt=settings.payout_review_over_fen)
    phrase = CaseEvent.objects.filter(
        type=EventType.QA_PHRASE_WARNED, at__gte=start, at__lt=end, case__isnull=False
    ).values_list("case_id", "actor_id")
    return {
        ReviewReason.DISSATISFIED: sorted(set(dissatisfied)),
        ReviewReason.REOPENED: sorted(set(reopened)),
        ReviewReason.PAYOUT: sorted(set(payout.values_list("pk", "assignee_id"))),
        ReviewReason.PHRASE: sorted({(case_id, actor_id) for case_id, actor_id in phrase if actor_id is not None}),
    }


def draw_week(*, week: dt.date, actor=None, settings: QualitySettings | None = None) -> SampleDraw:
    """QA-1, QA-2: the week's sample per agent (drawn once, seeded by week and agent, recorded) and the rule cases.

    Safe to run again: the random sample of a week already drawn is kept as recorded; rule cases that appeared since
    (a survey answered late) are added; nothing is added twice.
    """
    settings = settings or QualitySettings.load()
    week = week_of(week)
    if week >= week_of(timezone.localdate()):
        raise DomainError(_("Only a week that is over can be drawn."))
    User = get_user_model()
    with transaction.atomic():
        draw, created = SampleDraw.objects.get_or_create(week=week, defaults={"actor": actor})
        draw = SampleDraw.objects.select_for_update().get(pk=draw.pk)
        details = dict(draw.details)
        cases: dict[int, Case] = {}
        added = 0
        if created:
            per_agent: dict[int, list[int]] = {}
            for case_id, agent_id in _closed_in(week).values_list("pk", "assignee_id").order_by("pk"):
                per_agent.setdefault(agent_id, []).append(case_id)
            agents = {}
            chosen: list[tuple[int, int]] = []
            for agent_id, ids in sorted(per_agent.items()):
                size = sample_size(len(ids), settings)
                picked = draw_sample(ids, week=week, agent_id=agent_id, size=size)
                chosen.extend((case_id, agent_id) for case_id in picked)
                agents[str(agent_id)] = {
                    "closed": len(ids),
                    "size": size,
                    "seed": sample_seed(week, agent_id),
                    "cases": picked,
                }
            details.update(
                percent=settings.sample_percent,
                minimum=settings.sample_minimum,
                payout_over_fen=settings.payout_review_over_fen,
                agents=agents,
            )
            added += _add_all(chosen, week=week, reason=ReviewReason.SAMPLE, draw=draw, cases=cases, users=User)
        rules = details.setdefault("rules", {})
        for reason, pairs in rule_cases(week, settings).items():
            seen = set(rules.get(reason, []))
            rules[reason] = sorted(seen | {case_id for case_id, _agent in pairs})
            added += _add_all(pairs, week=week, reason=reason, draw=draw, cases=cases, users=User)
        draw.details = details
        draw.save(update_fields=["details"])
        record_event(
            case=None,
            type=EventType.QA_SAMPLE_DRAWN,
            actor=actor,
            target=f"qa-week:{week.isoformat()}",
            after={"week": week.isoformat(), "added": added, "first_draw": created},
        )
    return draw


def _add_all(pairs, *, week, reason, draw, cases: dict, users) -> int:
    if not pairs:
        return 0
    missing = [case_id for case_id, _agent in pairs if case_id not in cases]
    cases.update(Case.objects.in_bulk(missing))
    agents = users.objects.in_bulk({agent_id for _case, agent_id in pairs})
    added = 0
    for case_id, agent_id in pairs:
        if _add(case=cases[case_id], agent=agents[agent_id], week=week, reason=reason, draw=draw) is not None:
            added += 1
    return added


# --- scoring ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scored:
    """One criterion as scored: points from 0 to scale (critical: 1 pass, 0 fail)."""

    name: str
    weight: int
    scale: int
    critical: bool
    points: int
    comment: str = ""
    criterion_id: int | None = None
    sort_order: int = 100


def compute_score(scores: list[Scored]) -> tuple[Decimal, bool]:
    """QA-3: the weighted share of points, 0–100 with one decimal; any failed critical criterion makes it 0.

    score = Σ weight × points / scale ÷ Σ weight × 100 over the non-critical criteria.
    """
    critical_failed = any(s.critical and s.points < s.scale for s in scores)
    if critical_failed:
        return Decimal("0.0"), True
    weighted = [s for s in scores if not s.critical]
    total_weight = sum(s.weight for s in weighted)
    if not total_weight:
        return Decimal("100.0"), False
    value = sum(Decimal(s.weight) * Decimal(s.points) / Decimal(s.scale) for s in weighted) / total_weight * 100
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), False


def scored_from_card(scorecard: Scorecard, values: dict[int, tuple[int, str]]) -> list[Scored]:
    """The scorecard's criteria with the points and comments a reviewer gave (every criterion must be scored)."""
    result = []
    for criterion in scorecard.criteria.all():
        if criterion.pk not in values:
            raise DomainError(_("Score every criterion: “%(name)s” is missing.") % {"name": criterion.name})
        points, comment = values[criterion.pk]
        scale = criterion.max_points
        if not 0 <= points <= scale:
            raise DomainError(_("“%(name)s” is scored from 0 to %(scale)s.") % {"name": criterion.name, "scale": scale})
        result.append(
            Scored(
                name=criterion.name,
                weight=criterion.weight,
                scale=scale,
                critical=criterion.critical,
                points=points,
                comment=(comment or "").strip()[:COMMENT_MAX],
                criterion_id=criterion.pk,
                sort_order=criterion.sort_order,
            )
        )
    if not result:
        raise DomainError(_("The scorecard has no criteria yet: a store admin adds them in Django admin."))
    return result


def _move(review: Review, old: str, new: str, changes: dict) -> None:
    """The conditional update behind every step: 0 rows means someone else moved the review first."""
    if new not in TRANSITIONS[old]:
        raise DomainError(_("This review cannot change like that now."))
    if not Review.objects.filter(pk=review.pk, status=old).update(status=new, **changes):
        raise DomainError(_("Someone else changed this review just now. Reload the page."))
    review.status = new
    for field, value in changes.items():
        setattr(review, field, value)


def _score_summary(scores) -> dict:
    return {s.name: s.points for s in scores}


def submit_review(*, review: Review, reviewer, values: dict[int, tuple[int, str]], note: str = "") -> Review:
    """QA-3: a supervisor scores a case on the current scorecard; saved with the audit event (before → after)."""
    if not has_role(reviewer, Role.SUPERVISOR):
        raise DomainError(_("Only supervisors review cases."))
    if review.agent_id == reviewer.pk:
        raise DomainError(_("Nobody reviews their own work."))
    if review.status != ReviewStatus.PENDING:
        raise DomainError(_("This case has been reviewed already."))
    scorecard = Scorecard.current()
    if scorecard is None:
        raise DomainError(_("There is no active scorecard: a store admin sets one up in Django admin."))
    scored = scored_from_card(scorecard, values)
    score, critical_failed = compute_score(scored)
    now = timezone.now()
    with transaction.atomic():
        _move(
            review,
            ReviewStatus.PENDING,
            ReviewStatus.REVIEWED,
            {
                "scorecard": scorecard,
                "reviewer": reviewer,
                "reviewed_at": now,
                "score": score,
                "critical_failed": critical_failed,
                "note": note.strip()[:NOTE_MAX],
            },
        )
        ReviewScore.objects.bulk_create(
            ReviewScore(
                review=review,
                criterion_id=s.criterion_id,
                name=s.name,
                weight=s.weight,
                scale=s.scale,
                critical=s.critical,
                points=s.points,
                comment=s.comment,
                sort_order=s.sort_order,
            )
            for s in scored
        )
        _record(
            review,
            EventType.QA_REVIEWED,
            reviewer,
            before={"review_status": ReviewStatus.PENDING},
            after={
                "review_status": ReviewStatus.REVIEWED,
                "score": str(score),
                "critical_failed": critical_failed,
                "scores": _score_summary(scored),
                "agent": review.agent.get_username(),
                "note": review.note,
            },
        )
    return review


def acknowledge_review(*, review: Review, agent, note: str = "") -> Review:
    """QA-4: the reviewed agent has read the review and accepts it."""
    if review.agent_id != agent.pk:
        raise DomainError(_("Only the reviewed agent answers a review."))
    with transaction.atomic():
        _move(
            review,
            ReviewStatus.REVIEWED,
            ReviewStatus.ACKNOWLEDGED,
            {"agent_note": note.strip()[:NOTE_MAX], "responded_at": timezone.now()},
        )
        _record(
            review,
            EventType.QA_ACKNOWLEDGED,
            agent,
            before={"review_status": ReviewStatus.REVIEWED},
            after={"review_status": ReviewStatus.ACKNOWLEDGED, "note": review.agent_note},
        )
    return review


def dispute_handler_for(review: Review):
    """QA-4: the supervisor who takes a dispute: never the reviewer (nor the agent); the one with the fewest open
    disputes, then by username. Store admins only when no other supervisor exists. None: nobody else at all."""
    User = get_user_model()
    excluded = [pk for pk in (review.reviewer_id, review.agent_id) if pk]
    for group in (Role.SUPERVISOR, Role.STORE_ADMIN):
        candidates = (
            User.objects.filter(is_active=True, groups__name=group)
            .exclude(pk__in=excluded)
            .distinct()
            .order_by("username")
        )
        load = dict(
            Review.objects.filter(status=ReviewStatus.DISPUTED, dispute_handler__in=candidates)
            .values_list("dispute_handler")
            .annotate(n=Count("pk"))
            .order_by()
        )
        people = list(candidates)
        if people:
            return min(people, key=lambda u: (load.get(u.pk, 0), u.username))
    return None


def dispute_review(*, review: Review, agent, note: str) -> Review:
    """QA-4: the reviewed agent disagrees, with a note; the review goes to a supervisor other than the reviewer."""
    if review.agent_id != agent.pk:
        raise DomainError(_("Only the reviewed agent answers a review."))
    note = note.strip()[:NOTE_MAX]
    if not note:
        raise DomainError(_("Say what you disagree with."))
    handler = dispute_handler_for(review)
    with transaction.atomic():
        _move(
            review,
            ReviewStatus.REVIEWED,
            ReviewStatus.DISPUTED,
            {"agent_note": note, "responded_at": timezone.now(), "dispute_handler": handler},
        )
        _record(
            review,
            EventType.QA_DISPUTED,
            agent,
            before={"review_status": ReviewStatus.REVIEWED},
            after={
                "review_status": ReviewStatus.DISPUTED,
                "dispute_handler": handler.get_username() if handler else None,
                "note": note,
            },
        )
    return review


def can_resolve(review: Review, user) -> bool:
    """Another supervisor than the reviewer: the one the dispute went to, or any when it went to nobody."""
    if review.status != ReviewStatus.DISPUTED or not has_role(user, Role.SUPERVISOR):
        return False
    if user.pk in (review.reviewer_id, review.agent_id):
        return False
    return review.dispute_handler_id in (None, user.pk) or has_role(user, Role.STORE_ADMIN)


def resolve_dispute(*, review: Review, supervisor, values: dict[int, tuple[int, str]], note: str) -> Review:
    """QA-4: the second supervisor decides: the scores stay (upheld) or change (amended); both recorded."""
    if not can_resolve(review, supervisor):
        raise DomainError(_("A disputed review is decided by a supervisor other than the reviewer."))
    note = note.strip()[:NOTE_MAX]
    if not note:
        raise DomainError(_("Explain the decision to the agent."))
    current = list(review.scores.all())
    scored = []
    for score in current:
        # Keyed by the score row: the criterion may have been edited or removed since the review.
        points, comment = values.get(score.pk, (score.points, score.comment))
        if not 0 <= points <= score.scale:
            raise DomainError(
                _("“%(name)s” is scored from 0 to %(scale)s.") % {"name": score.name, "scale": score.scale}
            )
        scored.append((score, points, (comment or "").strip()[:COMMENT_MAX]))
    new = [Scored(s.name, s.weight, s.scale, s.critical, points, comment) for s, points, comment in scored]
    score_value, critical_failed = compute_score(new)
    old_score, old_points = review.score, _score_summary(current)
    with transaction.atomic():
        _move(
            review,
            ReviewStatus.DISPUTED,
            ReviewStatus.RESOLVED,
            {
                "score": score_value,
                "critical_failed": critical_failed,
                "resolved_by": supervisor,
                "resolved_at": timezone.now(),
                "resolution_note": note,
            },
        )
        for score, points, comment in scored:
            if (score.points, score.comment) != (points, comment):
                ReviewScore.objects.filter(pk=score.pk).update(points=points, comment=comment)
        _record(
            review,
            EventType.QA_DISPUTE_RESOLVED,
            supervisor,
            before={"review_status": ReviewStatus.DISPUTED, "score": str(old_score), "scores": old_points},
            after={
                "review_status": ReviewStatus.RESOLVED,
                "score": str(score_value),
                "scores": {s.name: p for s, p, _c in scored},
                "decision": "upheld" if score_value == old_score else "amended",
                "note": note,
            },
        )
    return review
