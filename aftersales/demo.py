"""Demo after-sales cases: about 300 in every state, with believable Chinese conversations.

Runs after the store's demo data (it needs orders). Cases are found by their demo external ID, so a second run
creates nothing. Everything goes through the desk's services, so payouts, messages and the timeline are real.
"""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils import timezone

from aftersales import services
from backoffice.cases import seen
from backoffice.cases import services as casework
from backoffice.democlock import replay_at
from backoffice.models import Case, CaseEvent, CaseKind, Order, Priority, Reason, Shipment, Status
from backoffice.payouts.models import Payout
from backoffice.store.businesshours import Calendar

DEMO_SOURCE = "demo"
DEFAULT_CASES = 300

# (kind, reason, opening message, follow-up message or "", agent reply)
SCRIPTS = [
    (
        CaseKind.RETURN,
        Reason.SIZE,
        "衣服买小了，穿着勒，可以退吗？",
        "吊牌还在的，没洗过",
        "亲，支持 7 天无理由退换，吊牌完好就可以退哦~",
    ),
    (
        CaseKind.EXCHANGE,
        Reason.SIZE,
        "鞋子偏小一码，能换大一码吗",
        "要 42 码的",
        "亲，可以换的，我这边给您登记换 42 码~",
    ),
    (
        CaseKind.REFUND,
        Reason.QUALITY,
        "收到的杯子有裂缝，漏水",
        "照片已经发给你们了",
        "非常抱歉给您带来不好的体验，马上为您处理退款",
    ),
    (
        CaseKind.COMPENSATION,
        Reason.QUALITY,
        "衣服有个小线头，不想退了，能补偿点吗",
        "",
        "亲，给您补偿 5 元，商品您留着用，实在抱歉~",
    ),
    (CaseKind.RESHIP, Reason.WRONG_ITEM, "少发了一件，订单是两件只收到一件", "", "亲，核实后给您免费补寄，不用退回哦"),
    (
        CaseKind.REFUND,
        Reason.LOGISTICS,
        "物流好几天不动了，不想要了，退款吧",
        "到底什么时候能到？",
        "亲，已联系快递核实，如您不想等可以为您退款",
    ),
    (
        CaseKind.RETURN,
        Reason.NOT_AS_DESCRIBED,
        "颜色和图片差别太大了，退货",
        "",
        "亲，实在抱歉，同意退货，运费我们承担",
    ),
    (CaseKind.INQUIRY, Reason.OTHER, "退款多久到账？", "", "亲，退款同意后 24 小时内原路退回哦~"),
    (CaseKind.INQUIRY, Reason.LOGISTICS, "什么时候发货呀？", "急用", "亲，拍下 48 小时内发出，今天就给您安排~"),
    (
        CaseKind.REVIEW,
        Reason.QUALITY,
        "[中差评] 质量一般，洗一次就起球",
        "",
        "亲，非常抱歉，给您补偿并送 15 元无门槛券，希望再给我们一次机会",
    ),
    (CaseKind.REFUND, Reason.CHANGED_MIND, "拍错了，不想要了", "还没发货的话直接退吧", "好的亲，已为您处理"),
    (
        CaseKind.RETURN,
        Reason.WRONG_ITEM,
        "发错颜色了，我要的是黑色",
        "",
        "亲，非常抱歉发错了，给您退货退款或者换货都可以",
    ),
]

PLAN = [
    # (status to reach, share of the cases)
    ("new", 0.30),
    ("in_progress", 0.20),
    ("waiting", 0.10),
    ("resolved", 0.20),
    ("closed", 0.20),
]


