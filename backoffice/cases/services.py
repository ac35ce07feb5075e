"""The case services every desk shares: open, move, assign, claim, talk to the customer, note.

Each write runs in a transaction, changes the row with a conditional update where two people could race,
and appends the timeline event that is also the audit trail.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.cases import access as caseaccess
from backoffice.cases import closure
from backoffice.cases.queues import platform_first
from backoffice.errors import DomainError, ReplyOverlap
from backoffice.messaging import outbox
from backoffice.models import (
    DESK_PREFIX,
    OPEN_STATUSES,
    AutoReplyRule,
    Case,
    CaseCounter,
    CaseEvent,
    CaseKind,
    Customer,
    Desk,
    EventType,
    Order,
    OutboundMessage,
    Priority,
    ResponseWait,
    StaffProfile,
    Status,
    StoreSettings,
)
from backoffice.staff.roles import staff_display_name
from backoffice.store.businesshours import Calendar, next_open_text
from backoffice.store.cache import kept
from quality import screening  # the store's banned phrases (QA-5)
from quality.phrases import describe as describe_phrases

# The allowed moves between states. Buttons on the case page come from ACTIONS, which must agree with this.
TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED, Status.CLOSED},
    Status.IN_PROGRESS: {Status.WAITING, Status.RESOLVED, Status.CLOSED},
    Status.WAITING: {Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED},
    Status.RESOLVED: {Status.CLOSED, Status.IN_PROGRESS},
    Status.CLOSED: {Status.IN_PROGRESS},
}


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    sources: frozenset[str]
    target: str


OPEN = frozenset(OPEN_STATUSES)
ACTIONS = [
    Action("start", gettext_lazy("Start work"), frozenset({Status.NEW, Status.WAITING}), Status.IN_PROGRESS),
    Action("wait", gettext_lazy("Wait for customer"), frozenset({Status.NEW, Status.IN_PROGRESS}), Status.WAITING),
    Action("resolve", gettext_lazy("Mark resolved"), OPEN, Status.RESOLVED),
    Action("close", gettext_lazy("Close"), OPEN | {Status.RESOLVED}, Status.CLOSED),
    Action("reopen", gettext_lazy("Reopen"), frozenset({Status.RESOLVED, Status.CLOSED}), Status.IN_PROGRESS),
]
ACTIONS_BY_NAME = {action.name: action for action in ACTIONS}


def available_actions(case: Case) -> list[Action]:
    return [action for action in ACTIONS if case.status in action.sources]


def can_transition(case: Case, to: str) -> bool:
    return to in TRANSITIONS[case.status]


# --- events -----------------------------------------------------------------------------------------------------


def record_event(
    *,
    case: Case | None,
    type: str,
    actor=None,
    body: str = "",
    before: dict | None = None,
    after: dict | None = None,
    target: str = "",
    external_id: str = "",
    at: dt.datetime | None = None,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        type=type,
        actor=actor,
        body=body,
        before=before or {},
        after=after or {},
        target=target or (case.number if case else ""),
        external_id=external_id,
        at=at or timezone.now(),
    )


def _user_label(user) -> str | None:
    return user.get_username() if user is not None else None


# --- numbers and SLA ----------------------------------------------------------------------------------------------


def next_case_number(desk: str, at: dt.datetime | None = None) -> str:
    """AS-20261124-0001: desk prefix, the Shanghai date, and that day's sequence."""
    prefix = DESK_PREFIX[Desk(desk)]
    day = timezone.localdate(at or timezone.now())
    with transaction.atomic():
        try:
            with transaction.atomic():
                CaseCounter.objects.get_or_create(prefix=prefix, day=day)
        except IntegrityError:
            pass  # another process created today's counter first
        CaseCounter.objects.filter(prefix=prefix, day=day).update(last=F("last") + 1)
        last = CaseCounter.objects.filter(prefix=prefix, day=day).values_list("last", flat=True).get()
    return f"{prefix}-{day:%Y%m%d}-{last:04d}"


# A7: each kind's deadline is its own store setting (the guide: refund 48 h, return 24 h).
DEADLINE_SETTINGS = {
    CaseKind.REFUND: "refund_handle_hours",
    CaseKind.RETURN: "return_review_hours",
    CaseKind.EXCHANGE: "exchange_review_hours",
    CaseKind.COMPENSATION: "compensation_handle_hours",
    CaseKind.RESHIP: "reship_handle_hours",
    CaseKind.REVIEW: "review_handle_hours",
}


