"""The logistics desk's own rows: detected problems, sweep cursors, tracking polls, courier contacts, L3 offers, notices.

A logistics exception is a shared `Case` (desk "logistics"); these rows hold what only this desk needs to know about it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.models import DESK_KINDS, Case, Courier, Desk, Order, OutboundMessage, Shipment

PROBLEM_KINDS = [(kind.value, kind.label) for kind in DESK_KINDS[Desk.LOGISTICS]]


class Problem(models.Model):
    """One detected logistics problem of one order: open until the data says it cleared, one case for its whole life.

    At most one open problem per order and kind (a partial unique index): two sweeps at once cannot both open it.
    """

    class Stage(models.TextChoices):
        NONE = "", _("—")
        WARNING = "warning", _("Early warning")
        LATE = "late", _("Late")

    class Source(models.TextChoices):
        DETECTOR = "detector", _("Detector")
        STOCK = "stock", _("Stock data")
        AGENT = "agent", _("Reported by an agent")

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="logistics_problems", verbose_name=_("order")
    )
    shipment = models.ForeignKey(
        Shipment, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("shipment")
    )
    kind = models.CharField(_("problem"), max_length=20, choices=PROBLEM_KINDS)
    stage = models.CharField(_("stage"), max_length=10, choices=Stage, blank=True, default=Stage.NONE)
    source = models.CharField(_("source"), max_length=10, choices=Source, default=Source.DETECTOR)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="logistics_problems", verbose_name=_("case")
    )
    # What the detector saw: the ship-by time, the shipping time, or the parcel's last tracking event.
    evidence_at = models.DateTimeField(_("evidence time"), null=True, blank=True)
    detected_at = models.DateTimeField(_("detected"), default=timezone.now)
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    cleared_reason = models.CharField(_("cleared because"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("logistics problem")
        verbose_name_plural = _("logistics problems")
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind"], condition=Q(cleared_at__isnull=True), name="logistics_problem_open_once"
            )
        ]
        indexes = [
            models.Index(fields=["kind"], condition=Q(cleared_at__isnull=True), name="logistics_problem_open"),
            models.Index(fields=["case"], name="logistics_problem_case"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.get_kind_display()}"

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


class SweepCursor(models.Model):
    """Where the last sweep stopped: the next incremental sweep only looks at what crossed a threshold since then.

    The row is also the sweep's lock: a sweep holds it (SELECT … FOR UPDATE) while it opens cases.
    """

    name = models.CharField(_("name"), max_length=40, unique=True)
    checked_at = models.DateTimeField(_("last sweep"), null=True, blank=True)
    ship_horizon = models.DateTimeField(_("ship-by checked up to"), null=True, blank=True)
    last_shipment_id = models.BigIntegerField(_("last shipment seen"), default=0)
    last_order_id = models.BigIntegerField(_("last order seen"), default=0)
    sold_out_skus = models.JSONField(_("SKUs out of stock at the last sweep"), default=list, blank=True)
    last_full_at = models.DateTimeField(_("last full sweep"), null=True, blank=True)

    class Meta:
        verbose_name = _("sweep cursor")
        verbose_name_plural = _("sweep cursors")

    def __str__(self) -> str:
        return self.name


class SweepRun(models.Model):
    """One detection sweep, for the desk's "last run" line and the benchmark."""

    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    full = models.BooleanField(_("full sweep"), default=False)
    found = models.JSONField(_("new problems by kind"), default=dict, blank=True)
    opened = models.PositiveIntegerField(_("cases opened"), default=0)
    escalated = models.PositiveIntegerField(_("escalated"), default=0)
    cleared = models.PositiveIntegerField(_("cleared"), default=0)
    auto_closed = models.PositiveIntegerField(_("closed by themselves"), default=0)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("detection sweep")
        verbose_name_plural = _("detection sweeps")

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}"

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class TrackingPoll(models.Model):
    """When to ask the tracking provider about one parcel next, and how its last attempts went (backoff)."""

    shipment = models.OneToOneField(
        Shipment, on_delete=models.CASCADE, related_name="tracking_poll", verbose_name=_("shipment")
    )
    next_poll_at = models.DateTimeField(_("next poll"), default=timezone.now)
    # Set while a worker holds the row; a crashed worker's claim runs out with its lease (next_poll_at).
    claim = models.CharField(_("claimed by"), max_length=40, blank=True)
    failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    last_polled_at = models.DateTimeField(_("last poll"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("tracking poll")
        verbose_name_plural = _("tracking polls")
        indexes = [models.Index(fields=["next_poll_at"], name="logistics_poll_due")]

    def __str__(self) -> str:
        return f"{self.shipment_id} @ {self.next_poll_at:%Y-%m-%d %H:%M}"


class CourierContact(models.Model):
    """L5: an agent contacted the courier about a parcel: who, what came of it, and when to check again."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        ONLINE = "online", _("Courier's online service")
        OUTLET = "outlet", _("Local outlet")
        OTHER = "other", _("Other")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="courier_contacts", verbose_name=_("case"))
    shipment = models.ForeignKey(
        Shipment, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("shipment")
    )
    courier = models.ForeignKey(Courier, on_delete=models.PROTECT, related_name="+", verbose_name=_("courier"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel, default=Channel.PHONE)
    contact = models.CharField(_("who was contacted"), max_length=80)
    result = models.CharField(_("result"), max_length=500)
    next_check_at = models.DateTimeField(_("check again at"), null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("courier contact")
        verbose_name_plural = _("courier contacts")

    def __str__(self) -> str:
        return f"{self.courier} {self.contact}"


class OutOfStockOffer(models.Model):
    """L3: the choice offered to a customer whose order cannot ship: wait N days with a coupon, or a refund."""

    class Choice(models.TextChoices):
        PENDING = "pending", _("Waiting for the customer's choice")
        WAIT = "wait", _("Customer waits")
        REFUND = "refund", _("Customer takes the refund")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="stock_offers", verbose_name=_("case"))
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+", verbose_name=_("order"))
    wait_days = models.PositiveIntegerField(_("wait (days)"))
    coupon_fen = models.PositiveIntegerField(_("coupon (fen)"))
    choice = models.CharField(_("choice"), max_length=10, choices=Choice, default=Choice.PENDING)
    offered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    offered_at = models.DateTimeField(_("offered"), default=timezone.now)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    chosen_at = models.DateTimeField(_("chosen"), null=True, blank=True)
    wait_until = models.DateTimeField(_("ships by (agreed)"), null=True, blank=True)
    refund_case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("refund case")
    )

    class Meta:
        ordering = ["-offered_at"]
        verbose_name = _("out-of-stock offer")
        verbose_name_plural = _("out-of-stock offers")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(choice="pending"), name="logistics_offer_one_pending_per_case"
            )
        ]
        indexes = [models.Index(fields=["order", "choice"], name="logistics_offer_order")]

    def __str__(self) -> str:
        return f"{self.case} {self.get_choice_display()}"


class CustomerNotice(models.Model):
    """A proactive message an order has had (L6 shipment notice, A1 after-sales reminder): once per order and kind."""

    class Kind(models.TextChoices):
        SHIPMENT = "L6", _("Shipment notice (L6)")
        AFTERSALES = "A1", _("After-sales reminder (A1)")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+", verbose_name=_("order"))
    kind = models.CharField(_("kind"), max_length=4, choices=Kind)
    message = models.ForeignKey(
        OutboundMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("message")
    )
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("customer notice")
        verbose_name_plural = _("customer notices")
        constraints = [models.UniqueConstraint(fields=["order", "kind"], name="logistics_notice_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.order_id}"
