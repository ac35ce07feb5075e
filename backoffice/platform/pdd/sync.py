"""Incremental sync from the PDD open platform: orders, then after-sales applications, by update-time windows.

Each stream has a cursor (SyncCursor.synced_until). A run reads the windows after it, 30 minutes at a time (the API's
limit), up to 3 minutes before now (PDD's advice: its index lags), and moves the cursor only after a whole window was
written. A restart therefore re-reads at most one window, and the writes are upserts (orders by number, cases by
after-sales number), so nothing is skipped or doubled.

Within a window pages are read from the last to the first, as PDD advises: a record that changes meanwhile leaves the
window (it comes back in a later one), which can only shift later records onto pages still to be read.
"""

import datetime as dt
import logging
import math
from collections import Counter

from django.db.models import Q
from django.utils import timezone

from backoffice.models import CaseKind, Order, PlatformCredentials, SyncCursor
from backoffice.platform import timestamps
from backoffice.platform.importing import aftersales as aftersales_import
from backoffice.platform.importing import aftersales_status, parsing
from backoffice.platform.importing import orders as orders_import
from backoffice.platform.importing.orders import REJECT
from backoffice.platform.importing.parsing import RowError
from backoffice.platform.pdd.client import Credentials, PddApiError, PddClient
from backoffice.platform.shipping import PROMISE_AHEAD

logger = logging.getLogger(__name__)

WINDOW = dt.timedelta(minutes=30)
SAFETY_LAG = dt.timedelta(minutes=3)
PAGE_SIZE = 100
# One run catches up at most a day; the next beat continues. Keeps a run short and its hold on the cursor fresh.
MAX_WINDOWS_PER_RUN = 48
HOLD = dt.timedelta(minutes=15)

Stream = SyncCursor.Stream
S = Order.Status

# pdd.refund.list.increment.get: after_sales_type codes.
AFTER_SALES_TYPES = {
    2: CaseKind.REFUND,
    3: CaseKind.RETURN,
    4: CaseKind.EXCHANGE,
    5: CaseKind.RESHIP,
    6: CaseKind.INQUIRY,
}
# after_sales_status codes and their meaning: backoffice/platform/importing/aftersales_status.py.


# --- API records → the importers' rows ------------------------------------------------------------------------------