def seed_cases(*, now: dt.datetime | None = None, rng_seed: int = 2026, count: int = DEFAULT_CASES) -> dict[str, int]:
    """Each case's story is replayed at the moments it happened (backoffice.democlock): most first replies within
    the 3 minutes (R1), decisions within the hour (A4), refunds confirmed some hours later, closures after that, so
    the timelines and last week's reports look like a real store's."""
    now = now or timezone.now()
    have = set(Case.objects.filter(source=DEMO_SOURCE).values_list("external_id", flat=True))
    if len(have) >= count:
        return {"cases": 0}
    rng = random.Random(rng_seed + 30)
    calendar = Calendar.for_store()
    agents = list(get_user_model().objects.filter(groups__name="agent").order_by("username"))
    orders = list(
        Order.objects.filter(status__in=[Order.Status.DELIVERED, Order.Status.COMPLETED, Order.Status.SHIPPED])
        .select_related("customer")
        # Each message's variables read the order's parcel and courier: once here, not once per message.
        .prefetch_related(Prefetch("shipments", queryset=Shipment.objects.select_related("courier")))
        .order_by("number")[: count * 2]
    )
    rng.shuffle(orders)
    plan = [status for status, share in PLAN for _ in range(round(share * count))]
    created = 0
    for index, target in enumerate(plan[:count]):
        external_id = f"demo-{index:04d}"
        if external_id in have or index >= len(orders):
            continue
        order = orders[index]
        kind, reason, opening, follow_up, reply = SCRIPTS[index % len(SCRIPTS)]
        # New cases are the queue's live work (the last hour or two); others go back up to a day and a half; settled
        # ones up to two weeks, so last week's reports are full.
        if target == "new":
            age = dt.timedelta(minutes=rng.randint(1, 100))
        elif target == "in_progress":
            # Mostly being worked on right now, inside the hour the customer was promised (A4); a few older.
            age = dt.timedelta(minutes=rng.randint(5, 50) if rng.random() < 0.75 else rng.randint(60, 30 * 60))
        elif target == "waiting":
            age = dt.timedelta(minutes=rng.randint(30, 36 * 60))
        else:
            age = dt.timedelta(hours=rng.randint(30, 24 * 14))
        opened_at = now - age
        amount = _amount(rng, kind, order.paid_fen, manual=target in ("new", "in_progress", "waiting"))
        with replay_at(opened_at):
            case = services.open_application(
                kind=kind,
                order=order,
                reason=reason,
                amount_fen=amount,
                message=opening,
                source=DEMO_SOURCE,
                external_id=external_id,
                priority=Priority.HIGH if kind == CaseKind.REVIEW else Priority.NORMAL,
                opened_at=opened_at,
            )
        created += 1
        story = _Story(case=case, rng=rng, calendar=calendar, now=now, at=opened_at)
        agent = agents[index % len(agents)] if agents and target != "new" else None
        if not case.is_open:
            # Approved by the automation rules (A5); a person still answers the customer, and the refund arrives later.
            if agent is not None:
                story.first_reply(agent, reply, claim=False)
            story.settle()
            continue
        if agent is None:
            if follow_up and story.later(minutes=(1, 5)):
                story.customer_writes(follow_up)
            continue
        if not story.first_reply(agent, reply):
            continue
        if follow_up and story.later(minutes=(1, 8)):
            story.customer_writes(follow_up)
        _advance(story, target, agent)
    return {"cases": created}


