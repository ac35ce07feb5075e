"""Make many orders fast, for benchmarks: items, parcels and tracking events in a realistic mix.

Rows go in with explicit ids through executemany (SQLite) or COPY (PostgreSQL), one transaction per batch, from a pool
of customers and SKUs. Orders are spread over `--days`; the recent ones are still open, so queues find orders to ship,
late ones, parcels in transit, stalled for days, or with no tracking event after 24 h. Each run adds `--orders` more;
order numbers (YYMMDD-9…) never meet seed_demo's (YYMMDD-1… to -8…).
"""

import datetime as dt
import random
import time

from django.core.management.base import BaseCommand
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.db.models.functions import Substr
from django.utils import timezone

from backoffice import demo
from backoffice.models import Courier, Customer, Order, OrderItem, Shipment, Sku, StoreSettings, TrackingEvent
from backoffice.platform.shipping import compute_ship_by
from backoffice.store.businesshours import Calendar

HOUR = 3600
DAY = 24 * HOUR
# Naive UTC: what Django stores on SQLite, and the session time zone Django sets on PostgreSQL.
EPOCH = dt.datetime.fromtimestamp(0, dt.UTC).replace(tzinfo=None)
SCALE_CUSTOMER_REGEX = r"^9[0-9]{11}$"

ORDER_FIELDS = [
    "id",
    "number",
    "customer",
    "status",
    "goods_fen",
    "shipping_fen",
    "discount_fen",
    "paid_fen",
    "paid_at",
    "ship_by",
    "shipped_at",
    "delivered_at",
    "receiver_name",
    "receiver_phone",
    "receiver_address",
    "updated_at",
]
ITEM_FIELDS = ["id", "order", "sku", "product_name", "spec", "quantity", "unit_price_fen"]
SHIPMENT_FIELDS = ["id", "order", "courier", "tracking_no", "shipped_at", "state", "last_event_at", "delivered_at"]
EVENT_FIELDS = ["id", "shipment", "at", "place", "state", "description"]
TIME_COLUMNS = {
    Order: ("paid_at", "ship_by", "shipped_at", "delivered_at", "updated_at"),
    Shipment: ("shipped_at", "last_event_at", "delivered_at"),
    TrackingEvent: ("at",),
}

AWAITING, SHIPPED, DELIVERED_, COMPLETED, CANCELLED, REFUNDED = (
    Order.Status.AWAITING_SHIPMENT.value,
    Order.Status.SHIPPED.value,
    Order.Status.DELIVERED.value,
    Order.Status.COMPLETED.value,
    Order.Status.CANCELLED.value,
    Order.Status.REFUNDED.value,
)
CREATED, IN_TRANSIT, OUT_FOR_DELIVERY, DELIVERED, EXCEPTION = (
    Shipment.State.CREATED.value,
    Shipment.State.IN_TRANSIT.value,
    Shipment.State.OUT_FOR_DELIVERY.value,
    Shipment.State.DELIVERED.value,
    Shipment.State.EXCEPTION.value,
)

# Where a scenario starts; the parcel's tracking may move it on (shipped → delivered) or hold it back (not yet done).
SCENARIO_STATUS = {
    "awaiting": AWAITING,
    "cancelled": CANCELLED,
    "refunded_before_shipping": REFUNDED,
    "refunded": REFUNDED,
    "completed": COMPLETED,
}

# Cumulative shares of each scenario, by the order's age since payment.
MIX = {
    "fresh": [("awaiting", 0.65), ("in_transit", 0.93), ("cancelled", 0.98), ("refunded", 1.0)],
    "due_soon": [("awaiting", 0.25), ("in_transit", 0.95), ("cancelled", 1.0)],  # the last 6 h before ship-by
    "past_ship_by": [  # up to 5 days: the open queues
        ("awaiting", 0.04),
        ("in_transit", 0.59),
        ("stalled", 0.62),
        ("no_first_event", 0.64),
        ("no_tracking_no", 0.65),
        ("delivered", 0.90),
        ("cancelled", 0.95),
        ("refunded", 1.0),
    ],
    "recent": [("delivered", 0.45), ("completed", 0.82), ("stalled", 0.85), ("refunded", 0.93), ("cancelled", 1.0)],
    "old": [("completed", 0.84), ("refunded", 0.92), ("cancelled", 1.0)],  # 12 days and older
}


def pick(cumulative: list[tuple[str, float]], roll: float) -> str:
    for name, upto in cumulative:
        if roll < upto:
            return name
    return cumulative[-1][0]


