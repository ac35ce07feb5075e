"""Writes the PDD export fixtures in tests/importing/fixtures/: both exports, GBK and UTF-8 with BOM.

The GBK files use one export version's column names, the UTF-8 ones another's, with the same rows, so both must import
the same. Each file carries the broken rows real exports have (listed in BROKEN_*), and an unknown column.

    .venv/bin/python tests/importing/make_fixtures.py      # rewrite the files after changing the rows here
"""

import csv
import io
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Canonical field order of ORDER_ROWS; two export versions name the columns differently.
ORDER_FIELDS = [
    "order_number",
    "order_status",
    "product_name",
    "spec",
    "quantity",
    "goods_amount",
    "store_discount",
    "shipping_amount",
    "paid_amount",
    "paid_at",
    "shipped_at",
    "received_at",
    "courier",
    "tracking_no",
    "receiver_name",
    "phone",
    "province",
    "city",
    "district",
    "address",
    "merchant_note",
]
ORDER_HEADERS_V1 = [
    "订单号",
    "订单状态",
    "商品",
    "商品规格",
    "商品数量(件)",
    "商品总价(元)",
    "店铺优惠折扣(元)",
    "邮费(元)",
    "用户实付金额(元)",
    "支付时间",
    "发货时间",
    "确认收货时间",
    "快递公司",
    "快递单号",
    "收货人",
    "手机",
    "省",
    "市",
    "区",
    "详细地址",
    "商家备注",
]
ORDER_HEADERS_V2 = [
    "订单编号",
    "订单状态",
    "商品名称",
    "规格",
    "数量",
    "商品金额(元)",
    "店铺优惠(元)",
    "运费(元)",
    "实付金额",
    "付款时间",
    "发货时间",
    "收货时间",
    "物流公司",
    "运单号",
    "收货人姓名",
    "手机号",
    "省份",
    "城市",
    "区县",
    "收货地址",
    "备注（商家）",
]
ADDRESS = ["浙江省", "杭州市", "余杭区", "文一西路 998 号"]
ORDER_ROWS = [
    # line 2
    ["261120-100000000000001", "待发货", "纯棉短袖T恤", "白色 L", "1", "59.90", "0", "0", "¥59.90",
     "2026-11-20 13:05:11", "", "", "", "", "张小花", "13812341234", *ADDRESS, ""],
    # line 3: shipped, tracking with a leading apostrophe the way spreadsheets keep it text
    ["261120-100000000000002", "已发货，待签收", "纯棉短袖T恤", "黑色 M", "2", "119.80", "10.00", "0", "109.80",
     "2026/11/20 14:30", "2026-11-21 09:00:00", "", "中通快递", "'77310000000002", "李娜", "13900001111",
     "江苏省", "南京市", "鼓楼区", "中山路 1 号", "加急"],
    # line 4
    ["261120-100000000000003", "交易成功", "保温杯 500ml", "星空蓝", "1", "39.00", "0", "5.00", "44.00",
     "2026-11-18 08:00:00", "2026-11-18 18:00:00", "2026-11-21 10:00:00", "圆通", "YT1234567890123",
     "王强", "13700002222", "广东省", "深圳市", "南山区", "科技园 8 栋", ""],
    # line 5: the order number kept as text with a quote
    ["'261120-100000000000004", "已签收", "保温杯 500ml", "樱花粉", "1", "39.00", "0", "0", "39.00",
     "2026-11-17 20:00:00", "2026-11-18 09:00:00", "", "韵达快递", "4300000000004", "赵敏", "13600003333",
     "北京市", "北京市", "朝阳区", "建国路 5 号", ""],
    # line 6
    ["261120-100000000000005", "已取消", "纯棉短袖T恤", "白色 L", "1", "59.90", "0", "0", "59.90",
     "2026-11-19 10:00:00", "", "", "", "", "钱多", "13500004444", *ADDRESS, ""],
    # line 7: the same receiver as line 2's order 1 → the same customer
    ["261120-100000000000006", "待发货", "保温杯 500ml", "星空蓝", "1", "39.00", "0", "0", "39.00",
     "2026-11-21 11:11:11", "", "", "", "", "张小花", "13812341234", *ADDRESS, ""],
    # line 8
    ["261120-100000000000007", "已发货", "纯棉短袖T恤", "黑色 M", "1", "59.90", "0", "0", "59.90",
     "2026-11-21 08:00", "2026-11-21 20:00", "", "极兔速递", "JT0000000000007", "孙丽", "13400005555",
     "四川省", "成都市", "武侯区", "天府大道 100 号", ""],
    # --- broken rows ---
    # line 9: the spreadsheet turned the order number into a float
    ["2.61E+20", "待发货", "纯棉短袖T恤", "白色 L", "1", "59.90", "0", "0", "59.90",
     "2026-11-20 13:05:11", "", "", "", "", "周一", "13300006666", *ADDRESS, ""],
    # line 10: the paid amount is not an amount
    ["261120-100000000000009", "待发货", "纯棉短袖T恤", "白色 L", "1", "59.90", "0", "0", "五十九",
     "2026-11-20 13:05:11", "", "", "", "", "吴二", "13200007777", *ADDRESS, ""],
    # line 11: the payment time is not a date
    ["261120-100000000000010", "待发货", "纯棉短袖T恤", "白色 L", "1", "59.90", "0", "0", "59.90",
     "2026-13-45 25:00", "", "", "", "", "郑三", "13100008888", *ADDRESS, ""],
    # line 12: a status nobody knows
    ["261120-100000000000011", "神秘状态", "纯棉短袖T恤", "白色 L", "1", "59.90", "0", "0", "59.90",
     "2026-11-20 13:05:11", "", "", "", "", "冯四", "13000009999", *ADDRESS, ""],
    # line 13: a courier the store does not use
    ["261120-100000000000012", "已发货", "纯棉短袖T恤", "白色 L", "1", "59.90", "0", "0", "59.90",
     "2026-11-20 13:05:11", "2026-11-21 13:05:11", "", "火星快递", "HX123", "陈五", "15000001234",
     *ADDRESS, ""],
    # line 14: no order number at all
    ["", "待发货", "纯棉短袖T恤", "白色 L", "1", "59.90", "0", "0", "59.90",
     "2026-11-20 13:05:11", "", "", "", "", "褚六", "15100001234", *ADDRESS, ""],
]  # fmt: skip
GOOD_ORDERS = [f"261120-10000000000000{n}" for n in range(1, 8)]
BROKEN_ORDERS = {
    9: "2.61E+20",
    10: "五十九",
    11: "2026-13-45 25:00",
    12: "神秘状态",
    13: "火星快递",
    14: "empty",
}

