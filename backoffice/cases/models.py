"""One idea of a case, shared by every desk: queue, assignee, state, SLA deadlines, timeline, closure."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.platform.models import Customer, Order


class Desk(models.TextChoices):
    AFTERSALES = "aftersales", _("After-sales")
    LOGISTICS = "logistics", _("Logistics")
    CALLBACK = "callback", _("Call-backs")


DESK_PREFIX = {Desk.AFTERSALES: "AS", Desk.LOGISTICS: "LG", Desk.CALLBACK: "CB"}


class CaseKind(models.TextChoices):
    # After-sales
    REFUND = "refund", _("Refund only")
    RETURN = "return", _("Return and refund")
    EXCHANGE = "exchange", _("Exchange")
    RESHIP = "reship", _("Reship")
    COMPENSATION = "compensation", _("Compensation")
    INQUIRY = "inquiry", _("Inquiry")
    REVIEW = "review", _("Mid/negative review")
    # Logistics exceptions
    NOT_SHIPPED = "not_shipped", _("Not shipped in time")
    NO_TRACKING = "no_tracking", _("No tracking number")
    NO_TRACKING_UPDATE = "no_tracking_update", _("No tracking update")
    STALLED = "stalled", _("Tracking stalled")
    OUT_OF_STOCK = "out_of_stock", _("Out of stock")
    # Supervisors
    CALLBACK = "callback", _("Call-back")


DESK_KINDS = {
    Desk.AFTERSALES: [
        CaseKind.REFUND,
        CaseKind.RETURN,
        CaseKind.EXCHANGE,
        CaseKind.RESHIP,
        CaseKind.COMPENSATION,
        CaseKind.INQUIRY,
        CaseKind.REVIEW,
    ],
    Desk.LOGISTICS: [
        CaseKind.NOT_SHIPPED,
        CaseKind.NO_TRACKING,
        CaseKind.NO_TRACKING_UPDATE,
        CaseKind.STALLED,
        CaseKind.OUT_OF_STOCK,
    ],
    Desk.CALLBACK: [CaseKind.CALLBACK],
}


class Reason(models.TextChoices):
    SIZE = "size", _("Size doesn't fit")
    QUALITY = "quality", _("Quality problem")
    LOGISTICS = "logistics", _("Slow logistics")
    WRONG_ITEM = "wrong_item", _("Wrong item sent")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    CHANGED_MIND = "changed_mind", _("Changed mind")
    OTHER = "other", _("Other")


class ShippingPayer(models.TextChoices):
    """Who pays the return shipping: the store for a quality problem, the customer for a personal reason."""

    STORE = "store", _("Store (quality problem)")
    CUSTOMER = "customer", _("Customer (personal reason)")


# The guide's rule (质量问题商家承担，个人原因用户承担), by after-sales reason; other reasons are the agent's call.
REASON_SHIPPING_PAYER = {
    "quality": ShippingPayer.STORE,
    "wrong_item": ShippingPayer.STORE,
    "not_as_described": ShippingPayer.STORE,
    "logistics": ShippingPayer.STORE,
    "size": ShippingPayer.CUSTOMER,
    "changed_mind": ShippingPayer.CUSTOMER,
}


class Status(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.WAITING)


def platform_first() -> models.Case:
    """Sort key: an open case the platform intervened in (平台处理中 …) comes before every other one — it costs the
    store, so it jumps the queue whatever else the queue is sorted by. Two indexes of Case are ordered by it."""
    return models.Case(
        models.When(models.Q(platform_intervened_at__isnull=False, status__in=OPEN_STATUSES), then=models.Value(0)),
        default=models.Value(1),
    )


class Priority(models.IntegerChoices):
    LOW = 0, _("Low")
    NORMAL = 1, _("Normal")
    HIGH = 2, _("High")
    URGENT = 3, _("Urgent")


class Resolution(models.TextChoices):
    """How a case ended (Case.resolution), on every desk: one list, so every page says it in words."""

    REFUNDED = "refunded", _("Refunded")
    RETURNED_REFUNDED = "returned_refunded", _("Returned and refunded")
    COMPENSATED = "compensated", _("Compensated")
    RESHIPPED = "reshipped", _("Reshipped")
    EXCHANGED = "exchanged", _("Exchanged")
    REJECTED = "rejected", _("Rejected")
    # Logistics (the agent's outcome, or the detector's when the problem cleared by itself)
    SHIPPED = "shipped", _("Shipped / tracking number added")
    COURIER_CHASED = "courier_chased", _("Courier chased, parcel moving")
    CUSTOMER_WAITS = "customer_waits", _("Customer agreed to wait")
    CLEARED = "cleared", _("Cleared by itself")
    OTHER = "other", _("Other")
    # Call-backs
    CALLED_BACK = "called_back", _("Called back")


class Case(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    desk = models.CharField(_("desk"), max_length=12, choices=Desk)
    kind = models.CharField(_("kind"), max_length=20, choices=CaseKind)
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.NEW)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority, default=Priority.NORMAL)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
    )
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="cases", verbose_name=_("order")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="cases", verbose_name=_("customer")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    amount_fen = models.PositiveIntegerField(_("requested amount (fen)"), default=0)
    # "Small defect, no return wanted" (A5) comes with the application.
    small_defect = models.BooleanField(_("small defect, no return wanted"), default=False)
    # Set when a return is approved; said in the return message.
    return_shipping_paid_by = models.CharField(
        _("return shipping paid by"), max_length=10, choices=ShippingPayer, blank=True
    )
    resolution = models.CharField(_("resolution"), max_length=30, blank=True)
    resolved_amount_fen = models.PositiveIntegerField(_("paid out (fen)"), default=0)
    # A10: whether the customer revised the mid/negative review; empty until known.
    review_revised = models.BooleanField(_("review revised"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, default="manual")
    external_id = models.CharField(_("external ID"), max_length=80, blank=True)
    # The after-sales status as the platform last reported it: its numeric code (API) and its text (export or API).
    platform_status_code = models.CharField(_("platform status code"), max_length=8, blank=True)
    platform_status = models.CharField(_("platform status"), max_length=60, blank=True)
    # When the platform stepped in (平台处理中, 平台同意退款 …); such a case goes to the top of the queues.
    platform_intervened_at = models.DateTimeField(_("platform intervened"), null=True, blank=True)

    # SLA: R1 for the waiting customer message, A7 for the application; due_at is the nearer one.
    awaiting_reply_since = models.DateTimeField(_("customer waiting since"), null=True, blank=True)
    first_response_due = models.DateTimeField(_("reply due"), null=True, blank=True)
    resolve_due = models.DateTimeField(_("handle by"), null=True, blank=True)
    # A4: "I handle it within 1 hour" — the first handling step of an application, met when it is decided.
    handle_due = models.DateTimeField(_("first handling due"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)

    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    first_replied_at = models.DateTimeField(_("first reply"), null=True, blank=True)
    # When the application was decided (approved or rejected): what A7 measures.
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["desk", "status", "assignee", "due_at"], name="case_queue"),
            models.Index(fields=["due_at"], name="case_due"),
            models.Index(fields=["created_at"], name="case_created"),
            models.Index(fields=["customer", "created_at"], name="case_customer"),
            models.Index(fields=["closed_at"], name="case_closed"),
            # The unassigned queue and take-next read only open cases nobody holds, a small part of the table.
            models.Index(
                fields=["desk", "due_at"],
                name="case_unassigned_open",
                condition=models.Q(assignee__isnull=True, status__in=OPEN_STATUSES),
            ),
            # The queues' own order (platform first, then the deadline): a page reads its 25 rows in index order
            # instead of joining and sorting every case of the desk (the "all" queue: 430 ms at 100,000 cases).
            models.Index(models.F("desk"), platform_first(), models.F("due_at"), name="case_queue_order"),
            models.Index(
                models.F("desk"),
                platform_first(),
                models.F("due_at"),
                name="case_unassigned_order",
                condition=models.Q(assignee__isnull=True, status__in=OPEN_STATUSES),
            ),
            # Take-next reads the cases the platform intervened in first: few, so their own small index.
            models.Index(
                fields=["desk", "due_at"],
                name="case_intervened_unassigned",
                condition=models.Q(
                    assignee__isnull=True, status__in=OPEN_STATUSES, platform_intervened_at__isnull=False
                ),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="case_external_once",
            ),
            # A gateway's retries and races open one inquiry per customer and order, not one per delivery. Only new
            # cases count: no transition leads back to new, so reopening an old inquiry can never conflict.
            models.UniqueConstraint(
                fields=["customer", "order"],
                condition=models.Q(desk="aftersales", kind="inquiry", source="gateway", status="new"),
                name="case_gateway_inquiry_once",
            ),
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(desk="aftersales", kind="inquiry", source="gateway", status="new", order=None),
                name="case_gateway_inquiry_no_order_once",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseCounter(models.Model):
    """Per desk and day sequence behind readable case numbers (AS-20261124-0001)."""

    prefix = models.CharField(_("desk prefix"), max_length=4)
    day = models.DateField(_("day"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("case number counter")
        verbose_name_plural = _("case number counters")
        constraints = [models.UniqueConstraint(fields=["prefix", "day"], name="case_counter_once")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.day:%Y%m%d}: {self.last}"


class EventType(models.TextChoices):
    CASE_OPENED = "case.opened", _("Case opened")
    CASE_STATUS = "case.status_changed", _("Status changed")
    CASE_ASSIGNED = "case.assigned", _("Assigned")
    CASE_CLAIMED = "case.claimed", _("Taken")
    CASE_RELEASED = "case.released", _("Released")
    CASE_PRIORITY = "case.priority_changed", _("Priority changed")
    CASE_UPDATED = "case.updated", _("Case details changed")
    ACTED_FOR = "case.acted_for", _("Acted on a colleague's case")
    CUSTOMER_MESSAGE = "message.customer", _("Customer message")
    REPLY = "message.reply", _("Reply")
    AUTO_REPLY = "message.auto_reply", _("Auto-reply")
    NOTE = "note.added", _("Internal note")
    OUTBOUND_QUEUED = "outbound.queued", _("Message queued")
    OUTBOUND_SENT = "outbound.sent", _("Message sent")
    OUTBOUND_FAILED = "outbound.failed", _("Message failed")
    REFUND_APPROVED = "aftersales.refund_approved", _("Refund approved")
    APPLICATION_REJECTED = "aftersales.rejected", _("Application rejected")
    RETURN_APPROVED = "aftersales.return_approved", _("Return approved")
    RETURN_RECEIVED = "aftersales.return_received", _("Return received")
    COMPENSATED = "aftersales.compensated", _("Compensation paid")
    RESHIPPED = "aftersales.reshipped", _("Reship arranged")
    EXCHANGED = "aftersales.exchanged", _("Exchange arranged")
    REVIEW_TRACKED = "aftersales.review_tracked", _("Review outcome recorded")
    DEFECT_OFFERED = "aftersales.defect_offered", _("Small-defect choice offered")
    DEFECT_CHOSEN = "aftersales.defect_chosen", _("Small-defect choice recorded")
    RESHIP_SHIPPED = "aftersales.reship_shipped", _("Reship tracking number sent")
    PAYOUT_SUCCEEDED = "aftersales.payout_succeeded", _("Payout arrived")
    PAYOUT_FAILED = "aftersales.payout_failed", _("Payout failed")
    PLATFORM_STATUS = "aftersales.platform_status", _("Platform status changed")
    PLATFORM_INTERVENED = "aftersales.platform_intervened", _("Platform intervened")
    NOTIFICATION_READ = "notification.read", _("Notification read")
    SETTINGS_CHANGED = "settings.changed", _("Settings changed")
    DUTY_CHANGED = "staff.duty_changed", _("On duty changed")
    SURVEY_ANSWERED = "survey.answered", _("Survey answered")
    CALLBACK_OPENED = "survey.callback_opened", _("Call-back opened")
    CALL_LOGGED = "survey.call_logged", _("Call logged")
    FOLLOWUP_SCHEDULED = "followup.scheduled", _("Follow-up scheduled")
    FOLLOWUP_SENT = "followup.sent", _("Follow-up sent with a coupon")
    FOLLOWUP_CANCELLED = "followup.cancelled", _("Follow-up cancelled")
    FOLLOWUP_REFUSED = "followup.refused", _("Follow-up refused")
    FOLLOWUP_FAILED = "followup.failed", _("Follow-up failed")
    COUPON_ISSUED = "coupon.issued", _("Coupon issued")
    QA_ADDED = "quality.case_added", _("Added to quality review")
    QA_SAMPLE_DRAWN = "quality.sample_drawn", _("Quality review sample drawn")
    QA_REVIEWED = "quality.reviewed", _("Quality review saved")
    QA_ACKNOWLEDGED = "quality.acknowledged", _("Quality review acknowledged")
    QA_DISPUTED = "quality.disputed", _("Quality review disputed")
    QA_DISPUTE_RESOLVED = "quality.dispute_resolved", _("Quality review dispute decided")
    QA_PHRASE_WARNED = "quality.phrase_warned", _("Reply sent with a warned phrase")
    LOGIN_LOCKED_OUT = "login.locked_out", _("Login locked out")
    LOGIN_UNLOCKED = "login.unlocked", _("Login unlocked")


class ResponseWait(models.Model):
    """R1: one customer wait, from the first unanswered message to the first human answer of any kind.

    Later messages in the same wait do not move its clock; a wait nobody answered is a miss. `due_at` counts the
    store's business hours; `window_due_at` the platform's measurement window (empty: it started outside it).
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="waits", verbose_name=_("case"))
    started_at = models.DateTimeField(_("customer waiting since"))
    due_at = models.DateTimeField(_("reply due"))
    window_due_at = models.DateTimeField(_("reply due (platform window)"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answer = models.CharField(_("answer"), max_length=20, blank=True, help_text=_("reply or resolution"))
    # Ended without an answer (the case was resolved or closed in silence): a miss.
    ended_at = models.DateTimeField(_("ended unanswered"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer wait")
        verbose_name_plural = _("customer waits")
        indexes = [models.Index(fields=["started_at"], name="wait_started")]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(answered_at__isnull=True, ended_at__isnull=True),
                name="wait_one_open_per_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None and self.ended_at is None


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk updates and deletes would bypass the row guard below; refuse them too."""

    def update(self, **kwargs):
        raise PermissionDenied("Audit events cannot be changed.")

    def delete(self):
        raise PermissionDenied("Audit events cannot be deleted.")


class CaseEvent(models.Model):
    """The timeline of a case and the audit trail in one: append-only, written only by services."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="events", verbose_name=_("case")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        help_text=_("Empty: the system."),
    )
    type = models.CharField(_("event"), max_length=40, choices=EventType)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    body = models.TextField(_("text"), blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    target = models.CharField(_("target"), max_length=80, blank=True)
    external_id = models.CharField(_("external ID"), max_length=80, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["case", "at"], name="event_case_at"), models.Index(fields=["type", "at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~models.Q(external_id=""), name="event_external_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        # The audit trail is append-only: an existing row is never rewritten.
        if self.pk is not None and not self._state.adding:
            raise PermissionDenied("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("Audit events cannot be deleted.")

    @property
    def is_message(self) -> bool:
        return self.type in (EventType.CUSTOMER_MESSAGE, EventType.REPLY, EventType.AUTO_REPLY)


class CaseSeen(models.Model):
    """How far a person has read a case: the newest timeline entry their case page showed them. A customer message
    after it marks the case unread in its assignee's queue (backoffice/cases/seen.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    event_id = models.PositiveBigIntegerField(_("newest entry seen"), default=0)
    seen_at = models.DateTimeField(_("seen"), default=timezone.now)

    class Meta:
        verbose_name = _("case seen")
        verbose_name_plural = _("cases seen")
        constraints = [models.UniqueConstraint(fields=["user", "case"], name="case_seen_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.case_id} {self.event_id}"
