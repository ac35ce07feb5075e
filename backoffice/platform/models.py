"""The store's own data: a mirror of what the platform knows about customers, products, orders and parcels."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def mask_phone(phone: str) -> str:
    """Show a mainland mobile number as 138****1234; anything else keeps only its last four digits."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]  # +86 country code
    if len(digits) == 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) > 4:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "*" * len(digits)


class Courier(models.Model):
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=40)
    phone = models.CharField(_("customer service phone"), max_length=30, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("courier")
        verbose_name_plural = _("couriers")

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    pdd_user_id = models.CharField(_("platform user ID"), max_length=40, unique=True)
    nickname = models.CharField(_("PDD nickname"), max_length=60)
    name = models.CharField(_("receiver name"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    province = models.CharField(_("province"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=20, blank=True)
    district = models.CharField(_("district"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        # Searches match a name or phone exactly; a nickname "contains" uses a trigram index on PostgreSQL (migration).
        indexes = [models.Index(fields=["nickname"]), models.Index(fields=["phone"]), models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.nickname

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def region(self) -> str:
        return " ".join(part for part in (self.province, self.city, self.district) if part)


class Product(models.Model):
    class Category(models.TextChoices):
        APPAREL = "apparel", _("Apparel")
        SHOES = "shoes", _("Shoes")
        HOME = "home", pgettext_lazy("product category", "Home")
        FOOD = "food", _("Food")
        BEAUTY = "beauty", _("Beauty")
        DIGITAL = "digital", _("Digital")
        OTHER = "other", _("Other")

    goods_id = models.CharField(_("platform goods ID"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=120)
    category = models.CharField(_("category"), max_length=20, choices=Category, default=Category.OTHER)
    # L1: custom-made or special items may declare a longer shipping time than the store default.
    ship_within_hours = models.PositiveIntegerField(
        _("ships within (hours)"), null=True, blank=True, help_text=_("Empty: the store's default (L1).")
    )
    # L2: a presale item ships by a concrete time instead.
    presale_ship_by = models.DateTimeField(_("presale ships by"), null=True, blank=True)
    listed = models.BooleanField(_("listed"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.name


class Sku(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="skus", verbose_name=_("product"))
    code = models.CharField(_("SKU code"), max_length=40, unique=True)
    spec = models.CharField(_("specification"), max_length=80)
    price_fen = models.PositiveIntegerField(_("price (yuan)"))
    stock = models.IntegerField(_("stock"), default=0)

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")

    def __str__(self) -> str:
        return f"{self.product.name} {self.spec}"


class Order(models.Model):
    class Status(models.TextChoices):
        AWAITING_SHIPMENT = "awaiting_shipment", _("Awaiting shipment")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")

    number = models.CharField(_("order number"), max_length=40, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer"))
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.AWAITING_SHIPMENT)
    goods_fen = models.PositiveIntegerField(_("goods amount (fen)"), default=0)
    shipping_fen = models.PositiveIntegerField(_("shipping (fen)"), default=0)
    discount_fen = models.PositiveIntegerField(_("discount (fen)"), default=0)
    paid_fen = models.PositiveIntegerField(_("paid by customer (fen)"), default=0)
    paid_at = models.DateTimeField(_("paid at"))
    ship_by = models.DateTimeField(
        _("ship by"), help_text=_("The platform's promised ship time when it gives one, else our own L1/L2 time.")
    )
    # L1: the platform's own promise (承诺发货时间), by which it bills late shipment; empty when it gave none.
    promised_ship_at = models.DateTimeField(_("platform's promised ship time"), null=True, blank=True)
    # L1/L2 as we compute it (48 h, the product's own time, presale), kept to compare with the platform's promise.
    computed_ship_by = models.DateTimeField(_("our ship-by time"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    receiver_name = models.CharField(_("receiver"), max_length=40, blank=True)
    receiver_phone = models.CharField(_("receiver phone"), max_length=20, blank=True)
    receiver_address = models.CharField(_("receiver address"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["status", "ship_by"]),
            # The L1 report over a year reads only these columns: on PostgreSQL an index-only scan.
            models.Index(
                fields=["paid_at"],
                name="order_paid_covering",
                include=["status", "ship_by", "shipped_at", "promised_ship_at", "computed_ship_by"],
            ),
            models.Index(fields=["customer", "paid_at"]),
            # L1's examples: the few orders whose platform promise is earlier than our own ship-by time.
            models.Index(
                fields=["paid_at"],
                name="order_promise_earlier",
                condition=models.Q(promised_ship_at__lt=models.F("computed_ship_by")),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def masked_receiver_phone(self) -> str:
        return mask_phone(self.receiver_phone)


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items", verbose_name=_("order"))
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU"))
    product_name = models.CharField(_("product"), max_length=120)
    spec = models.CharField(_("specification"), max_length=80, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price_fen = models.PositiveIntegerField(_("unit price (fen)"))

    class Meta:
        verbose_name = _("order item")
        verbose_name_plural = _("order items")

    def __str__(self) -> str:
        return f"{self.product_name} × {self.quantity}"

    @property
    def total_fen(self) -> int:
        return self.unit_price_fen * self.quantity


class Shipment(models.Model):
    class State(models.TextChoices):
        CREATED = "created", _("Label created")
        IN_TRANSIT = "in_transit", _("In transit")
        OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
        DELIVERED = "delivered", _("Delivered")
        EXCEPTION = "exception", _("Exception")
        RETURNED = "returned", _("Returned to sender")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments", verbose_name=_("order"))
    courier = models.ForeignKey(Courier, on_delete=models.PROTECT, related_name="+", verbose_name=_("courier"))
    tracking_no = models.CharField(_("tracking number"), max_length=40, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"))
    state = models.CharField(_("state"), max_length=20, choices=State, default=State.CREATED)
    last_event_at = models.DateTimeField(_("last tracking event"), null=True, blank=True)
    # The courier's own delivery estimate, when its tracking gives one (A1 is sent the day before).
    estimated_delivery_at = models.DateTimeField(_("estimated delivery"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        indexes = [models.Index(fields=["tracking_no"]), models.Index(fields=["state", "last_event_at"])]

    def __str__(self) -> str:
        return f"{self.courier} {self.tracking_no}"


class TrackingEvent(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events", verbose_name=_("shipment"))
    at = models.DateTimeField(_("time"))
    place = models.CharField(_("place"), max_length=80, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=Shipment.State)
    description = models.CharField(_("description"), max_length=200)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        constraints = [
            models.UniqueConstraint(fields=["shipment", "at", "state"], name="tracking_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.description}"


# Platform data in: file imports of the store's PDD exports, and the open-platform sync's cursors and credentials.
ERRORS_CAP = 500
# Example rows to create / update that the check keeps for the preview.
SAMPLES_CAP = 20


def secret_hint(value: str) -> str:
    """Enough of a secret to recognise it (ab12…), never enough to use it."""
    value = value or ""
    if not value:
        return ""
    return (value[:4] if len(value) >= 12 else "") + "…"


class ImportJob(models.Model):
    """One uploaded export: checked first (a dry run), then imported; progress and results live on the row."""

    class Kind(models.TextChoices):
        ORDERS = "orders", _("Order export")
        AFTERSALES = "aftersales", _("After-sales export")

    class State(models.TextChoices):
        CHECK_QUEUED = "check_queued", _("Waiting to be checked")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        IMPORT_QUEUED = "import_queued", _("Waiting to import")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind)
    state = models.CharField(_("state"), max_length=16, choices=State, default=State.CHECK_QUEUED)
    file_path = models.CharField(_("file"), max_length=255, help_text=_("Relative to MEDIA_ROOT."))
    original_name = models.CharField(_("file name"), max_length=200)
    file_size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    all_or_nothing = models.BooleanField(
        _("all or nothing"), default=False, help_text=_("Import nothing when any row is rejected.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    # What the check found: counts per outcome and a few example rows.
    preview = models.JSONField(_("check result"), default=dict, blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("rows processed"), default=0)
    progress_permille = models.PositiveSmallIntegerField(_("progress (‰)"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    # [{"line": 12, "reason": "…"}] for the current phase, at most ERRORS_CAP of them.
    errors = models.JSONField(_("rejected rows"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        indexes = [models.Index(fields=["state", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"

    ACTIVE_STATES = (State.CHECK_QUEUED, State.CHECKING, State.IMPORT_QUEUED, State.IMPORTING)

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    @property
    def progress_percent(self) -> int:
        return self.progress_permille // 10


class SyncCursor(models.Model):
    """How far one open-platform stream is in: every change up to `synced_until` has been applied.

    The cursor moves only after a whole time window was read and written, so a restart re-reads at most one window
    (the writes are idempotent) and never skips one.
    """

    class Stream(models.TextChoices):
        ORDERS = "orders", _("Orders")
        AFTERSALES = "aftersales", _("After-sales applications")

    stream = models.CharField(_("stream"), max_length=20, choices=Stream, unique=True)
    synced_until = models.DateTimeField(_("synced up to"), null=True, blank=True)
    # A run holds the stream until this time; a crashed run's hold simply expires.
    locked_until = models.DateTimeField(_("held by a run until"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_counts = models.JSONField(_("last run's counts"), default=dict, blank=True)

    class Meta:
        verbose_name = _("sync cursor")
        verbose_name_plural = _("sync cursors")

    def __str__(self) -> str:
        return self.get_stream_display()


class PlatformCredentials(models.Model):
    """The store's PDD open-platform app (one record). Environment variables, when set, take precedence.

    The secret and the token must be sent (signed) with every call, so they are stored as given;
    they are never shown back in full.
    """

    DEFAULT_API_URL = "https://gw-api.pinduoduo.com/api/router"

    client_id = models.CharField(_("client ID"), max_length=64, blank=True)
    client_secret = models.CharField(_("client secret"), max_length=128, blank=True)
    access_token = models.CharField(_("access token"), max_length=256, blank=True)
    api_url = models.URLField(_("API address"), default=DEFAULT_API_URL)
    sync_enabled = models.BooleanField(_("sync enabled"), default=True)
    initial_days = models.PositiveSmallIntegerField(
        _("first sync reaches back (days)"), default=1, help_text=_("Only for a stream that never synced before.")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("platform credentials")
        verbose_name_plural = _("platform credentials")

    def __str__(self) -> str:
        return str(_("PDD open platform"))

    @classmethod
    def load(cls) -> "PlatformCredentials":
        obj = cls.objects.filter(pk=1).first()
        if obj is None:
            obj, _created = cls.objects.get_or_create(pk=1)
        return obj

    @property
    def secret_hint(self) -> str:
        return secret_hint(self.client_secret)

    @property
    def token_hint(self) -> str:
        return secret_hint(self.access_token)