def resolve_deadline(kind: str, opened_at: dt.datetime, store: StoreSettings) -> dt.datetime | None:
    """A7: a refund application is handled within 48 h, a return reviewed within 24 h; exchange, compensation,
    reship and review cases each have their own store setting."""
    setting = DEADLINE_SETTINGS.get(kind)
    if setting is None:
        return None
    return opened_at + dt.timedelta(hours=getattr(store, setting))


def nearest_due(*moments: dt.datetime | None) -> dt.datetime | None:
    present = [m for m in moments if m is not None]
    return min(present) if present else None


def case_due(case: Case) -> dt.datetime | None:
    """The case's nearest deadline: the waiting customer's reply (R1), the first handling (A4) until the application
    is decided, and the handling deadline (A7)."""
    return nearest_due(case.first_response_due, case.resolve_due, case.handle_due if case.handled_at is None else None)


def sla_state(case: Case, *, now: dt.datetime | None = None, due_soon_minutes: int = 120) -> str:
    """ok / soon / overdue / none, for the countdown's colour."""
    if case.due_at is None or not case.is_open:
        return "none"
    now = now or timezone.now()
    if case.due_at <= now:
        return "overdue"
    if case.due_at - now <= dt.timedelta(minutes=due_soon_minutes):
        return "soon"
    return "ok"


# --- opening ----------------------------------------------------------------------------------------------------


def open_case(
    *,
    desk: str,
    kind: str,
    customer: Customer | None,
    order: Order | None = None,
    actor=None,
    reason: str = "",
    subject: str = "",
    amount_fen: int = 0,
    small_defect: bool = False,
    priority: int = Priority.NORMAL,
    source: str = "manual",
    external_id: str = "",
    resolve_due: dt.datetime | None = None,
    opened_at: dt.datetime | None = None,
    store: StoreSettings | None = None,
) -> Case:
    store = store or StoreSettings.load()
    opened_at = opened_at or timezone.now()
    if customer is None and order is not None:
        customer = order.customer
    if amount_fen < 0:
        raise DomainError(_("The amount cannot be negative."))
    if order is not None and amount_fen > order.paid_fen:
        raise DomainError(_("The amount cannot be more than the customer paid for the order."))
    due = resolve_due if resolve_due is not None else resolve_deadline(kind, opened_at, store)
    with transaction.atomic():
        case = Case.objects.create(
            number=next_case_number(desk, opened_at),
            desk=desk,
            kind=kind,
            customer=customer,
            order=order,
            reason=reason,
            subject=subject[:200],
            amount_fen=amount_fen,
            small_defect=small_defect,
            priority=priority,
            source=source,
            external_id=external_id,
            resolve_due=due,
            due_at=due,
            created_at=opened_at,
            updated_at=opened_at,
        )
        record_event(
            case=case,
            type=EventType.CASE_OPENED,
            actor=actor,
            at=opened_at,
            after={
                "kind": kind,
                "status": case.status,
                "reason": reason,
                "amount_fen": amount_fen,
                "source": source,
                "order": order.number if order else None,
            },
        )
    return case


# --- state ------------------------------------------------------------------------------------------------------


def transition_case(*, case: Case, to: str, actor=None, note: str = "", extra: dict | None = None) -> Case:
    """Move a case along the table above; refuse any other move; 0 rows updated means someone moved it first."""
    old = case.status
    if to == old:
        return case
    if not can_transition(case, to):
        raise DomainError(
            _("A case that is “%(old)s” cannot become “%(new)s”.") % {"old": Status(old).label, "new": Status(to).label}
        )
    now = timezone.now()
    changes: dict = {"status": to, "updated_at": now}
    if to == Status.RESOLVED:
        changes["resolved_at"] = now
    if to == Status.CLOSED:
        changes["closed_at"] = now
    if to in (Status.RESOLVED, Status.CLOSED):
        changes.update(awaiting_reply_since=None, first_response_due=None, resolve_due=None, due_at=None)
        # R1: a wait the case ends without a human answer stays a miss.
        ResponseWait.objects.filter(case=case, answered_at__isnull=True, ended_at__isnull=True).update(ended_at=now)
    if old in (Status.RESOLVED, Status.CLOSED) and to in OPEN_STATUSES:
        changes.update(resolved_at=None, closed_at=None)
    changes.update(extra or {})
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, status=old).update(**changes)
        if not updated:
            raise DomainError(_("Someone else changed this case just now. Reload it and try again."))
        for field, value in changes.items():
            setattr(case, field, value)
        record_event(
            case=case, type=EventType.CASE_STATUS, actor=actor, body=note, before={"status": old}, after={"status": to}
        )
        if to == Status.CLOSED:
            closure.after_close(case=case, actor=actor)
        elif to == Status.RESOLVED:
            closure.after_resolve(case=case, actor=actor)
        elif old in (Status.RESOLVED, Status.CLOSED):
            # Back to work from resolved or closed: what was scheduled for the settled case no longer holds.
            closure.after_reopen(case=case, actor=actor)
    return case


