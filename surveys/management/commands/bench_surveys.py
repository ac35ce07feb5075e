"""Benchmark the survey pages at scale: results, call-back queue, call-back page, the public page. Prints a table."""

import datetime as dt
import random
import statistics
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.models import DESK_KINDS, Case, Customer, Desk, Order, Status
from surveys import services
from surveys.models import CallBack, Survey, SurveyAnswerReason, SurveyReason, SurveySettings

BENCH_SOURCE = "bench_surveys"
BATCH = 2000
WEEKS = 26


class Command(BaseCommand):
    help = "Time the survey results and call-back pages over many answered surveys (default 20,000)."

    def add_arguments(self, parser):
        parser.add_argument("--surveys", type=int, default=20_000)
        parser.add_argument("--repeat", type=int, default=5)

    def handle(self, *args, surveys: int, repeat: int, **options):
        if not Order.objects.exists():
            call_command("seed_demo", orders=2000, stdout=self.stdout)
        made = self.ensure_surveys(surveys)
        supervisor = self.bench_supervisor()
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(supervisor)
        callback = Case.objects.filter(desk=Desk.CALLBACK).order_by("-pk").first()
        today = timezone.localdate()
        rows = []
        for label, url in [
            ("results: last 8 weeks", "/surveys/results/"),
            ("results: 26 weeks", f"/surveys/results/?date_from={today - dt.timedelta(weeks=WEEKS)}"),
            ("results: 26 weeks, page 20", f"/surveys/results/?date_from={today - dt.timedelta(weeks=WEEKS)}&page=20"),
            ("call-backs: all", "/surveys/callbacks/queue/all/"),
            ("call-backs: unassigned", "/surveys/callbacks/queue/unassigned/"),
            ("call-backs: all, page 10", "/surveys/callbacks/queue/all/?page=10"),
            ("call-back page", f"/surveys/callback/{callback.number}/"),
        ]:
            rows.append((label, *self.measure(lambda url=url: self.get(client, url), repeat)))
        token = self.fresh_token()
        public = Client(SERVER_NAME="127.0.0.1")
        rows.append(
            ("public page GET", *self.measure(lambda: self.get(public, f"/s/{token}/", clear_limits=True), repeat))
        )
        rows.append(("public forged link", *self.measure(lambda: self.forged(public), repeat)))
        answered = Survey.objects.filter(answered_at__isnull=False).count()
        self.stdout.write(
            f"\nSurvey benchmark: {answered:,} answered surveys ({made:,} made now), "
            f"{CallBack.objects.count():,} call-backs, {connection.vendor}\n"
        )
        self.stdout.write(f"{'what':<30} {'median ms':>10} {'max ms':>10} {'queries':>8}")
        self.stdout.write("-" * 62)
        for label, median, worst, queries in rows:
            self.stdout.write(f"{label:<30} {median:>10.1f} {worst:>10.1f} {queries:>8}")

    def get(self, client, url, clear_limits=False):
        if clear_limits:
            cache.clear()  # the benchmark is one client hammering one link: the rate limit would stop it
        response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}")

    def forged(self, client):
        cache.clear()
        if client.get("/s/not-a-real-token-at-all-0123456789/").status_code != 404:
            raise CommandError("a forged link did not answer 404")

    def measure(self, fn, repeat):
        timings, queries = [], 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                fn()
                timings.append((time.perf_counter() - started) * 1000)
            queries = len(captured.captured_queries)
        return statistics.median(timings), max(timings), queries

    def bench_supervisor(self):
        user, _created = get_user_model().objects.get_or_create(username="bench_supervisor")
        user.groups.add(Group.objects.get(name="supervisor"))
        return user

    def fresh_token(self) -> str:
        """A sent, unanswered survey for the public page, through the real link-issuing service."""
        case = Case.objects.filter(source=BENCH_SOURCE, survey__isnull=True).first()
        if case is None:
            case = self.bench_cases(1, offset=Case.objects.filter(source=BENCH_SOURCE).count())[0]
        survey = Survey.objects.create(case=case, delivery=SurveySettings.Delivery.ALONE)
        with transaction.atomic():
            return services._issue_token(
                survey=survey, via=SurveySettings.Delivery.ALONE, survey_settings=SurveySettings.load()
            )

    def bench_cases(self, count: int, *, offset: int) -> list[Case]:
        rng = random.Random(offset)  # noqa: S311 - benchmark data, not secrets
        customers = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[:500])
        agents = list(get_user_model().objects.filter(groups__name="agent").values_list("pk", flat=True)) or [None]
        kinds = DESK_KINDS[Desk.AFTERSALES]
        now = timezone.now()
        cases = []
        for i in range(offset, offset + count):
            closed = now - dt.timedelta(minutes=rng.randint(60, WEEKS * 7 * 24 * 60))
            cases.append(
                Case(
                    number=f"AS-B{i:09d}",
                    desk=Desk.AFTERSALES,
                    kind=rng.choice(kinds),
                    status=Status.CLOSED,
                    customer_id=rng.choice(customers),
                    assignee_id=rng.choice(agents),
                    source=BENCH_SOURCE,
                    external_id=f"bench-{i}",
                    created_at=closed - dt.timedelta(hours=20),
                    updated_at=closed,
                    closed_at=closed,
                )
            )
        return Case.objects.bulk_create(cases)

    def ensure_surveys(self, wanted: int) -> int:
        have = Survey.objects.filter(case__source=BENCH_SOURCE, answered_at__isnull=False).count()
        reasons = list(SurveyReason.objects.values_list("pk", flat=True))
        made = 0
        while have + made < wanted:
            batch = min(BATCH, wanted - have - made)
            offset = Case.objects.filter(source=BENCH_SOURCE).count()
            rng = random.Random(offset)  # noqa: S311 - benchmark data, not secrets
            with transaction.atomic():
                cases = self.bench_cases(batch, offset=offset)
                surveys = []
                for case in cases:
                    answered = case.closed_at + dt.timedelta(minutes=rng.randint(5, 3000))
                    answer = rng.choices(Survey.Answer.values, weights=[70, 18, 12])[0]
                    surveys.append(
                        Survey(
                            case=case,
                            delivery=SurveySettings.Delivery.ALONE,
                            created_at=case.closed_at,
                            sent_at=case.closed_at,
                            sent_via=SurveySettings.Delivery.ALONE,
                            expires_at=case.closed_at + dt.timedelta(days=14),
                            answer=answer,
                            comment="" if rng.random() < 0.7 else "物流太慢了，客服回复也慢",
                            answered_at=min(answered, timezone.now()),
                            answered_week=services.week_of(min(answered, timezone.now())),
                            agent_id=case.assignee_id,
                            case_kind=case.kind,
                        )
                    )
                surveys = Survey.objects.bulk_create(surveys)
                SurveyAnswerReason.objects.bulk_create(
                    SurveyAnswerReason(survey=survey, reason_id=reason)
                    for survey in surveys
                    if survey.answer != Survey.Answer.SATISFIED
                    for reason in rng.sample(reasons, k=rng.randint(1, 2))
                )
                # Call-backs through the real service for a share of the unhappy answers (numbers, SLA, events).
                for survey in surveys:
                    if survey.answer == Survey.Answer.DISSATISFIED and rng.random() < 0.1:
                        services.open_callback(survey=survey, at=survey.answered_at)
            made += batch
        return made
