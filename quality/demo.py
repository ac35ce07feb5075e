"""Demo data for quality review: the default phrase list, a scorecard, and a week of reviews of demo cases
(most scored, some acknowledged, one disputed, a few still waiting in the queue). Safe to run again."""

import random

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from backoffice.models import Case, Desk, Status
from quality import services
from quality.defaults import DEFAULT_CRITERIA, ensure_default_phrases
from quality.models import BannedPhrase, Criterion, Review, ReviewReason, Scorecard

DEMO_REVIEWS = 12
DEMO_SCORECARD = "客服质检评分表"


def ensure_scorecard() -> Scorecard:
    scorecard = Scorecard.objects.filter(name=DEMO_SCORECARD).first() or Scorecard.current()
    if scorecard is None:
        scorecard = Scorecard.objects.create(name=DEMO_SCORECARD)
    if not scorecard.criteria.exists():
        Criterion.objects.bulk_create(
            Criterion(
                scorecard=scorecard,
                name=name,
                description=description,
                weight=weight,
                scale=scale,
                critical=critical,
                sort_order=(index + 1) * 10,
            )
            for index, (name, description, weight, scale, critical) in enumerate(DEFAULT_CRITERIA)
        )
    return scorecard


def seed_quality(*, rng_seed: int = 2026) -> dict[str, int]:
    phrases = ensure_default_phrases(BannedPhrase)
    scorecard = ensure_scorecard()
    if Review.objects.exists():
        return {"banned phrases": phrases, "reviews": 0}
    User = get_user_model()
    supervisor = User.objects.filter(groups__name="supervisor", is_active=True).order_by("username").first()
    if supervisor is None:
        return {"banned phrases": phrases, "reviews": 0}
    rng = random.Random(rng_seed + 160)  # noqa: S311 - demo data
    cases = list(
        Case.objects.filter(status=Status.CLOSED, assignee__isnull=False)
        .filter(~Q(desk=Desk.CALLBACK))
        .exclude(assignee=supervisor)
        .select_related("assignee")
        .order_by("closed_at", "pk")[: DEMO_REVIEWS * 3]
    )
    rng.shuffle(cases)
    criteria = list(scorecard.criteria.all())
    created = 0
    for index, case in enumerate(cases[:DEMO_REVIEWS]):
        reason = ReviewReason.PAYOUT if case.resolved_amount_fen > 10000 else ReviewReason.SAMPLE
        week = services.week_of(timezone.localdate(case.closed_at))
        review = services._add(case=case, agent=case.assignee, week=week, reason=reason, actor=supervisor)
        if review is None:
            continue
        created += 1
        if index >= DEMO_REVIEWS - 3:
            continue  # left in the queue for the supervisor to try
        values = {}
        for criterion in criteria:
            if criterion.critical:
                points = 0 if index == 4 else 1
            else:
                points = max(0, criterion.scale - rng.choice([0, 0, 0, 1, 1, 2]))
            comment = "" if points == criterion.max_points else rng.choice(DEMO_COMMENTS.get(criterion.name, [""]))
            values[criterion.pk] = (points, comment)
        services.submit_review(review=review, reviewer=supervisor, values=values, note=rng.choice(DEMO_NOTES))
        if index % 3 == 0:
            services.acknowledge_review(review=review, agent=case.assignee, note="收到，下次注意。")
        elif index == 2:
            services.dispute_review(
                review=review,
                agent=case.assignee,
                note="买家当时一直没回复，3 分钟内我已经发了处理方案，请再看一下时间线。",
            )
    return {"banned phrases": phrases, "reviews": created}


DEMO_COMMENTS = {
    "响应及时": ["首次回复超过 3 分钟。", "买家追问后 10 分钟才回复。"],
    "态度礼貌": ["开头没有致歉，语气偏生硬。", "可以多一句安抚。"],
    "方案正确": ["小瑕疵应先提供补偿 5 元的选项（A2）。", "退款金额需再核对订单实付。"],
    "话术规范": ["没有提到 7 天无理由退换。", "模板直接粘贴，没有带上订单信息。"],
    "主动告知进度": ["没有告诉买家退款 24 小时内到账。", "处理完没有主动告知下一步。"],
    "违规话术": ["回复中出现站外联系方式，整单 0 分。"],
    "错误退款": ["未核实签收情况就全额退款。"],
}
DEMO_NOTES = [
    "整体处理得不错，注意首次响应时间。",
    "方案正确，话术可以更具体一些。",
    "态度很好，买家最后给了满意评价。",
    "处理流程完整，下次记得主动告知到账时间。",
]