AFTERSALES_FIELDS = [
    "aftersales_number",
    "order_number",
    "product_name",
    "aftersales_type",
    "aftersales_status",
    "applied_at",
    "refund_amount",
    "reason",
    "description",
    "handler",
]
AFTERSALES_HEADERS_V1 = [
    "售后编号",
    "订单号",
    "商品名称",
    "售后类型",
    "售后状态",
    "申请时间",
    "退款金额(元)",
    "售后原因",
    "问题描述",
    "处理人",
]
AFTERSALES_HEADERS_V2 = [
    "售后单号",
    "订单编号",
    "商品",
    "售后类型",
    "售后状态",
    "售后申请时间",
    "申请退款金额(元)",
    "申请原因",
    "退款说明",
    "处理客服",
]
AFTERSALES_ROWS = [
    # line 2: refund under ¥20 → approved automatically (A5)
    ["900000001", "261120-100000000000002", "纯棉短袖T恤", "仅退款", "待商家处理", "2026-11-22 10:00:00",
     "¥15.00", "尺码不合适", "买大了", ""],
    # line 3: a return → reviewed within 24 h (A7)
    ["900000002", "261120-100000000000003", "保温杯 500ml", "退货退款", "买家申请退货，待商家处理",
     "2026/11/22 11:00", "44.00", "质量问题", "杯盖破损", ""],
    # line 4: finished on the platform already → no case
    ["900000003", "261120-100000000000004", "保温杯 500ml", "仅退款", "退款成功", "2026-11-20 09:00:00",
     "39.00", "不想要了", "", ""],
    # line 5: an exchange
    ["900000004", "'261120-100000000000007", "纯棉短袖T恤", "换货", "待商家处理", "2026-11-22 09:30:00",
     "", "尺码偏小", "换大一码", ""],
    # --- broken rows ---
    # line 6: the after-sales number mangled by a spreadsheet
    ["9.00000005E+08", "261120-100000000000002", "纯棉短袖T恤", "仅退款", "待商家处理", "2026-11-22 10:00:00",
     "5.00", "质量问题", "", ""],
    # line 7: an order the back office does not have
    ["900000006", "261120-999999999999999", "纯棉短袖T恤", "仅退款", "待商家处理", "2026-11-22 10:00:00",
     "5.00", "质量问题", "", ""],
    # line 8: more than the customer paid
    ["900000007", "261120-100000000000003", "保温杯 500ml", "仅退款", "待商家处理", "2026-11-22 10:00:00",
     "500.00", "质量问题", "", ""],
    # line 9: a type nobody knows
    ["900000008", "261120-100000000000001", "纯棉短袖T恤", "维权", "待商家处理", "2026-11-22 10:00:00",
     "5.00", "质量问题", "", ""],
    # line 10: the order number mangled
    ["900000009", "2.61E+20", "纯棉短袖T恤", "仅退款", "待商家处理", "2026-11-22 10:00:00",
     "5.00", "质量问题", "", ""],
]  # fmt: skip
BROKEN_AFTERSALES = {6: "9.00000005E+08", 7: "261120-999999999999999", 8: "500.00", 9: "维权", 10: "2.61E+20"}


def csv_bytes(header: list[str], rows: list[list[str]], *, encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    text = buffer.getvalue()
    if encoding == "gbk":
        text = text.replace("¥", "￥")  # GBK has only the full-width yuan sign; GBK exports use it
    return text.encode(encoding)


FILES = {
    "orders_gbk.csv": (ORDER_HEADERS_V1, ORDER_ROWS, "gbk"),
    "orders_utf8bom.csv": (ORDER_HEADERS_V2, ORDER_ROWS, "utf-8-sig"),
    "aftersales_gbk.csv": (AFTERSALES_HEADERS_V1, AFTERSALES_ROWS, "gbk"),
    "aftersales_utf8bom.csv": (AFTERSALES_HEADERS_V2, AFTERSALES_ROWS, "utf-8-sig"),
}


def expected_files() -> dict[str, bytes]:
    return {name: csv_bytes(header, rows, encoding=enc) for name, (header, rows, enc) in FILES.items()}


def write_xlsx(path: Path, header: list[str], rows: list[list]) -> Path:
    """An XLSX the way a spreadsheet saves it: real dates and numbers in the cells (made in tests, not committed)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def main() -> None:
    FIXTURES.mkdir(exist_ok=True)
    for name, content in expected_files().items():
        (FIXTURES / name).write_bytes(content)
        print(f"wrote {FIXTURES / name} ({len(content)} bytes)")


if __name__ == "__main__":
    main()
