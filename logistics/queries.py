"""The reads behind the logistics queues and case page."""

from django.db.models import OuterRef, QuerySet, Subquery

from backoffice.cases import queues
from backoffice.models import Desk, Shipment
from logistics.models import CourierContact, OutOfStockOffer, Problem, SweepRun


def queue_cases(queue: str, *, user) -> QuerySet:
    """The shared queue of the logistics desk, with each case's parcel (courier, tracking number, last movement)."""
    parcel = Shipment.objects.filter(order_id=OuterRef("order_id")).order_by("-shipped_at", "-pk")
    return queues.queue_cases(queue, user=user, desk=Desk.LOGISTICS).annotate(
        parcel_courier=Subquery(parcel.values("courier__name")[:1]),
        parcel_tracking_no=Subquery(parcel.values("tracking_no")[:1]),
        parcel_last_event_at=Subquery(parcel.values("last_event_at")[:1]),
    )


def case_problems(case) -> list[Problem]:
    return list(Problem.objects.filter(case=case).order_by("detected_at"))


def courier_contacts(case) -> list[CourierContact]:
    return list(CourierContact.objects.filter(case=case).select_related("courier", "actor").order_by("-at"))


def stock_offers(case) -> list[OutOfStockOffer]:
    return list(OutOfStockOffer.objects.filter(case=case).select_related("offered_by", "chosen_by", "refund_case"))


def last_sweep() -> SweepRun | None:
    return SweepRun.objects.order_by("-started_at").first()
