"""Demo after-sales cases: about 300 in every state, with believable Chinese conversations.

Runs after the store's demo data (it needs orders). Cases are found by their demo external ID, so a second run
creates nothing. Everything goes through the desk's services, so payouts, messages and the timeline are real.
"""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from backoffice import casework
from backoffice.models import Case, CaseKind, Order, Priority, Reason, Status

from . import services

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
    now = now or timezone.now()
    have = set(Case.objects.filter(source=DEMO_SOURCE).values_list("external_id", flat=True))
    if len(have) >= count:
        return {"cases": 0}
    rng = random.Random(rng_seed + 30)
    agents = list(get_user_model().objects.filter(groups__name="agent").order_by("username"))
    orders = list(
        Order.objects.filter(status__in=[Order.Status.DELIVERED, Order.Status.COMPLETED, Order.Status.SHIPPED])
        .select_related("customer")
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
        # Open cases are recent (some already overdue); settled ones go back up to two weeks.
        if target == "new":
            age = dt.timedelta(minutes=rng.randint(1, 50 * 60))
        elif target in ("in_progress", "waiting"):
            age = dt.timedelta(minutes=rng.randint(30, 40 * 60))
        else:
            age = dt.timedelta(hours=rng.randint(6, 24 * 14))
        opened_at = now - age
        amount = _amount(rng, kind, order.paid_fen, manual=target in ("new", "in_progress", "waiting"))
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
        if not case.is_open:
            continue  # settled by the automation rules (A5)
        if follow_up:
            casework.record_customer_message(case=case, body=follow_up, at=opened_at + dt.timedelta(minutes=2))
        if target == "new":
            continue
        agent = agents[index % len(agents)] if agents else None
        if agent is None:
            continue
        casework.claim_case(case=case, agent=agent)
        casework.reply_to_customer(case=case, body=reply, actor=agent)
        _advance(case, target, agent, rng)
    return {"cases": created}


def _amount(rng: random.Random, kind: str, paid_fen: int, *, manual: bool) -> int:
    if kind not in (CaseKind.REFUND, CaseKind.RETURN):
        return 0
    # Open demo refunds stay above the auto-approval line so agents have work; some closed ones are small.
    low = 2000 if manual else 500
    if paid_fen <= low:
        return paid_fen
    return rng.randint(low, paid_fen) // 10 * 10


def _advance(case: Case, target: str, agent, rng: random.Random) -> None:
    if target == "in_progress":
        return
    if target == "waiting":
        if case.kind in (CaseKind.RETURN, CaseKind.EXCHANGE):
            services.approve_return(case=case, actor=agent)
        else:
            casework.transition_case(case=case, to=Status.WAITING, actor=agent, note="等待买家提供照片")
        return
    _resolve(case, agent, rng)
    if target == "closed" and case.status == Status.RESOLVED:
        services.close_case(case=case, actor=agent)


def _resolve(case: Case, agent, rng: random.Random) -> None:
    kind = case.kind
    if kind == CaseKind.REFUND:
        if rng.random() < 0.15:
            services.reject_application(case=case, actor=agent, reason="商品已签收超过 7 天，且有明显使用痕迹")
        else:
            services.approve_refund(case=case, actor=agent)
    elif kind in (CaseKind.RETURN, CaseKind.EXCHANGE):
        services.approve_return(case=case, actor=agent)
        services.mark_return_received(case=case, actor=agent)
    elif kind == CaseKind.COMPENSATION:
        services.compensate(case=case, actor=agent)
    elif kind == CaseKind.RESHIP:
        services.reship(case=case, actor=agent, note="补寄 1 件，单号稍后同步")
    elif kind == CaseKind.REVIEW:
        services.compensate(case=case, actor=agent, amount_fen=min(500, services.refundable_fen(case.order)))
        services.record_review_outcome(case=case, actor=agent, revised=rng.random() < 0.6)
    else:
        casework.transition_case(case=case, to=Status.RESOLVED, actor=agent, note="已解答")