def _number(value, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def order_status(record: dict) -> str:
    """order_status 1 待发货 / 2 已发货待签收 / 3 已签收; refund_status 4 退款成功; confirm_status 2 已取消."""
    if _number(record.get("refund_status")) == 4:
        return S.REFUNDED
    if _number(record.get("confirm_status")) == 2:
        return S.CANCELLED
    status = _number(record.get("order_status"))
    if status == 3:
        return S.COMPLETED if record.get("receive_time") else S.DELIVERED
    if status == 2:
        return S.SHIPPED
    if status == 1:
        return S.AWAITING_SHIPMENT
    raise RowError(f"Unknown order_status {record.get('order_status')!r}")


def promise_time(value) -> dt.datetime | None:
    """promise_shipping_time: "yyyy-MM-dd HH:mm:ss" (Shanghai time) or Unix seconds, as public SDKs show it; held to
    the window every outside time is (backoffice.platform.timestamps), with a promise's longer lead."""
    raw = parsing.text(value)
    if raw in ("", "0"):
        return None
    if raw.isdigit() and len(raw) >= 9:
        try:
            return timestamps.check_timestamp(dt.datetime.fromtimestamp(int(raw), tz=dt.UTC), ahead=PROMISE_AHEAD)
        except (timestamps.TimestampError, OverflowError, OSError, ValueError) as exc:
            raise RowError(f"promise_shipping_time {raw!r} is refused: {exc}") from None
    return parsing.moment(raw, label="promise_shipping_time", ahead=PROMISE_AHEAD)


def order_row(record: dict, *, couriers: dict[int, str]) -> orders_import.OrderRow:
    """An order as the API gives it (amounts in yuan, times as text) → the row the importer takes.

    The receiver's name, phone and address arrive as the platform gives them (masked or encrypted for most apps);
    they are stored like that, and the customer key is made from them as for the export.
    """
    item = (record.get("item_list") or [{}])[0]
    tracking_no = parsing.text(record.get("tracking_number"))
    courier = couriers.get(_number(record.get("logistics_id"), -1), "") if tracking_no else ""
    if tracking_no and not courier:
        raise RowError(f"Unknown logistics_id {record.get('logistics_id')!r} for tracking number {tracking_no}")
    discount = parsing.money_fen(record.get("discount_amount"), label="discount_amount")
    return orders_import.OrderRow(
        line=0,
        number=parsing.order_number(record.get("order_sn")),
        status=order_status(record),
        paid_at=parsing.moment(
            record.get("pay_time") or record.get("confirm_time") or record.get("created_time"),
            label="pay_time",
            required=True,
        ),
        paid_fen=parsing.money_fen(record.get("pay_amount"), label="pay_amount", required=True),
        product_name=(parsing.text(item.get("goods_name")) or "?")[:120],
        spec=parsing.text(item.get("goods_spec"))[:80],
        quantity=max(_number(item.get("goods_count"), 1), 1),
        goods_fen=parsing.money_fen(record.get("goods_amount"), label="goods_amount"),
        shipping_fen=parsing.money_fen(record.get("postage"), label="postage"),
        discount_fen=discount,
        shipped_at=parsing.moment(record.get("shipping_time"), label="shipping_time"),
        received_at=parsing.moment(record.get("receive_time"), label="receive_time"),
        promised_ship_at=promise_time(record.get("promise_shipping_time")),
        goods_id=parsing.text(item.get("goods_id"))[:30],
        sku_id=parsing.text(item.get("sku_id"))[:40],
        courier=courier,
        tracking_no=tracking_no[:40],
        receiver_name=parsing.text(record.get("receiver_name"))[:40],
        phone=parsing.text(record.get("receiver_phone"))[:20],
        province=parsing.text(record.get("province"))[:20],
        city=parsing.text(record.get("city"))[:20],
        district=parsing.text(record.get("town"))[:20],
        address=parsing.text(record.get("address"))[:200],
    )


def aftersales_row(record: dict) -> aftersales_import.AftersalesRow:
    kind = AFTER_SALES_TYPES.get(_number(record.get("after_sales_type")))
    if kind is None:
        raise RowError(f"Unknown after_sales_type {record.get('after_sales_type')!r}")
    status = aftersales_status.from_code(record.get("after_sales_status"))
    return aftersales_import.AftersalesRow(
        line=0,
        number=parsing.platform_id(record.get("id"), label="id"),
        order_number=parsing.order_number(record.get("order_sn")),
        kind=kind,
        applied_at=parsing.moment(record.get("created_time"), label="created_time", required=True),
        # The after-sales API gives money in fen, unlike the order API.
        amount_fen=parsing.fen_amount(record.get("refund_amount"), label="refund_amount"),
        status_text=status.text,
        status_code=status.code,
        reason_text=parsing.text(record.get("after_sales_reason"))[:100],
    )


# --- running -------------------------------------------------------------------------------------------------------


def is_configured() -> bool:
    stored = PlatformCredentials.objects.filter(pk=1).first()
    if stored is not None and not stored.sync_enabled:
        return False
    return Credentials.load() is not None


def run_sync(*, client: PddClient | None = None, now: dt.datetime | None = None) -> dict:
    """Beat: orders first (applications refer to them), then after-sales. A no-op without credentials."""
    stored = PlatformCredentials.objects.filter(pk=1).first()
    if stored is not None and not stored.sync_enabled:
        logger.info("PDD sync skipped: switched off in Store admin → Platform credentials")
        return {"skipped": "disabled"}
    if client is None:
        credentials = Credentials.load()
        if credentials is None:
            logger.info("PDD sync skipped: no open-platform credentials configured (PDD_CLIENT_ID … or Store admin)")
            return {"skipped": "no credentials"}
        client = PddClient(credentials)
    now = now or timezone.now()
    initial_days = stored.initial_days if stored is not None else 1
    syncer = StreamSync(client=client, now=now, initial=dt.timedelta(days=initial_days))
    return {stream: syncer.run(stream) for stream in (Stream.ORDERS, Stream.AFTERSALES)}


class StreamSync:
    def __init__(self, *, client: PddClient, now: dt.datetime, initial: dt.timedelta = dt.timedelta(days=1)) -> None:
        self.client = client
        self.now = now
        self.initial = initial
        self._couriers: dict[int, str] | None = None
        self.order_importer = orders_import.OrderImporter()
        self.aftersales_importer = aftersales_import.AftersalesImporter()

    def run(self, stream: str, *, max_windows: int = MAX_WINDOWS_PER_RUN) -> dict:
        cursor = self._claim(stream)
        if cursor is None:
            return {"skipped": "another run holds this stream"}
        counts: Counter = Counter()
        start = cursor.synced_until or self.now - self.initial
        limit = self.now - SAFETY_LAG
        windows = 0
        try:
            while start < limit and windows < max_windows:
                end = min(start + WINDOW, limit)
                counts += self._window(stream, start, end)
                windows += 1
                # The window is in: move the cursor and extend the hold in one write.
                SyncCursor.objects.filter(pk=cursor.pk).update(synced_until=end, locked_until=timezone.now() + HOLD)
                start = end
        except PddApiError as exc:
            logger.warning("PDD sync of %s stopped at %s: %s", stream, start, exc)
            result = dict(counts) | {"windows": windows, "error": str(exc)}
            SyncCursor.objects.filter(pk=cursor.pk).update(locked_until=None, last_error=str(exc), last_counts=result)
            return result
        except Exception:
            SyncCursor.objects.filter(pk=cursor.pk).update(locked_until=None, last_error="unexpected error, see logs")
            raise
        result = dict(counts) | {"windows": windows}
        SyncCursor.objects.filter(pk=cursor.pk).update(
            locked_until=None, last_error="", last_success_at=timezone.now(), last_counts=result
        )
        return result

    def _claim(self, stream: str) -> SyncCursor | None:
        """Hold the stream's cursor (a conditional update), so two overlapping beats never read the same windows."""
        cursor, _created = SyncCursor.objects.get_or_create(stream=stream)
        now = timezone.now()
        free = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
        if not SyncCursor.objects.filter(free, pk=cursor.pk).update(locked_until=now + HOLD, last_run_at=now):
            return None
        cursor.refresh_from_db()
        return cursor

    def _window(self, stream: str, start: dt.datetime, end: dt.datetime) -> Counter:
        fetch = self.client.order_increments if stream == Stream.ORDERS else self.client.refund_increments
        list_key = "order_sn_list" if stream == Stream.ORDERS else "refund_list"
        first = fetch(start=start, end=end, page=1, page_size=PAGE_SIZE)
        pages = math.ceil(int(first.get("total_count") or 0) / PAGE_SIZE)
        counts: Counter = Counter()
        for page in range(pages, 0, -1):
            data = first if pages == 1 else fetch(start=start, end=end, page=page, page_size=PAGE_SIZE)
            records = data.get(list_key) or []
            counts += self._apply_orders(records) if stream == Stream.ORDERS else self._apply_aftersales(records)
        return counts

    def _couriers_by_id(self) -> dict[int, str]:
        if self._couriers is None:
            self._couriers = {
                _number(company.get("id"), -1): parsing.text(company.get("logistics_company"))
                for company in self.client.logistics_companies()
            }
        return self._couriers

    def _apply_orders(self, records: list[dict]) -> Counter:
        counts: Counter = Counter()
        rows = []
        couriers = self._couriers_by_id() if any(r.get("tracking_number") for r in records) else {}
        for record in records:
            try:
                rows.append(order_row(record, couriers=couriers))
            except RowError as exc:
                counts[REJECT] += 1
                logger.warning("PDD order %s not synced: %s", record.get("order_sn"), exc)
        for outcome in self.order_importer.apply(rows):
            counts[outcome.action] += 1
            if outcome.action == REJECT:
                logger.warning("PDD order %s not synced: %s", outcome.key, outcome.detail)
        return counts

    def _apply_aftersales(self, records: list[dict]) -> Counter:
        counts: Counter = Counter()
        rows = []
        for record in records:
            try:
                rows.append(aftersales_row(record))
            except RowError as exc:
                counts[REJECT] += 1
                logger.warning("PDD after-sales %s not synced: %s", record.get("id"), exc)
        self._fetch_missing_orders({row.order_number for row in rows})
        for outcome in self.aftersales_importer.apply(rows):
            counts[outcome.action] += 1
            if outcome.action == REJECT:
                logger.warning("PDD after-sales %s not synced: %s", outcome.key, outcome.detail)
        return counts

    def _fetch_missing_orders(self, numbers: set[str]) -> None:
        """An application can arrive before its order's window was read: fetch that order on its own first."""
        missing = numbers - set(Order.objects.filter(number__in=numbers).values_list("number", flat=True))
        rows = []
        for number in sorted(missing):
            record = self.client.order_information(number)
            if not record:
                continue
            try:
                couriers = self._couriers_by_id() if record.get("tracking_number") else {}
                rows.append(order_row(record, couriers=couriers))
            except RowError as exc:
                logger.warning("PDD order %s not synced: %s", number, exc)
        if rows:
            self.order_importer.apply(rows)
