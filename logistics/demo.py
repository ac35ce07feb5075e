"""Demo logistics exceptions: the detectors run over the demo orders, and agents have already worked a few.

Runs after the store's demo data (its late, stalled and untracked parcels) and the after-sales cases. A second run finds
nothing new: the open problems are already there, and the worked examples are made only once.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from backoffice.cases import services as casework
from backoffice.models import Case, CaseKind, Desk, Status
from logistics import detection, services
from logistics.models import CourierContact

RESULTS = [
    ("95311 客服 工号 1032", "已登记催件，网点称今天中转", dt.timedelta(hours=6)),
    ("目的地网点 王经理", "件在网点滞留，已安排明早派送", dt.timedelta(hours=18)),
    ("快递公司在线客服", "已提交查件工单，24 小时内回复", dt.timedelta(hours=24)),
]


def seed_exceptions(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Run detection over the demo store, then work a few of the cases the way agents would."""
    now = now or timezone.now()
    result = detection.sweep(now=now, full=True)
    worked = 0
    if not CourierContact.objects.exists():
        worked = _work_a_few(now)
    return {"logistics_cases": result.opened, "worked": worked}


def _work_a_few(now: dt.datetime) -> int:
    agents = list(get_user_model().objects.filter(groups__name="agent").order_by("username"))
    if not agents:
        return 0
    open_cases = Case.objects.filter(desk=Desk.LOGISTICS, status=Status.NEW, assignee__isnull=True).select_related(
        "order", "customer"
    )
    worked = 0
    stalled = list(open_cases.filter(kind=CaseKind.STALLED).order_by("created_at", "pk")[: len(RESULTS)])
    for index, case in enumerate(stalled):
        agent = agents[index % len(agents)]
        contact, result, later = RESULTS[index]
        casework.claim_case(case=case, agent=agent)
        services.contact_courier(
            case=case,
            actor=agent,
            contact=contact,
            result=result,
            channel=CourierContact.Channel.PHONE,
            next_check_at=max(now, timezone.now()) + later,
        )
        services.notify_customer(case=case, actor=agent, template_key=services.STALLED_NOTICE)
        worked += 1
    late = open_cases.filter(kind=CaseKind.NOT_SHIPPED).order_by("created_at", "pk").first()
    if late is not None:
        agent = agents[-1]
        casework.claim_case(case=late, agent=agent)
        casework.add_note(case=late, body="仓库说今天下午补货后优先发出", actor=agent)
        services.notify_customer(case=late, actor=agent, template_key=services.DELAY_APOLOGY)
        worked += 1
    return worked