def set_priority(*, case: Case, priority: int, actor) -> Case:
    old = case.priority
    if old == priority:
        return case
    with transaction.atomic():
        Case.objects.filter(pk=case.pk).update(priority=priority, updated_at=timezone.now())
        case.priority = priority
        record_event(
            case=case, type=EventType.CASE_PRIORITY, actor=actor, before={"priority": old}, after={"priority": priority}
        )
    return case


# --- assignment -------------------------------------------------------------------------------------------------


def _claim_changes(agent, *, start: bool = True) -> dict:
    changes = {"assignee": agent, "updated_at": timezone.now()}
    if start:
        # Taking a new case starts work on it, in the same UPDATE as the claim.
        changes["status"] = models.Case(
            models.When(status=Status.NEW, then=models.Value(Status.IN_PROGRESS)), default=F("status")
        )
    return changes


def claim_case(*, case: Case, agent) -> Case:
    """An agent takes a specific unassigned case. Two agents can never both get it."""
    if not case.is_open:
        raise DomainError(_("Only open cases can be taken."))
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, assignee__isnull=True, status__in=OPEN_STATUSES).update(
            **_claim_changes(agent)
        )
        if not updated:
            raise DomainError(_("Another agent took this case first."))
        old_status = case.status
        case.refresh_from_db(fields=["assignee", "status", "updated_at"])
        record_event(
            case=case,
            type=EventType.CASE_CLAIMED,
            actor=agent,
            before={"assignee": None, "status": old_status},
            after={"assignee": _user_label(agent), "status": case.status},
        )
    return case


def take_next_case(*, agent, desk: str, kinds: list[str] | None = None, automatic: bool = False) -> Case | None:
    """Give the agent the most urgent unassigned open case: earliest SLA deadline, then priority, then age.

    None only when no unassigned open case is left: a case a rival took meanwhile sends the agent to the next one.
    `automatic`: the system hands it out (recorded as an assignment by "system"; the case stays new).
    """
    candidates = Case.objects.filter(desk=desk, status__in=OPEN_STATUSES, assignee__isnull=True)
    if kinds:
        candidates = candidates.filter(kind__in=kinds)
    # A case the platform intervened in comes first (it costs the store), then the earliest deadline.
    urgency = (F("due_at").asc(nulls_last=True), "-priority", "created_at")
    ordered = candidates.order_by(platform_first(), *urgency)
    intervened = candidates.filter(platform_intervened_at__isnull=False).order_by(*urgency)
    by_deadline = candidates.order_by(*urgency)
    skip_locked = connection.features.has_select_for_update_skip_locked
    while True:
        with transaction.atomic():
            if skip_locked:
                # PostgreSQL: each agent locks the first case nobody else holds, so twenty agents at once take twenty
                # different cases instead of queueing on the same row. Intervened cases first, then the rest, each
                # read walking its own partial index instead of sorting every waiting case by a computed key.
                row = None
                for part in (intervened, by_deadline):
                    row = part.select_for_update(skip_locked=True, of=("self",)).values_list("pk", "status").first()
                    if row is not None:
                        break
                if row is None:
                    # Every candidate is held by someone (a claim under way, or another write to the case): wait for
                    # the first one's holder, then look again, rather than say the queue is empty while a case may
                    # still come back unassigned. One row by its key: waiting on the queue's order instead kept a
                    # lock on each row found taken on the way, and three waiting agents deadlocked on them.
                    waiting = ordered.values_list("pk", flat=True).first()
                    if waiting is None:
                        return None
                    Case.objects.filter(pk=waiting).select_for_update(of=("self",)).values_list("pk").first()
                    continue
            else:
                # Elsewhere (SQLite) writers are serialised anyway: the conditional update below is the guard.
                row = ordered.values_list("pk", "status").first()
            if row is None:
                return None
            pk, before = row
            if not Case.objects.filter(pk=pk, assignee__isnull=True, status__in=OPEN_STATUSES).update(
                **_claim_changes(agent, start=not automatic)
            ):
                continue  # taken or closed since the read: try the next one, never answer "empty" for it
            case = Case.objects.select_related("customer", "order").get(pk=pk)
            record_event(
                case=case,
                type=EventType.CASE_ASSIGNED if automatic else EventType.CASE_CLAIMED,
                actor=None if automatic else agent,
                before={"assignee": None, "status": before},
                after={
                    "assignee": _user_label(agent),
                    "status": case.status,
                    "via": "round_robin" if automatic else "take_next",
                },
            )
            return case


