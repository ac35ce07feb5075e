"""Demo surveys (A12) and call-backs (A13) on the closed demo cases: some answered, some not, a few calls made.

Runs after the after-sales demo. Whether a case's survey is answered, and how, is drawn from a random generator
seeded with the case number, so a second run answers nothing new and creates nothing it made before.
"""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from backoffice.democlock import replay_at
from backoffice.models import Case, Desk, Status
from surveys import services
from surveys.models import CallBack, Survey, SurveyReason, SurveySettings

ANSWER_SHARE = 0.7
# (answer, weight, reason codes to draw from, comments)
ANSWERS = [
    (Survey.Answer.SATISFIED, 60, [], ["", "", "客服很耐心，处理得很快，点赞！", "退款很快到账了，谢谢"]),
    (
        Survey.Answer.NEUTRAL,
        20,
        ["slow_reply", "logistics", "quality"],
        ["", "还行吧，就是回复有点慢", "东西一般，处理还算及时"],
    ),
    (
        Survey.Answer.DISSATISFIED,
        20,
        ["attitude", "slow_refund", "slow_reply", "quality", "not_solved"],
        ["等了两天才有人理我", "退款到现在还没到账！", "客服一直发模板回复，问题没解决", "<b>质量太差</b> 不会再买了"],
    ),
]


def seed_surveys(*, now: dt.datetime | None = None, rng_seed: int = 2026) -> dict[str, int]:
    """Surveys go out when their case closed and are answered after that, some minutes to a day later (never before
    the case closed, never in the future); the rest stay unanswered."""
    now = now or timezone.now()
    counts = {"surveys": 0, "answers": 0, "callbacks": 0, "calls": 0}
    closed = Case.objects.filter(status=Status.CLOSED).exclude(desk=Desk.CALLBACK).select_related("customer")
    for case in closed.filter(survey__isnull=True).order_by("number"):
        with replay_at(case.closed_at or now):
            services.after_case_closed(case=case, actor=None)
        counts["surveys"] += Survey.objects.filter(case=case).exists()
    survey_settings = SurveySettings.load()
    for survey in Survey.objects.filter(sent_at__isnull=True).select_related("case"):
        # The survey goes out once its case is closed (and, inside a follow-up, when that wait is over).
        moment = max(filter(None, [survey.case.closed_at, survey.send_after, survey.created_at]))
        if moment <= now:
            with replay_at(moment):
                services.send_survey(survey=survey, survey_settings=survey_settings)
    reasons = {reason.code: reason for reason in SurveyReason.objects.filter(active=True)}
    callbacks_before = CallBack.objects.count()
    unanswered = Survey.objects.filter(answered_at__isnull=True, sent_at__isnull=False).select_related("case")
    for survey in unanswered.order_by("case__number"):
        rng = random.Random(f"{rng_seed}:{survey.case.number}")
        if rng.random() > ANSWER_SHARE:
            continue  # this one stays unanswered
        answer, _weight, codes, comments = rng.choices(ANSWERS, weights=[a[1] for a in ANSWERS])[0]
        picked = [reasons[code] for code in rng.sample(codes, k=min(len(codes), rng.randint(1, 2))) if code in reasons]
        answered_at = survey.sent_at + dt.timedelta(minutes=rng.randint(5, 20 * 60))
        if answered_at >= now:
            continue  # not answered yet
        with replay_at(answered_at):
            services.answer_survey(
                survey=survey, answer=answer, reasons=picked, comment=rng.choice(comments), at=answered_at
            )
        counts["answers"] += 1
    counts["callbacks"] = CallBack.objects.count() - callbacks_before
    counts["calls"] = _work_some_callbacks(now)
    return counts


def _work_some_callbacks(now: dt.datetime) -> int:
    """The supervisor already called two customers: one reached and settled, one to try again this evening."""
    supervisor = get_user_model().objects.filter(groups__name="supervisor").order_by("username").first()
    if supervisor is None:
        return 0
    callbacks = list(CallBack.objects.select_related("case", "survey").order_by("case__number")[:2])
    calls = 0
    for index, callback in enumerate(callbacks):
        if callback.attempts.exists() or not callback.case.is_open:
            continue
        if index == 0:
            services.log_call(
                callback=callback,
                actor=supervisor,
                reached=True,
                category=callback.survey.reasons.first() or SurveyReason.objects.filter(code="other").first(),
                notes="已致歉，客户表示理解；退款已确认到账。",
                close=True,
            )
        else:
            services.log_call(
                callback=callback,
                actor=supervisor,
                reached=False,
                retry_at=now + dt.timedelta(hours=3),
                notes="无人接听",
            )
        calls += 1
    return calls
