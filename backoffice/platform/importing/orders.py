"""Orders in from PDD: one parsed row per order (from the export file or the open platform), upserted in batches.

A batch is checked completely in Python first (every value, courier, SKU), then written with a handful of bulk
queries in one transaction. If the database still refuses the batch, it is written again row by row, each row in
its own savepoint, so a bad row never leaves half an order behind and never stops the good ones.
"""

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable

from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.models import Courier, Customer, Order, OrderItem, Product, Shipment, Sku, StoreSettings
from backoffice.platform.importing import parsing
from backoffice.platform.importing.parsing import RowError
from backoffice.platform.shipping import PROMISE_AHEAD, compute_ship_by, effective_ship_by
from backoffice.store.businesshours import Calendar
from backoffice.store.money import format_fen

CREATE, UPDATE, UNCHANGED, SKIP, REJECT = "create", "update", "unchanged", "skip", "reject"
OUTCOMES = (CREATE, UPDATE, UNCHANGED, SKIP, REJECT)

S = Order.Status
# PDD's order states, as the exports spell them (punctuation and spaces removed), to ours.
ORDER_STATUSES: dict[str, str] = {
    "待发货": S.AWAITING_SHIPMENT,
    "未发货": S.AWAITING_SHIPMENT,
    "已成团待发货": S.AWAITING_SHIPMENT,
    "待出库": S.AWAITING_SHIPMENT,
    "已发货": S.SHIPPED,
    "已发货待签收": S.SHIPPED,
    "已发货待收货": S.SHIPPED,
    "待收货": S.SHIPPED,
    "待签收": S.SHIPPED,
    "运输中": S.SHIPPED,
    "已签收": S.DELIVERED,
    "已收货": S.COMPLETED,
    "确认收货": S.COMPLETED,
    "交易成功": S.COMPLETED,
    "已完成": S.COMPLETED,
    "已取消": S.CANCELLED,
    "未成交": S.CANCELLED,
    "交易关闭": S.CANCELLED,
    "已关闭": S.CANCELLED,
    "已退款": S.REFUNDED,
    "退款成功": S.REFUNDED,
    "全额退款": S.REFUNDED,
}
# Longer export wordings ("已发货，退款成功", "未发货，退款成功") are matched by what they contain, first match wins.
STATUS_KEYWORDS: list[tuple[str, str]] = [
    ("退款成功", S.REFUNDED),
    ("取消", S.CANCELLED),
    ("未成交", S.CANCELLED),
    ("关闭", S.CANCELLED),
    ("交易成功", S.COMPLETED),
    ("待签收", S.SHIPPED),
    ("待收货", S.SHIPPED),
    ("已签收", S.DELIVERED),
    ("已发货", S.SHIPPED),
    ("待发货", S.AWAITING_SHIPMENT),
]
# An order only moves forward: an older export imported after a newer one does not undo its statuses.
STATUS_RANK = {
    S.AWAITING_SHIPMENT: 0,
    S.SHIPPED: 1,
    S.DELIVERED: 2,
    S.COMPLETED: 3,
    S.CANCELLED: 4,
    S.REFUNDED: 4,
}

# Couriers by the names PDD uses (and shorter or older ones), to our courier codes.
COURIER_NAMES: dict[str, str] = {
    "中通": "zto",
    "圆通": "yto",
    "韵达": "yunda",
    "申通": "sto",
    "极兔": "jtexpress",
    "顺丰": "sf",
    "中国邮政": "ems",
    "邮政": "ems",
    "EMS": "ems",
    "京东": "jd",
    "德邦": "debangwuliu",
}
COURIER_DISPLAY = {
    "zto": "中通快递",
    "yto": "圆通速递",
    "yunda": "韵达快递",
    "sto": "申通快递",
    "jtexpress": "极兔速递",
    "sf": "顺丰速运",
    "ems": "中国邮政 EMS",
    "jd": "京东快递",
    "debangwuliu": "德邦快递",
}


def order_status(value: object) -> str:
    raw = parsing.text(value)
    key = "".join(ch for ch in raw if ch not in " ，,、/|-_()（）")
    if not key:
        raise RowError(_("The order status is empty."))
    if key in ORDER_STATUSES:
        return ORDER_STATUSES[key]
    for word, status in STATUS_KEYWORDS:
        if word in key:
            return status
    raise RowError(_("Unknown order status “%(value)s”.") % {"value": raw[:30]})


