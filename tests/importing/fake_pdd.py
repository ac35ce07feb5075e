"""A fake PDD open platform on 127.0.0.1 for tests: checks every call's signature, serves paged increments,
and fails on request (error responses, rate limits, HTTP 500, a slow answer that times out). Bounded: it only sleeps
as long as asked, and shuts down with the test."""

import datetime as dt
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLIENT_ID = "fake-client-0001"
CLIENT_SECRET = "fake-secret-abcdef0123456789"
ACCESS_TOKEN = "fake-token-9876543210"

COMPANIES = [
    {"id": 115, "logistics_company": "中通快递", "code": "ZTO"},
    {"id": 85, "logistics_company": "圆通快递", "code": "YTO"},
    {"id": 121, "logistics_company": "韵达快递", "code": "YUNDA"},
    {"id": 384, "logistics_company": "极兔速递", "code": "JTSD"},
]


def pdd_time(moment: dt.datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def expected_sign(params: dict[str, str], secret: str) -> str:
    # Written out again here (not imported from the client), so a wrong client fails the test.
    text = secret + "".join(k + params[k] for k in sorted(params) if k != "sign") + secret
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest().upper()


class FakePdd:
    def __init__(self) -> None:
        self.orders: list[dict] = []  # each has "_updated" (aware datetime) besides the API fields
        self.refunds: list[dict] = []
        self.failures: list[dict] = []  # consumed one per call: {"error": {...}} / {"status": 500} / {"sleep": s}
        self.calls: list[dict] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/api/router"

    def start(self) -> "FakePdd":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    # --- data ---

    def add_order(self, number: str, *, updated: dt.datetime, **fields) -> dict:
        record = {
            "order_sn": number,
            "order_status": 1,
            "refund_status": 1,
            "confirm_status": 1,
            "pay_amount": 59.9,
            "goods_amount": 59.9,
            "discount_amount": 0,
            "postage": 0,
            "pay_time": pdd_time(updated - dt.timedelta(minutes=5)),
            "receiver_name": "张小花",
            "receiver_phone": "13812341234",
            "province": "浙江省",
            "city": "杭州市",
            "town": "余杭区",
            "address": "文一西路 998 号",
            "tracking_number": "",
            "logistics_id": 0,
            "shipping_time": "",
            "receive_time": "",
            "item_list": [{"goods_id": 1001, "goods_name": "纯棉短袖T恤", "goods_spec": "白色 L", "goods_count": 1}],
        } | fields
        record["updated_at"] = pdd_time(updated)
        record["_updated"] = updated
        self.orders = [o for o in self.orders if o["order_sn"] != number] + [record]
        return record

    def add_refund(self, refund_id: int, order_sn: str, *, updated: dt.datetime, **fields) -> dict:
        record = {
            "id": refund_id,
            "order_sn": order_sn,
            "after_sales_type": 2,
            "after_sales_status": 2,
            "after_sales_reason": "尺码不合适",
            "refund_amount": 1500,
            "created_time": pdd_time(updated - dt.timedelta(minutes=1)),
        } | fields
        record["updated_time"] = pdd_time(updated)
        record["_updated"] = updated
        self.refunds = [r for r in self.refunds if r["id"] != refund_id] + [record]
        return record

    # --- HTTP ---

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                params = dict(parse_qsl(self.rfile.read(length).decode()))
                with fake.lock:
                    fake.calls.append(params)
                    failure = fake.failures.pop(0) if fake.failures else None
                if failure and "sleep" in failure:
                    time.sleep(min(failure["sleep"], 2.0))
                if failure and "status" in failure:
                    self._send(failure["status"], {"error": "server"})
                    return
                if failure and "error" in failure:
                    self._send(200, {"error_response": failure["error"]})
                    return
                self._send(200, fake.answer(params))

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json;charset=UTF-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        return Handler

    def answer(self, params: dict[str, str]) -> dict:
        if params.get("sign") != expected_sign(params, CLIENT_SECRET):
            return {"error_response": {"error_code": 10016, "error_msg": "sign 签名校验失败", "sub_code": "sign"}}
        if params.get("client_id") != CLIENT_ID:
            return {"error_response": {"error_code": 10001, "error_msg": "client_id 不存在"}}
        api = params.get("type", "")
        if "start_updated_at" in params:
            start, end = int(params["start_updated_at"]), int(params["end_updated_at"])
            if end - start > 30 * 60 or end < start:
                return {"error_response": {"error_code": 10000, "error_msg": "时间跨度不能超过30分钟"}}
        if api != "pdd.logistics.companies.get" and params.get("access_token") != ACCESS_TOKEN:
            return {"error_response": {"error_code": 10019, "error_msg": "access_token已过期"}}
        if abs(int(params.get("timestamp", "0")) - time.time()) > 600:
            return {"error_response": {"error_code": 10000, "error_msg": "timestamp 过期"}}
        if api == "pdd.order.number.list.increment.get":
            rows, total = self._window(self.orders, params)
            return {"order_sn_increment_get_response": {"total_count": total, "has_next": False, "order_sn_list": rows}}
        if api == "pdd.refund.list.increment.get":
            rows, total = self._window(self.refunds, params)
            return {"refund_increment_get_response": {"total_count": total, "refund_list": rows}}
        if api == "pdd.order.information.get":
            found = [o for o in self.orders if o["order_sn"] == params.get("order_sn")]
            return {"order_info_get_response": {"order_info": self._public(found[0]) if found else {}}}
        if api == "pdd.logistics.companies.get":
            return {"logistics_companies_get_response": {"logistics_companies": COMPANIES}}
        if api == "pdd.logistics.online.send":
            return {"logistics_online_send_response": {"is_success": True}}
        return {"error_response": {"error_code": 10000, "error_msg": f"unknown type {api}"}}

    @staticmethod
    def _public(record: dict) -> dict:
        return {key: value for key, value in record.items() if not key.startswith("_")}

    def _window(self, records: list[dict], params: dict[str, str]) -> tuple[list[dict], int]:
        start, end = int(params["start_updated_at"]), int(params["end_updated_at"])
        chosen = sorted((r for r in records if start <= r["_updated"].timestamp() <= end), key=lambda r: r["_updated"])
        page, size = int(params.get("page", 1)), int(params.get("page_size", 100))
        return [self._public(r) for r in chosen[(page - 1) * size : page * size]], len(chosen)