def release_case(*, case: Case, agent) -> Case:
    """The assignee gives a case back to the queue."""
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, assignee=agent).update(assignee=None, updated_at=timezone.now())
        if not updated:
            raise DomainError(_("Only the assignee can release this case."))
        case.assignee = None
        record_event(
            case=case, type=EventType.CASE_RELEASED, actor=agent, before={"assignee": _user_label(agent)}, after={}
        )
    return case


def assign_case(*, case: Case, assignee, actor) -> Case:
    """A supervisor gives the case to an agent (or back to the queue with assignee=None).

    Only to someone who may work the case's desk: a call-back never goes to an agent, who could not open it.
    """
    old = case.assignee
    if (old.pk if old else None) == (assignee.pk if assignee else None):
        return case
    if assignee is not None and not caseaccess.desk_access(case.desk).allows(assignee, caseaccess.WORK):
        raise DomainError(
            _("%(name)s cannot work %(number)s: that desk is not open to their role.")
            % {
                "name": staff_display_name(assignee),
                "number": case.number,
            }
        )
    with transaction.atomic():
        Case.objects.filter(pk=case.pk).update(assignee=assignee, updated_at=timezone.now())
        case.assignee = assignee
        record_event(
            case=case,
            type=EventType.CASE_ASSIGNED,
            actor=actor,
            before={"assignee": _user_label(old)},
            after={"assignee": _user_label(assignee)},
        )
    return case


# --- conversation -----------------------------------------------------------------------------------------------


def record_customer_message(
    *,
    case: Case,
    body: str,
    at: dt.datetime | None = None,
    external_id: str = "",
    store: StoreSettings | None = None,
    calendar: Calendar | None = None,
) -> CaseEvent | None:
    """A customer wrote. R1: the first unanswered message starts the wait's clock (3 minutes of business time);
    later messages in the same wait do not move it. R2/A6: auto-replies, once per wait.

    A repeated delivery (same external id) is not stored twice; it returns None.
    """
    store = store or StoreSettings.load()
    calendar = calendar or Calendar.for_store(store)
    at = at or timezone.now()
    if external_id and CaseEvent.objects.filter(external_id=external_id).exists():
        return None
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = record_event(
                    case=case, type=EventType.CUSTOMER_MESSAGE, body=body, at=at, external_id=external_id
                )
        except IntegrityError:
            return None
        if case.status in (Status.WAITING, Status.RESOLVED, Status.CLOSED):
            transition_case(case=case, to=Status.IN_PROGRESS, note=_("The customer wrote again."))
        wait = start_wait(case=case, at=at, store=store, calendar=calendar)
        case.awaiting_reply_since, case.first_response_due = wait.started_at, wait.due_at
        case.due_at = case_due(case)
        Case.objects.filter(pk=case.pk).update(
            awaiting_reply_since=wait.started_at, first_response_due=wait.due_at, due_at=case.due_at, updated_at=at
        )
        _auto_reply(case=case, event=event, wait=wait, calendar=calendar)
    return event


def open_wait(case: Case) -> ResponseWait | None:
    return ResponseWait.objects.filter(case=case, answered_at__isnull=True, ended_at__isnull=True).first()


def start_wait(*, case: Case, at: dt.datetime, store: StoreSettings, calendar: Calendar) -> ResponseWait:
    """R1: the case's open wait, or a new one starting now. Its deadlines: the store's business hours, and the
    platform's measurement window when the wait starts inside it."""
    wait = open_wait(case)
    if wait is not None:
        return wait
    limit = dt.timedelta(minutes=store.first_response_minutes)
    window = Calendar.r1_window(store)
    try:
        with transaction.atomic():
            return ResponseWait.objects.create(
                case=case,
                started_at=at,
                due_at=calendar.add_business_time(at, limit),
                window_due_at=window.add_business_time(at, limit) if window.is_open(at) else None,
            )
    except IntegrityError:
        return open_wait(case)  # another message of the same wait got there first