def customer_key(*, name: str, phone: str, order_number: str) -> str:
    """A stable customer ID for rows that carry none.

    PDD's exports (and the order API) have no buyer ID, only the receiver. The receiver's name and phone together are
    the most stable thing that stays the same across a buyer's orders and between exports, so they make the key.
    It is hashed so the unique key never carries a phone number in clear (it shows in URLs and logs).
    A masked phone (138****1234) or a missing one is shared by many buyers: merging them would show one buyer's
    history on another's case, so such an order gets a customer of its own instead.
    """
    digits = "".join(ch for ch in phone if ch.isdigit())
    unique_phone = len(digits) >= 7 and "*" not in phone
    basis = f"receiver|{name}|{digits}" if name and unique_phone else f"order|{order_number}"
    return "rcv-" + hashlib.sha256(basis.encode()).hexdigest()[:32]


@dataclasses.dataclass
class OrderRow:
    """One order as PDD describes it, checked and in our units (fen, aware datetimes, our status)."""

    line: int
    number: str
    status: str
    paid_at: dt.datetime
    paid_fen: int
    product_name: str
    spec: str = ""
    quantity: int = 1
    goods_fen: int | None = None
    shipping_fen: int | None = None
    discount_fen: int | None = None
    shipped_at: dt.datetime | None = None
    received_at: dt.datetime | None = None
    promised_ship_at: dt.datetime | None = None  # L1: the platform's promised ship time (承诺发货时间)
    goods_id: str = ""
    sku_id: str = ""
    courier: str = ""
    tracking_no: str = ""
    receiver_name: str = ""
    phone: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    street: str = ""
    address: str = ""

    @property
    def full_address(self) -> str:
        parts = [self.province, self.city, self.district, self.street, self.address]
        return " ".join(part for part in parts if part)[:200]


def parse_row(line: int, record: dict) -> OrderRow:
    """A row of the order export → OrderRow, or RowError with the first problem found."""
    get = record.get
    discounts = [
        parsing.money_fen(get(field), label=label)
        for field, label in (
            ("store_discount", "店铺优惠折扣"),
            ("platform_discount", "平台优惠折扣"),
            ("payment_discount", "多多支付立减金额"),
        )
    ]
    present = [fen for fen in discounts if fen is not None]
    tracking_no = parsing._unquote(parsing.text(get("tracking_no")))
    courier = parsing.text(get("courier"))
    if tracking_no and not courier:
        raise RowError(_("The tracking number %(number)s has no courier (快递公司).") % {"number": tracking_no})
    product_name = parsing.text(get("product_name"))
    if not product_name:
        raise RowError(_("The product (商品) is empty."))
    return OrderRow(
        line=line,
        number=parsing.order_number(get("order_number")),
        status=order_status(get("order_status")),
        paid_at=parsing.moment(get("paid_at"), label="支付时间", required=True),
        paid_fen=parsing.money_fen(get("paid_amount"), label="用户实付金额", required=True),
        product_name=product_name[:120],
        spec=parsing.text(get("spec"))[:80],
        quantity=parsing.count(get("quantity"), label="商品数量"),
        goods_fen=parsing.money_fen(get("goods_amount"), label="商品总价"),
        shipping_fen=parsing.money_fen(get("shipping_amount"), label="邮费"),
        discount_fen=sum(present) if present else None,
        shipped_at=parsing.moment(get("shipped_at"), label="发货时间"),
        received_at=parsing.moment(get("received_at"), label="确认收货时间"),
        promised_ship_at=parsing.moment(get("promised_ship_at"), label="承诺发货时间", ahead=PROMISE_AHEAD),
        goods_id=parsing._unquote(parsing.text(get("goods_id")))[:30],
        sku_id=parsing._unquote(parsing.text(get("sku_id")))[:40],
        courier=courier,
        tracking_no=tracking_no[:40],
        receiver_name=parsing.text(get("receiver_name"))[:40],
        phone=parsing._unquote(parsing.text(get("phone")))[:20],
        province=parsing.text(get("province"))[:20],
        city=parsing.text(get("city"))[:20],
        district=parsing.text(get("district"))[:20],
        street=parsing.text(get("street"))[:60],
        address=parsing.text(get("address"))[:200],
    )


@dataclasses.dataclass
class Outcome:
    line: int
    action: str
    key: str
    detail: str = ""


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


