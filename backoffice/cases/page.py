"""What every desk's case page shows around its own panel: the order with its items and parcels, the timeline,
the customer's earlier cases, the reply and note boxes, assignment, priority, and the SLA colour."""

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from backoffice.cases import queues
from backoffice.cases import services as casework
from backoffice.cases.access import colleague_holding, desk_access, desks_open_to
from backoffice.cases.forms import AssignForm, NoteForm, PriorityForm, ReplyForm
from backoffice.models import Case, Shipment, StoreSettings, TrackingEvent
from backoffice.staff.roles import display_name, staff_display_name


def timeline_names(events, case: Case) -> dict[str, str]:
    """Logins the timeline records (who acted, who took or was given the case), said as names: the people already
    loaded first, then one query for any other login an entry names (the case page and its live updates alike)."""
    people = [event.actor for event in events if event.actor_id] + ([case.assignee] if case.assignee_id else [])
    names = {person.get_username(): staff_display_name(person) for person in people}
    wanted = {
        event.after.get(key) for event in events if isinstance(event.after, dict) for key in ("assignee", "held_by")
    } - {None, *names}
    if wanted:
        rows = get_user_model().objects.filter(username__in=wanted).values("username", "first_name", "last_name")
        names |= {row["username"]: display_name(**row) for row in rows}
    return names


def common_context(request, case: Case, *, case_url: str) -> dict:
    store = StoreSettings.load()
    # Only cases of desks the person may open are listed: an agent sees no call-back about the customer.
    open_desks = desks_open_to(request.user)
    order = case.order
    shipments, items = [], []
    if order is not None:
        shipments = list(
            Shipment.objects.filter(order=order)
            .select_related("courier")
            .prefetch_related(Prefetch("events", queryset=TrackingEvent.objects.order_by("-at")))
        )
        items = list(order.items.all())
    raw = list(queues.timeline(case))
    events = queues.one_entry_per_message(raw)
    return {
        "case": case,
        "case_url": case_url,
        # The open page asks for what is new after this (backoffice/desk/live.py).
        "live_url": reverse("case_live", args=[case.number]),
        "last_event_id": max((event.pk for event in raw), default=0),
        "order": order,
        "items": items,
        "shipments": shipments,
        "events": events,
        "staff_names": timeline_names(events, case),
        "earlier_cases": [other for other in queues.earlier_cases(case) if other.desk in open_desks],
        "store": store,
        "reply_form": ReplyForm(),
        "note_form": NoteForm(),
        "assign_form": (
            AssignForm(initial={"assignee": case.assignee_id})
            if desk_access(case.desk).allows(request.user, "assign")
            else None
        ),
        "priority_form": PriorityForm(initial={"priority": case.priority}) if case.is_open else None,
        "is_mine": case.assignee_id == request.user.pk,
        # Whose case this is when it is a colleague's: replying, resolving or closing it is confirmed first.
        "colleague": colleague_holding(case, request.user, "reply"),
        "sla_state": casework.sla_state(case, due_soon_minutes=store.due_soon_minutes),
    }


def refreshed_panel(request, template: str, context: dict) -> HttpResponse:
    """After an action over htmx: the case panel drawn again, and an event telling the page the queues changed."""
    response = render(request, f"{template}#case-panel", context)
    response["HX-Trigger"] = "casesChanged"
    return response