def stop_reply_clock(*, case: Case, actor, answer: str, at: dt.datetime | None = None) -> ResponseWait | None:
    """R1: the first human answer of any kind (a reply, a resolution's message) ends the customer's wait.

    Automatic replies never call this. Returns the wait it answered, None when nobody was waiting."""
    if actor is None:
        return None
    at = at or timezone.now()
    wait = open_wait(case)
    if wait is None:
        return None
    if not ResponseWait.objects.filter(pk=wait.pk, answered_at__isnull=True, ended_at__isnull=True).update(
        answered_at=at, answered_by=actor, answer=answer
    ):
        return None  # answered by someone else just now
    wait.answered_at, wait.answered_by, wait.answer = at, actor, answer
    case.awaiting_reply_since = case.first_response_due = None
    case.due_at = case_due(case)
    Case.objects.filter(pk=case.pk).update(
        awaiting_reply_since=None, first_response_due=None, due_at=case.due_at, updated_at=at
    )
    return wait


def _active_auto_reply_rules() -> list[AutoReplyRule]:
    return list(AutoReplyRule.objects.filter(active=True, template__active=True).select_related("template"))


def _auto_reply(*, case: Case, event: CaseEvent, wait: ResponseWait, calendar: Calendar) -> None:
    """A6 keyword rules first; otherwise R2's out-of-hours reply, saying when a person will answer.

    Each automatic text goes out once per customer wait, however many messages the customer sends in it."""
    template_key = None
    text = event.body
    for rule in kept("auto_reply_rules", _active_auto_reply_rules):
        if any(word in text for word in rule.keyword_list):
            template_key = rule.template.key
            break
    extra = {}
    if template_key is None and not calendar.is_open(event.at):
        template_key = "out_of_hours"
        extra["next_open"] = next_open_text(calendar, event.at)
    if template_key is None:
        return
    key = f"auto:{wait.pk}:{template_key}"
    if OutboundMessage.objects.filter(idempotency_key=key).exists():
        return
    message = outbox.send_template(key=template_key, case=case, idempotency_key=key, extra=extra)
    if message is not None:
        record_event(case=case, type=EventType.AUTO_REPLY, body=message.body, after={"template": template_key})


def reply_to_customer(
    *,
    case: Case,
    body: str,
    actor,
    confirm_warnings: bool = False,
    seen_event: int | None = None,
    confirm_overlap: bool = False,
) -> CaseEvent:
    """An agent's reply: sent through the outbox, and it stops the R1 clock, recording whether it was in time.

    QA-5: a reply with one of the store's blocked phrases is refused; a warned one goes out only once confirmed.
    `seen_event`: the newest event the agent's page showed; a reply someone else sent after it refuses this one
    (ReplyOverlap) until the agent has read it and confirms (`confirm_overlap`, recorded on the reply)."""
    body = body.strip()
    if not body:
        raise DomainError(_("Write a reply first."))
    now = timezone.now()
    with transaction.atomic():
        # Two agents sending at once: the case row is locked, so the second sees the first's reply here.
        Case.objects.select_for_update().filter(pk=case.pk).first()
        overlap = None
        if seen_event is not None:
            overlap = (
                CaseEvent.objects.filter(case=case, id__gt=seen_event, type=EventType.REPLY)
                .exclude(actor=actor)
                .select_related("actor")
                .order_by("-id")
                .first()
            )
        if overlap is not None and not confirm_overlap:
            raise ReplyOverlap(
                _(
                    "%(name)s replied to the customer meanwhile (%(time)s): “%(text)s”. Your reply was not sent; it is "
                    "still in the box. Tick “send anyway” to send it too."
                )
                % {
                    "name": staff_display_name(overlap.actor) if overlap.actor else _("System"),
                    "time": timezone.localtime(overlap.at).strftime("%H:%M:%S"),
                    "text": Truncator(overlap.body).chars(80),
                }
            )
        warned = screening.screen_reply(body, confirmed=confirm_warnings)
        if warned:
            record_event(
                case=case,
                type=EventType.QA_PHRASE_WARNED,
                actor=actor,
                body=describe_phrases(warned),
                after={"warnings": [m.as_dict() for m in warned]},
            )
        after: dict = {}
        wait = stop_reply_clock(case=case, actor=actor, answer="reply", at=now)
        if wait is not None:
            after = {
                "waited_seconds": int((now - wait.started_at).total_seconds()),
                "within_sla": now <= wait.due_at,
            }
        if overlap is not None:
            after["sent_after_reply_of"] = _user_label(overlap.actor)
        event = record_event(case=case, type=EventType.REPLY, actor=actor, body=body, at=now, after=after)
        changes = {"updated_at": now}
        if case.first_replied_at is None:
            changes["first_replied_at"] = now
        Case.objects.filter(pk=case.pk).update(**changes)
        for field, value in changes.items():
            setattr(case, field, value)
        if case.assignee_id is None:
            Case.objects.filter(pk=case.pk, assignee__isnull=True).update(assignee=actor)
            case.assignee = actor
        if case.status == Status.NEW:
            transition_case(case=case, to=Status.IN_PROGRESS, actor=actor)
        if case.customer_id:
            outbox.queue_message(
                customer=case.customer, case=case, body=body, idempotency_key=f"reply:{event.pk}", actor=actor
            )
    return event