class Catalog:
    """Products, SKUs and couriers by the names an export uses. Missing ones are created on first sight,
    except in a dry run, which keeps unsaved stand-ins so the preview counts them once."""

    def __init__(self, *, dry_run: bool) -> None:
        self.dry_run = dry_run
        self.reload()

    def reload(self) -> None:
        self.skus_by_code: dict[str, Sku] = {}
        self.skus_by_name: dict[tuple[str, str], Sku] = {}
        self.products_by_goods_id: dict[str, Product] = {}
        self.products_by_name: dict[str, Product] = {}
        for sku in Sku.objects.select_related("product").order_by("pk"):
            self.skus_by_code[sku.code] = sku
            self.skus_by_name.setdefault((sku.product.name, sku.spec), sku)
        for product in Product.objects.order_by("pk"):
            self.products_by_goods_id[product.goods_id] = product
            self.products_by_name.setdefault(product.name, product)
        self.couriers_by_code: dict[str, Courier] = {c.code: c for c in Courier.objects.all()}
        self.couriers_by_name: dict[str, Courier] = {c.name: c for c in self.couriers_by_code.values()}

    def sku_for(self, row: OrderRow, *, unit_price_fen: int) -> Sku:
        sku = (self.skus_by_code.get(row.sku_id) if row.sku_id else None) or self.skus_by_name.get(
            (row.product_name, row.spec)
        )
        if sku is not None:
            return sku
        product = self.product_for(row)
        sku = Sku(
            product=product,
            code=row.sku_id or "imp-" + _digest(row.product_name, row.spec),
            spec=row.spec or "-",
            price_fen=unit_price_fen,
        )
        if not self.dry_run:
            sku.save()
        self.skus_by_code[sku.code] = sku
        self.skus_by_name[(row.product_name, row.spec)] = sku
        return sku

    def product_for(self, row: OrderRow) -> Product:
        product = (self.products_by_goods_id.get(row.goods_id) if row.goods_id else None) or self.products_by_name.get(
            row.product_name
        )
        if product is not None:
            return product
        product = Product(goods_id=row.goods_id or "imp-" + _digest(row.product_name), name=row.product_name)
        if not self.dry_run:
            product.save()
        self.products_by_goods_id[product.goods_id] = product
        self.products_by_name[product.name] = product
        return product

    def courier_for(self, name: str) -> Courier:
        """中通 / 中通快递 → zto …; a courier the store added in admin is found by its name or code too."""
        name = name.strip()
        courier = self.couriers_by_name.get(name) or self.couriers_by_code.get(name.lower())
        if courier is not None:
            return courier
        code = next((code for prefix, code in COURIER_NAMES.items() if name.upper().startswith(prefix)), None)
        if code is None:
            raise RowError(
                _("Unknown courier “%(name)s”. Add it in Store admin → Couriers (with this name) and import again.")
                % {"name": name[:30]}
            )
        courier = self.couriers_by_code.get(code)
        if courier is None:
            courier = Courier(code=code, name=COURIER_DISPLAY[code])
            if not self.dry_run:
                courier.save()
            self.couriers_by_code[code] = courier
        self.couriers_by_name[name] = courier
        return courier


_STATUS_LABELS = dict(Order.Status.choices)


