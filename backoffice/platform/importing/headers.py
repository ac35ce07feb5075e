"""The one table from the column names of PDD's exports (every version we have seen) to our field names.

A new export version with a renamed column needs one line here. Unknown columns are ignored; a missing required
column is named in the error, by its most common Chinese name.
"""

from django.utils.translation import gettext as _

HEADERS: dict[str, str] = {
    # --- the order export (订单导出) ---
    "订单号": "order_number",
    "订单编号": "order_number",
    "订单状态": "order_status",
    "商品": "product_name",
    "商品名称": "product_name",
    "商品标题": "product_name",
    "商品规格": "spec",
    "规格": "spec",
    "商品属性": "spec",
    "商品数量(件)": "quantity",
    "商品数量": "quantity",
    "数量": "quantity",
    "购买数量": "quantity",
    "商品总价(元)": "goods_amount",
    "商品金额(元)": "goods_amount",
    "商品总价": "goods_amount",
    "邮费(元)": "shipping_amount",
    "运费(元)": "shipping_amount",
    "邮费": "shipping_amount",
    "店铺优惠折扣(元)": "store_discount",
    "店铺优惠(元)": "store_discount",
    "平台优惠折扣(元)": "platform_discount",
    "平台优惠(元)": "platform_discount",
    "多多支付立减金额(元)": "payment_discount",
    "用户实付金额(元)": "paid_amount",
    "用户实付金额": "paid_amount",
    "实付金额(元)": "paid_amount",
    "实付金额": "paid_amount",
    "买家实付金额(元)": "paid_amount",
    "支付时间": "paid_at",
    "付款时间": "paid_at",
    "发货时间": "shipped_at",
    # L1: the platform's promised ship time, by which it bills late shipment.
    "承诺发货时间": "promised_ship_at",
    "承诺发货时间点": "promised_ship_at",
    "最晚发货时间": "promised_ship_at",
    "发货截止时间": "promised_ship_at",
    "承诺发货截止时间": "promised_ship_at",
    "确认收货时间": "received_at",
    "收货时间": "received_at",
    "快递公司": "courier",
    "物流公司": "courier",
    "快递单号": "tracking_no",
    "运单号": "tracking_no",
    "物流单号": "tracking_no",
    "收货人": "receiver_name",
    "收货人姓名": "receiver_name",
    "手机": "phone",
    "手机号": "phone",
    "收货人手机号": "phone",
    "收货人电话": "phone",
    "联系电话": "phone",
    "省": "province",
    "省份": "province",
    "市": "city",
    "城市": "city",
    "区": "district",
    "区县": "district",
    "街道": "street",
    "详细地址": "address",
    "收货地址": "address",
    "商品id": "goods_id",
    "商品ID": "goods_id",
    "样式ID": "sku_id",
    "样式id": "sku_id",
    "SKU ID": "sku_id",
    # In the order export this is the order's after-sales state; the after-sales export has it per application.
    "售后状态": "aftersales_status",
    # --- the after-sales export (售后导出) ---
    "售后编号": "aftersales_number",
    "售后单号": "aftersales_number",
    "售后ID": "aftersales_number",
    "售后申请编号": "aftersales_number",
    "售后类型": "aftersales_type",
    "退款类型": "aftersales_type",
    "申请时间": "applied_at",
    "售后申请时间": "applied_at",
    "申请退款时间": "applied_at",
    "退款金额(元)": "refund_amount",
    "退款金额": "refund_amount",
    "申请退款金额(元)": "refund_amount",
    "申请金额(元)": "refund_amount",
    "售后原因": "reason",
    "退款原因": "reason",
    "申请原因": "reason",
    "问题描述": "description",
    "退款说明": "description",
    "售后说明": "description",
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "orders": ("order_number", "order_status", "product_name", "paid_amount", "paid_at"),
    "aftersales": ("aftersales_number", "order_number", "aftersales_type", "applied_at"),
}

# A column that only the after-sales export has tells the two files apart.
AFTERSALES_MARKERS = frozenset({"aftersales_number", "aftersales_type", "applied_at"})

_FULL_WIDTH = str.maketrans({"（": "(", "）": ")", "\u3000": " ", "\ufeff": None})


def normalize(header: object) -> str:
    """The lookup key of a column name: no BOM, half-width brackets, no spaces, ASCII lower case."""
    text = str(header if header is not None else "").translate(_FULL_WIDTH)
    return "".join(text.split()).lower()


_LOOKUP = {normalize(name): field for name, field in HEADERS.items()}


def field_for(header: object) -> str | None:
    return _LOOKUP.get(normalize(header))


def label_for(field: str) -> str:
    """The Chinese column name people know a field by (the first variant in the table)."""
    for name, mapped in HEADERS.items():
        if mapped == field:
            return name
    return field


def map_columns(raw_headers: list) -> dict[int, str]:
    """Column index → field, for the columns we know; the first of two columns meaning the same field wins."""
    columns: dict[int, str] = {}
    seen: set[str] = set()
    for index, header in enumerate(raw_headers):
        field = field_for(header)
        if field is not None and field not in seen:
            columns[index] = field
            seen.add(field)
    return columns


def detect_kind(fields: set[str]) -> str:
    return "aftersales" if fields & AFTERSALES_MARKERS else "orders"


def missing_columns(kind: str, fields: set[str]) -> list[str]:
    return [label_for(field) for field in REQUIRED[kind] if field not in fields]


def missing_message(kind: str, missing: list[str]) -> str:
    return _("The file lacks the required column(s) %(columns)s. Export again with them, or rename the header.") % {
        "columns": "、".join(missing)
    }