class _Story:
    """One demo case told at its own moments; each step happens only if its moment has already come."""

    def __init__(self, *, case: Case, rng: random.Random, calendar: Calendar, now: dt.datetime, at: dt.datetime):
        self.case, self.rng, self.calendar, self.now, self.at = case, rng, calendar, now, at

    def later(self, *, minutes=(0, 0), hours=(0, 0), business: bool = True) -> bool:
        """Move the story on; False (and no move) when that moment is still in the future."""
        step = dt.timedelta(minutes=self.rng.uniform(*minutes), hours=self.rng.uniform(*hours))
        moment = self.calendar.add_business_time(self.at, step) if business else self.at + step
        if moment >= self.now - dt.timedelta(minutes=1):
            return False
        self.at = moment
        return True

    def customer_writes(self, body: str) -> None:
        with replay_at(self.at):
            casework.record_customer_message(case=self.case, body=body, at=self.at)

    def first_reply(self, agent, body: str, *, claim: bool = True) -> bool:
        # R1: most agents answer within the 3 minutes; about one wait in twelve takes longer.
        seconds = self.rng.uniform(20, 170) if self.rng.random() < 0.92 else self.rng.uniform(200, 900)
        if not self.later(minutes=(seconds / 60, seconds / 60)):
            return False
        with replay_at(self.at):
            if claim:
                casework.claim_case(case=self.case, agent=agent)
            casework.reply_to_customer(case=self.case, body=body, actor=agent)
        self.read_by(agent)
        return True

    def read_by(self, agent) -> None:
        """The agent had the case open up to now: what the customer writes later is unread in their queue."""
        newest = CaseEvent.objects.filter(case=self.case).order_by("-id").values_list("id", flat=True).first() or 0
        seen.mark_seen(user=agent, case_id=self.case.pk, event_id=newest)

    def act(self, action, **kwargs) -> bool:
        """An agent's step a few minutes on (it also answers a customer who wrote meanwhile)."""
        if not self.later(minutes=(1, 3) if self.case.awaiting_reply_since else (2, 40)):
            return False
        with replay_at(self.at):
            action(case=self.case, **kwargs)
        if kwargs.get("actor") is not None:
            self.read_by(kwargs["actor"])
        return True

    def settle(self) -> None:
        """The platform confirms the case's payouts some hours after they were requested (A3, A9)."""
        for payout in Payout.objects.filter(case=self.case, state=Payout.State.REQUESTED).order_by("pk"):
            if self.later(hours=(1, 20), business=False):
                with replay_at(self.at):
                    services.confirm_payout(payout=payout, succeeded=True, at=self.at)


def _advance(story: _Story, target: str, agent) -> None:
    case, rng = story.case, story.rng
    if target == "in_progress":
        if case.awaiting_reply_since is not None:
            story.act(casework.reply_to_customer, body="亲，收到，正在为您核实处理，请稍等~", actor=agent)
        return
    if target == "waiting":
        if case.kind in (CaseKind.RETURN, CaseKind.EXCHANGE):
            story.act(services.approve_return, actor=agent)
        else:
            story.act(casework.transition_case, to=Status.WAITING, actor=agent, note="等待买家提供照片")
        return
    if not _resolve(story, agent, rng):
        return
    story.settle()
    if target == "closed" and case.status == Status.RESOLVED and story.later(hours=(2, 30), business=False):
        with replay_at(story.at):
            services.close_case(case=case, actor=agent)


def _resolve(story: _Story, agent, rng: random.Random) -> bool:
    case, kind = story.case, story.case.kind
    if kind == CaseKind.REFUND:
        if rng.random() < 0.15:
            return story.act(services.reject_application, actor=agent, reason="商品已签收超过 7 天，且有明显使用痕迹")
        return story.act(services.approve_refund, actor=agent)
    if kind in (CaseKind.RETURN, CaseKind.EXCHANGE):
        if not story.act(services.approve_return, actor=agent):
            return False
        # The parcel travels back for a few days.
        if not story.later(hours=(40, 80), business=False):
            return False
        with replay_at(story.at):
            services.mark_return_received(case=case, actor=agent)
        return True
    if kind == CaseKind.COMPENSATION:
        return story.act(services.compensate, actor=agent)
    if kind == CaseKind.RESHIP:
        return story.act(services.reship, actor=agent, note="补寄 1 件，单号稍后同步")
    if kind == CaseKind.REVIEW:
        amount = min(500, services.refundable_fen(case.order))
        if not story.act(services.compensate, actor=agent, amount_fen=amount):
            return False
        with replay_at(story.at):
            services.record_review_outcome(case=case, actor=agent, revised=rng.random() < 0.6)
        return True
    return story.act(casework.transition_case, to=Status.RESOLVED, actor=agent, note="已解答")


def _amount(rng: random.Random, kind: str, paid_fen: int, *, manual: bool) -> int:
    if kind not in (CaseKind.REFUND, CaseKind.RETURN):
        return 0
    # Open demo refunds stay above the auto-approval line so agents have work; some closed ones are small.
    low = 2000 if manual else 500
    if paid_fen <= low:
        return paid_fen
    return rng.randint(low, paid_fen) // 10 * 10