class OrderImporter:
    """Upserts OrderRows. Importing the same rows twice changes nothing; newer rows move statuses and tracking on."""

    def __init__(self, *, dry_run: bool = False, store: StoreSettings | None = None) -> None:
        self.dry_run = dry_run
        self.store = store or StoreSettings.load()
        self.calendar = Calendar.for_store(self.store)
        self.catalog = Catalog(dry_run=dry_run)
        # Labels in the language of this run, looked up once rather than per row.
        self.status_labels = {value: str(label) for value, label in Order.Status.choices}

    def apply(self, rows: list[OrderRow]) -> list[Outcome]:
        if self.dry_run or not rows:
            return self._apply(rows)
        try:
            with transaction.atomic():
                return self._apply(rows)
        except DatabaseError:
            # Something only the database could see (a concurrent import, a constraint): isolate the row.
            self.catalog.reload()
        outcomes = []
        for row in rows:
            try:
                with transaction.atomic():
                    outcomes += self._apply([row])
            except DatabaseError as exc:
                self.catalog.reload()
                outcomes.append(
                    Outcome(
                        row.line, REJECT, row.number, _("The database refused this row: %(error)s") % {"error": exc}
                    )
                )
        return outcomes

    # --- one batch ---

    def _apply(self, rows: list[OrderRow]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        latest: dict[str, OrderRow] = {}
        for row in rows:
            earlier = latest.get(row.number)
            if earlier is not None:
                outcomes.append(
                    Outcome(
                        earlier.line,
                        SKIP,
                        row.number,
                        _("The same order is on line %(line)s too; that later line is used.") % {"line": row.line},
                    )
                )
            latest[row.number] = row
        existing = {
            order.number: order
            for order in Order.objects.filter(number__in=list(latest)).only(
                "pk",
                "number",
                "status",
                "paid_at",
                "paid_fen",
                "goods_fen",
                "shipping_fen",
                "discount_fen",
                "shipped_at",
                "delivered_at",
                "ship_by",
                "promised_ship_at",
                "computed_ship_by",
                "receiver_name",
                "receiver_phone",
                "receiver_address",
            )
        }
        shipments: dict[int, Shipment] = {}
        for shipment in Shipment.objects.filter(order__in=list(existing.values())).order_by("-pk"):
            shipments[shipment.order_id] = shipment  # the first (lowest pk) one wins
        new_shipments: list[dict] = []
        changed_orders: list[Order] = []
        changed_fields: set[str] = set()
        changed_shipments: list[Shipment] = []
        to_create: list[tuple[OrderRow, Sku, Courier | None]] = []
        now = timezone.now()

        for row in latest.values():
            try:
                courier = self.catalog.courier_for(row.courier) if row.tracking_no else None
                order = existing.get(row.number)
                if order is None:
                    sku = self.catalog.sku_for(row, unit_price_fen=self._unit_price(row))
                    to_create.append((row, sku, courier))
                    outcomes.append(Outcome(row.line, CREATE, row.number, self.status_labels[row.status]))
                    continue
                changes = self._order_changes(order, row)
                notes = [self._describe(field, old, new) for field, (old, new) in changes.items()]
                shipment = shipments.get(order.pk)
                if courier is not None:
                    if shipment is None:
                        new_shipments.append(
                            {
                                "order_id": order.pk,
                                "courier_id": courier.pk,
                                "tracking_no": row.tracking_no,
                                "shipped_at": row.shipped_at or order.shipped_at or now,
                            }
                        )
                        notes.append(_("tracking %(number)s added") % {"number": row.tracking_no})
                    elif shipment.tracking_no != row.tracking_no or shipment.courier_id != courier.pk:
                        notes.append(
                            _("tracking %(old)s → %(new)s") % {"old": shipment.tracking_no, "new": row.tracking_no}
                        )
                        shipment.courier_id, shipment.tracking_no = courier.pk, row.tracking_no
                        changed_shipments.append(shipment)
                if not notes:
                    outcomes.append(Outcome(row.line, UNCHANGED, row.number))
                    continue
                if changes:
                    for field, (_old, new) in changes.items():
                        setattr(order, field, new)
                    order.updated_at = now
                    changed_fields.update(changes)
                    changed_orders.append(order)
                outcomes.append(Outcome(row.line, UPDATE, row.number, "; ".join(notes)))
            except RowError as exc:
                outcomes.append(Outcome(row.line, REJECT, row.number, str(exc)))

        if not self.dry_run:
            new_shipments += self._create(to_create, now=now)
            insert_rows(Shipment, new_shipments, now=now)
            if changed_orders:
                Order.objects.bulk_update(changed_orders, sorted(changed_fields | {"updated_at"}), batch_size=500)
            if changed_shipments:
                Shipment.objects.bulk_update(changed_shipments, ["courier", "tracking_no"], batch_size=500)
        outcomes.sort(key=lambda outcome: outcome.line)
        return outcomes

    def _create(self, plans: list[tuple[OrderRow, Sku, Courier | None]], *, now: dt.datetime) -> list[dict]:
        """Write new orders in stages, ids between them: customers, orders, then items.
        Returns the new orders' shipments, for the caller's one insert."""
        if not plans:
            return []
        keys = {row.number: self._customer_key(row) for row, _sku, _courier in plans}
        customer_ids = dict(
            Customer.objects.filter(pdd_user_id__in=set(keys.values())).values_list("pdd_user_id", "pk")
        )
        new_customers: dict[str, dict] = {}
        for row, _sku, _courier in plans:
            key = keys[row.number]
            if key not in customer_ids and key not in new_customers:
                new_customers[key] = self._new_customer(row, key)
        if new_customers:
            insert_rows(Customer, new_customers.values(), now=now)
            customer_ids.update(
                Customer.objects.filter(pdd_user_id__in=list(new_customers)).values_list("pdd_user_id", "pk")
            )
        insert_rows(
            Order,
            [
                self._new_order(row, customer_id=customer_ids[keys[row.number]], product=sku.product)
                for row, sku, _c in plans
            ],
            now=now,
        )
        order_ids = dict(
            Order.objects.filter(number__in=[row.number for row, _s, _c in plans]).values_list("number", "pk")
        )
        items, shipments = [], []
        for row, sku, courier in plans:
            order_id = order_ids[row.number]
            items.append(
                {
                    "order_id": order_id,
                    "sku_id": sku.pk,
                    "product_name": row.product_name,
                    "spec": row.spec,
                    "quantity": row.quantity,
                    "unit_price_fen": self._unit_price(row),
                }
            )
            if courier is not None:
                shipments.append(
                    {
                        "order_id": order_id,
                        "courier_id": courier.pk,
                        "tracking_no": row.tracking_no,
                        "shipped_at": row.shipped_at or now,
                    }
                )
        insert_rows(OrderItem, items, now=now)
        return shipments

    # --- pieces ---

    def _customer_key(self, row: OrderRow) -> str:
        return customer_key(name=row.receiver_name, phone=row.phone, order_number=row.number)

    @staticmethod
    def _unit_price(row: OrderRow) -> int:
        total = row.goods_fen if row.goods_fen is not None else row.paid_fen
        return total // max(row.quantity, 1)

    @staticmethod
    def _new_customer(row: OrderRow, key: str) -> dict:
        nickname = row.receiver_name or (f"买家{row.phone[-4:]}" if row.phone else f"买家{row.number[-4:]}")
        return {
            "pdd_user_id": key,
            "nickname": nickname[:60],
            "name": row.receiver_name,
            "phone": row.phone,
            "province": row.province,
            "city": row.city,
            "district": row.district,
            "address": " ".join(part for part in (row.street, row.address) if part)[:200],
        }

    def _new_order(self, row: OrderRow, *, customer_id: int, product: Product) -> dict:
        computed = compute_ship_by(paid_at=row.paid_at, products=[product], store=self.store, calendar=self.calendar)
        return {
            "number": row.number,
            "customer_id": customer_id,
            "status": row.status,
            "goods_fen": row.goods_fen if row.goods_fen is not None else row.paid_fen,
            "shipping_fen": row.shipping_fen or 0,
            "discount_fen": row.discount_fen or 0,
            "paid_fen": row.paid_fen,
            "paid_at": row.paid_at,
            "ship_by": effective_ship_by(promised=row.promised_ship_at, computed=computed),
            "promised_ship_at": row.promised_ship_at,
            "computed_ship_by": computed,
            "shipped_at": row.shipped_at,
            "delivered_at": row.received_at,
            "receiver_name": row.receiver_name,
            "receiver_phone": row.phone,
            "receiver_address": row.full_address,
        }

    def _order_changes(self, order: Order, row: OrderRow) -> dict[str, tuple]:
        changes: dict[str, tuple] = {}
        if row.status != order.status and STATUS_RANK[row.status] >= STATUS_RANK[order.status]:
            changes["status"] = (order.status, row.status)
        candidates: Iterable[tuple[str, object]] = (
            ("paid_fen", row.paid_fen),
            ("goods_fen", row.goods_fen),
            ("shipping_fen", row.shipping_fen),
            ("discount_fen", row.discount_fen),
            ("paid_at", row.paid_at),
            ("shipped_at", row.shipped_at),
            ("delivered_at", row.received_at),
            ("promised_ship_at", row.promised_ship_at),
            ("receiver_name", row.receiver_name),
            ("receiver_phone", row.phone),
            ("receiver_address", row.full_address),
        )
        for field, value in candidates:
            if value not in (None, "") and getattr(order, field) != value:
                changes[field] = (getattr(order, field), value)
        if "paid_at" in changes or "promised_ship_at" in changes:
            changes.update(self._ship_by_changes(order, changes))
        return changes

    def _ship_by_changes(self, order: Order, changes: dict[str, tuple]) -> dict[str, tuple]:
        """L1: a new payment time moves our own ship-by time; a new platform promise replaces it as the ship-by."""
        computed = order.computed_ship_by
        if "paid_at" in changes or (computed is None and order.promised_ship_at is not None):
            paid_at = changes["paid_at"][1] if "paid_at" in changes else order.paid_at
            products = [item.sku.product for item in order.items.select_related("sku__product")]
            computed = compute_ship_by(paid_at=paid_at, products=products, store=self.store, calendar=self.calendar)
        elif computed is None:
            computed = order.ship_by  # stored before the platform's promise was kept: it was ours
        promised = changes["promised_ship_at"][1] if "promised_ship_at" in changes else order.promised_ship_at
        ship_by = effective_ship_by(promised=promised, computed=computed)
        result: dict[str, tuple] = {}
        if computed != order.computed_ship_by:
            result["computed_ship_by"] = (order.computed_ship_by, computed)
        if "paid_at" in changes or ship_by != order.ship_by:
            result["ship_by"] = (order.ship_by, ship_by)
        return result

    @staticmethod
    def _describe(field: str, old, new) -> str:
        """What changes, for the preview; people's names and phones are not repeated there."""
        label = str(Order._meta.get_field(field).verbose_name)
        if field == "status":
            return f"{_STATUS_LABELS[old]} → {_STATUS_LABELS[new]}"
        if field.startswith("receiver_"):
            return _("%(field)s changed") % {"field": label}
        if isinstance(new, dt.datetime):
            return f"{label} {timezone.localtime(new):%Y-%m-%d %H:%M}"
        if field.endswith("_fen"):
            return f"{label} {format_fen(old)} → {format_fen(new)}"
        return f"{label} {old} → {new}"


class _Columns:
    """A model's insert columns with their defaults, prepared once per model (not per value, as bulk_create does)."""

    _cache: dict = {}

    def __init__(self, model) -> None:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.table = model._meta.db_table
        self.columns = [f.column for f in fields]
        self.attnames = [f.attname for f in fields]
        self.timestamps = {
            f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        }
        self.datetimes = {f.attname for f in fields if isinstance(f, models.DateTimeField)}
        self.with_default = [f for f in fields if f.has_default() or f.null]

    def defaults(self) -> dict:
        """Evaluated per insert, so a callable default (timezone.now …) is fresh."""
        return {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in self.with_default}

    @classmethod
    def of(cls, model) -> "_Columns":
        if model not in cls._cache:
            cls._cache[model] = cls(model)
        return cls._cache[model]


def insert_rows(model, rows: Iterable[dict], *, now: dt.datetime) -> None:
    """Insert many rows at once: executemany on SQLite, COPY on PostgreSQL, multi-row VALUES elsewhere.

    For a 100,000-row import bulk_create's per-value preparation costs more than the database itself. Fields a row
    leaves out take their model default, so a field added to the model later keeps working; auto_now fields get `now`.
    """
    rows = list(rows)
    if not rows:
        return
    spec = _Columns.of(model)
    adapt = connection.ops.adapt_datetimefield_value
    stamp = adapt(now)
    missing = object()
    defaults = spec.defaults()
    params = []
    for row in rows:
        values = []
        for attname in spec.attnames:
            if attname in spec.timestamps and attname not in row:
                values.append(stamp)
                continue
            value = row.get(attname, missing)
            if value is missing:
                value = defaults.get(attname, missing)
                if value is missing:
                    raise ValueError(f"{model.__name__}.{attname} has no value and no default")
            elif value is not None and attname in spec.datetimes:
                value = adapt(value)
            values.append(value)
        params.append(values)
    quote = connection.ops.quote_name
    head = "INSERT INTO {} ({}) VALUES ".format(  # noqa: S608 - names from the model, values as parameters
        quote(spec.table), ", ".join(quote(column) for column in spec.columns)
    )
    one = "(" + ", ".join(["%s"] * len(spec.columns)) + ")"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # In-process: one prepared statement run per row is the fastest there.
            cursor.executemany(head + one, params)
            return
        if connection.vendor == "postgresql":
            # COPY streams the rows in one round trip, with no per-value SQL formatting.
            columns = ", ".join(quote(column) for column in spec.columns)
            with cursor.cursor.copy(f"COPY {quote(spec.table)} ({columns}) FROM STDIN") as copy:
                for values in params:
                    copy.write_row(values)
            return
        per_statement = max(1, min(1000, 30000 // len(spec.columns)))
        for start in range(0, len(params), per_statement):
            chunk = params[start : start + per_statement]
            cursor.execute(head + ", ".join([one] * len(chunk)), [value for values in chunk for value in values])


def in_batches(items: Iterable, size: int) -> Iterable[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