def add_note(*, case: Case, body: str, actor) -> CaseEvent:
    """An internal note: seen by staff only, never sent."""
    body = body.strip()
    if not body:
        raise DomainError(_("The note is empty."))
    with transaction.atomic():
        Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())
        return record_event(case=case, type=EventType.NOTE, actor=actor, body=body)


def confirm_acting_for(*, case: Case, actor, action: str, confirmed_for: str) -> CaseEvent | None:
    """Replying to, resolving or closing a colleague's case needs the person's confirmation, recorded on the case.

    `confirmed_for` is the assignee id the page showed when the person confirmed: a case that changed hands since
    asks again. None when the case is the person's own (or unassigned), or the action touches no outcome."""
    holder = caseaccess.colleague_holding(case, actor, action)
    if holder is None:
        return None
    if confirmed_for != str(holder.pk):
        raise DomainError(
            _("This case is %(name)s's. Confirm that you act on it instead, or leave it to them.")
            % {"name": staff_display_name(holder)}
        )
    return record_event(
        case=case,
        type=EventType.ACTED_FOR,
        actor=actor,
        # What was done follows on the timeline as its own entry; this one says whose case it was.
        after={"held_by": holder.get_username()},
    )


def assign_cases(*, cases, assignee, actor) -> list[Case]:
    """A supervisor gives many cases at once to one agent (or back to the queue): each change audited on its case.

    All or nothing, in one transaction; cases already with that assignee are left as they are and not returned.
    """
    changed = []
    with transaction.atomic():
        for case in cases:
            before = case.assignee_id
            assign_case(case=case, assignee=assignee, actor=actor)
            if before != (assignee.pk if assignee else None):
                changed.append(case)
    return changed


# --- on duty and automatic assignment -----------------------------------------------------------------------------


def set_on_duty(*, user, on_duty: bool) -> StaffProfile:
    """An agent starts or ends their shift; automatic assignment only gives cases to people on duty."""
    with transaction.atomic():
        profile, _created = StaffProfile.objects.get_or_create(user=user)
        if profile.on_duty == on_duty:
            return profile
        now = timezone.now()
        StaffProfile.objects.filter(pk=profile.pk).update(on_duty=on_duty, on_duty_changed_at=now)
        profile.on_duty, profile.on_duty_changed_at = on_duty, now
        record_event(
            case=None,
            type=EventType.DUTY_CHANGED,
            actor=user,
            target=f"user:{user.pk}",
            before={"on_duty": not on_duty},
            after={"on_duty": on_duty},
        )
    return profile


def auto_assign(*, desk: str) -> int:
    """Round robin: each unassigned case, most urgent first, goes to the on-duty agent holding the fewest open cases
    (ties by name), never past that agent's own limit. Returns how many cases were handed out."""
    profiles = list(
        StaffProfile.objects.filter(on_duty=True, user__is_active=True, user__groups__name="agent")
        .select_related("user")
        .order_by("user__username")
    )
    if not profiles:
        return 0
    load = dict(
        Case.objects.filter(status__in=OPEN_STATUSES, assignee__in=[p.user_id for p in profiles])
        .values_list("assignee")
        .annotate(n=models.Count("pk"))
        .order_by()
    )
    handed_out = 0
    while True:
        free = [p for p in profiles if load.get(p.user_id, 0) < p.max_open_cases]
        if not free:
            return handed_out
        profile = min(free, key=lambda p: load.get(p.user_id, 0))
        if take_next_case(agent=profile.user, desk=desk, automatic=True) is None:
            return handed_out
        load[profile.user_id] = load.get(profile.user_id, 0) + 1
        handed_out += 1