class Writer:
    """Inserts plain row tuples: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self):
        self.copy = connection.vendor == "postgresql"
        self.offset = "+00" if self.copy else ""
        self.days: dict[int, str] = {}
        self.analyzed_at = 0  # rows in the orders table at the last ANALYZE
        qn = connection.ops.quote_name
        self.sql = {}
        for model, names in ((Order, ORDER_FIELDS), (OrderItem, ITEM_FIELDS), (Shipment, SHIPMENT_FIELDS)):
            self._prepare(model, names, qn)
        self._prepare(TrackingEvent, EVENT_FIELDS, qn)

    def _prepare(self, model, names, qn):
        columns = ", ".join(qn(model._meta.get_field(name).column) for name in names)
        table = qn(model._meta.db_table)
        if self.copy:
            self.sql[model] = f"COPY {table} ({columns}) FROM STDIN"
        else:
            placeholders = ", ".join(["%s"] * len(names))
            # Table and column names come from the models' meta, quoted; values go as parameters.
            self.sql[model] = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608

    def time(self, seconds: int | None) -> str | None:
        """A UTC timestamp as text: naive on SQLite (as Django stores it), with its offset for PostgreSQL."""
        if seconds is None:
            return None
        day, rest = divmod(seconds, DAY)
        prefix = self.days.get(day)
        if prefix is None:
            prefix = self.days[day] = (EPOCH + dt.timedelta(days=day)).strftime("%Y-%m-%d ")
        hours, rest = divmod(rest, HOUR)
        return f"{prefix}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}{self.offset}"

    def write(self, cursor, model, rows: list[tuple]) -> None:
        if not rows:
            return
        if self.copy:
            with cursor.copy(self.sql[model]) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(self.sql[model], rows)

    def analyze_when_grown(self, cursor, rows: int) -> None:
        """On PostgreSQL, fresh planner statistics each time the tables have doubled since the last ones.

        The foreign-key checks at each commit keep the plan made when the parent tables were small: a sequential scan
        of the orders per inserted row, so a load without autovacuum slowed down with every batch (300 orders/s at
        80,000, and falling). A new ANALYZE makes PostgreSQL plan them again, on the primary key's index.
        """
        if not self.copy or rows < self.analyzed_at * 2:
            return
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (Order, OrderItem, Shipment))
        cursor.execute(f"ANALYZE {tables}")
        self.analyzed_at = rows


class Command(BaseCommand):
    help = "Make many orders fast (default 1,000,000) with items, parcels and tracking events, for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=1_000_000)
        parser.add_argument("--batch", type=int, default=10_000, help="Orders per transaction.")
        parser.add_argument("--days", type=int, default=180, help="Spread payment times over this many days.")
        parser.add_argument("--customers", type=int, default=0, help="Customer pool (default: one per 20 orders).")
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_RNG_SEED)

    def handle(self, *args, orders: int, batch: int, days: int, customers: int, seed: int, **options):
        started = time.monotonic()
        rng = random.Random(seed)
        now = int(timezone.now().timestamp())
        with transaction.atomic():
            demo.ensure_couriers()
            demo.ensure_catalogue(now=timezone.now())
        pool = self.customer_pool(customers or max(1_000, orders // 20), rng)
        self.stdout.write(f"customer pool {len(pool):,} ready ({time.monotonic() - started:.1f} s)")

        store = StoreSettings.load()
        calendar = Calendar.for_store(store)
        skus = [
            (
                sku.pk,
                sku.product.name,
                sku.spec,
                sku.price_fen,
                (sku.product.ship_within_hours or 0) * HOUR,
                sku.product,
            )
            for sku in Sku.objects.select_related("product").filter(product__listed=True, product__presale_ship_by=None)
        ]
        couriers = {c.code: c.pk for c in Courier.objects.all()}
        specs = [spec for spec in demo.COURIERS if spec.code in couriers]
        courier_weights = [spec.share for spec in specs]
        texts = self.tracking_texts(specs)

        writer = Writer()
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                # A bigger page cache (256 MB) for this session: the indexes on random keys stay in memory.
                cursor.execute("PRAGMA cache_size = -262144")
        next_id = {
            model: (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1
            for model in (Order, OrderItem, Shipment, TrackingEvent)
        }
        counter = self.next_number()
        start = now - days * DAY
        step = (now - start) / max(orders, 1)
        totals = dict.fromkeys(("orders", "items", "shipments", "events"), 0)
        day_label: dict[int, str] = {}
        ship_within = store.ship_within_hours * HOUR
        updated_at = writer.time(now)

        done = 0
        while done < orders:
            size = min(batch, orders - done)
            order_rows, item_rows, shipment_rows, event_rows = [], [], [], []
            for i in range(done, done + size):
                paid = int(start + (i + rng.random()) * step)
                age = now - paid
                customer_id, receiver_name, receiver_phone, receiver_address, city, district, distance = rng.choice(
                    pool
                )
                lines = [rng.choice(skus)] if rng.random() < 0.8 else rng.sample(skus, 2)
                within = max(ship_within, *(line[4] for line in lines))
                if store.holidays_pause_ship_clock:
                    moment = EPOCH.replace(tzinfo=dt.UTC) + dt.timedelta(seconds=paid)
                    products = [line[5] for line in lines]
                    ship_by = int(
                        compute_ship_by(paid_at=moment, products=products, store=store, calendar=calendar).timestamp()
                    )
                else:
                    ship_by = paid + within

                if age < within - 6 * HOUR:
                    band = "fresh"
                elif age < within:
                    band = "due_soon"
                elif age < 5 * DAY:
                    band = "past_ship_by"
                elif age < 12 * DAY:
                    band = "recent"
                else:
                    band = "old"
                scenario = pick(MIX[band], rng.random())
                if scenario == "refunded" and rng.random() < 0.5:
                    scenario = "refunded_before_shipping"

                order_id = next_id[Order]
                next_id[Order] += 1
                goods = 0
                for sku_id, name, spec, price, _hours, _product in lines:
                    quantity = 1 if rng.random() < 0.9 else 2
                    goods += price * quantity
                    item_rows.append((next_id[OrderItem], order_id, sku_id, name, spec, quantity, price))
                    next_id[OrderItem] += 1
                shipping = demo.REMOTE_SHIPPING_FEN if distance >= 3 else 0
                discount = 500 if goods >= 5000 and rng.random() < 0.3 else 0

                shipped = delivered = None
                status = SCENARIO_STATUS.get(scenario, SHIPPED)
                if status not in (AWAITING, CANCELLED) and scenario != "refunded_before_shipping":
                    delay = int(rng.uniform(2, 30) * HOUR)
                    if paid + delay > now:
                        delay = int((now - paid) * rng.uniform(0.1, 0.9))
                    shipped = paid + delay
                    spec = rng.choices(specs, courier_weights)[0]
                    shipment_id = next_id[Shipment]
                    next_id[Shipment] += 1
                    tracking_no = "" if scenario == "no_tracking_no" else demo.tracking_number(rng, spec)
                    state, last_at = CREATED, None
                    if scenario not in ("no_tracking_no", "no_first_event"):
                        at = shipped + int(rng.uniform(0.5, 6) * HOUR)
                        steps = [(at, IN_TRANSIT, demo.ORIGIN_CITY, texts[spec.code])]
                        at += int((rng.uniform(18, 40) + 12 * distance) * HOUR)
                        steps.append((at, IN_TRANSIT, city, texts[city]))
                        if scenario == "stalled":
                            if rng.random() < 0.15:
                                steps.append((at + HOUR, EXCEPTION, city, texts[city, EXCEPTION]))
                        else:
                            at += int(rng.uniform(6, 12) * HOUR)
                            steps.append((at, OUT_FOR_DELIVERY, city, texts[city, district]))
                            at += int(rng.uniform(1, 5) * HOUR)
                            steps.append((at, DELIVERED, city, texts[spec.code, city]))
                        for at, state_, place_, text in steps:
                            if at > now:
                                break
                            event_rows.append(
                                (next_id[TrackingEvent], shipment_id, writer.time(at), place_, state_, text)
                            )
                            next_id[TrackingEvent] += 1
                            state, last_at = state_, at
                    if state == DELIVERED:
                        delivered = last_at
                        if status == SHIPPED:
                            status = DELIVERED_
                    elif status in (COMPLETED, REFUNDED):
                        status = SHIPPED  # still on its way: not yet completed
                    shipment_rows.append(
                        (
                            shipment_id,
                            order_id,
                            couriers[spec.code],
                            tracking_no,
                            writer.time(shipped),
                            state,
                            writer.time(last_at),
                            writer.time(delivered),
                        )
                    )

                local_day = (paid + 8 * HOUR) // DAY  # Asia/Shanghai has no daylight saving
                label = day_label.get(local_day)
                if label is None:
                    label = day_label[local_day] = (EPOCH + dt.timedelta(days=local_day)).strftime("%y%m%d")
                order_rows.append(
                    (
                        order_id,
                        f"{label}-9{counter:014d}",
                        customer_id,
                        status,
                        goods,
                        shipping,
                        discount,
                        goods + shipping - discount,
                        writer.time(paid),
                        writer.time(ship_by),
                        writer.time(shipped),
                        writer.time(delivered),
                        receiver_name,
                        receiver_phone,
                        receiver_address,
                        updated_at,
                    )
                )
                counter += 1

            with transaction.atomic(), connection.cursor() as cursor:
                writer.write(cursor, Order, order_rows)
                writer.write(cursor, OrderItem, item_rows)
                writer.write(cursor, Shipment, shipment_rows)
                writer.write(cursor, TrackingEvent, event_rows)
            done += size
            with connection.cursor() as cursor:
                writer.analyze_when_grown(cursor, next_id[Order])
            for key, rows in (
                ("orders", order_rows),
                ("items", item_rows),
                ("shipments", shipment_rows),
                ("events", event_rows),
            ):
                totals[key] += len(rows)
            elapsed = time.monotonic() - started
            self.stdout.write(f"{done:>10,} / {orders:,} orders  {done / elapsed:>8,.0f}/s  {elapsed:7.1f} s")

        if writer.copy:
            models = [Order, OrderItem, Shipment, TrackingEvent]
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), models):
                    cursor.execute(sql)
                # Fresh planner statistics, so benchmarks right after the load get the plans production would.
                cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models))
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{count:,} {name}" for name, count in totals.items())
        self.stdout.write(self.style.SUCCESS(f"Made {summary} in {elapsed:.1f} s ({connection.vendor})."))

    def customer_pool(self, size: int, rng: random.Random) -> list[tuple]:
        """(id, name, phone, full address, city, district, distance) for `size` customers, made when missing."""
        existing = Customer.objects.filter(pdd_user_id__regex=SCALE_CUSTOMER_REGEX)
        have = existing.count()
        if have < size:
            weights = [region.weight for region in demo.REGIONS]
            rows = []
            for n in range(have, size):
                region = rng.choices(demo.REGIONS, weights)[0]
                name = demo.chinese_name(rng)
                rows.append(
                    Customer(
                        pdd_user_id=f"9{n:011d}",
                        nickname=demo.nickname(rng, name),
                        name=name,
                        phone=demo.mobile_number(rng),
                        province=region.province,
                        city=region.city,
                        district=rng.choice(region.districts),
                        address=f"{rng.choice(demo.STREETS)}{rng.randrange(1, 999)}号{rng.choice(demo.ESTATES)}",
                    )
                )
            with transaction.atomic():
                Customer.objects.bulk_create(rows, batch_size=2_000)
        pool = []
        for pk, name, phone, province, city, district, address in existing.order_by("id").values_list(
            "id", "name", "phone", "province", "city", "district", "address"
        )[:size]:
            distance = demo.REGION_BY_CITY.get(city, demo.REGIONS[0]).distance
            pool.append((pk, name, phone, f"{province}{city}{district}{address}", city, district, distance))
        return pool

    def tracking_texts(self, specs) -> dict:
        """Every description a scale parcel can show, made once: by courier, by city, by (city, district)."""
        texts: dict = {}
        for spec in specs:
            texts[spec.code] = f"【{demo.ORIGIN_CITY}】{spec.name}浙江杭州余杭仓前网点 已揽收"
            for region in demo.REGIONS:
                texts[spec.code, region.city] = (
                    f"【{region.city}】已签收，签收人：本人签收。感谢使用{spec.name}，期待再次为您服务"
                )
        for region in demo.REGIONS:
            texts[region.city] = f"【{region.city}】快件已到达 {demo.hub_name(region.city)}，运输中"
            texts[region.city, EXCEPTION] = f"【{region.city}】快件异常：中转积压，正在加急处理"
            for district in region.districts:
                texts[region.city, district] = f"【{region.city}】{district}营业部 派件员正在为您派送"
        return texts

    def next_number(self) -> int:
        """The counter after the highest seed_scale order number (YYMMDD-9 + 14 digits)."""
        top = (
            Order.objects.filter(number__regex=demo.SCALE_ORDER_REGEX)
            .annotate(counter=Substr("number", 9))
            .aggregate(top=Max("counter"))["top"]
        )
        return int(top) + 1 if top else 1
