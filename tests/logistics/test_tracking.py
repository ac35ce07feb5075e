"""The kuaidi100-style client against a local fake server: signing, state codes, and every way it can fail."""

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from backoffice.models import Shipment
from logistics import tracking
from logistics.tracking import (
    BadTrackingRequest,
    Kuaidi100Provider,
    ProviderRejected,
    ProviderUnavailable,
    kuaidi100_sign,
    kuaidi100_state,
)

CUSTOMER = "TESTCUSTOMER01"
KEY = "test-key-abc"
State = Shipment.State

DELIVERED_BODY = {
    "message": "ok",
    "state": "3",
    "status": "200",
    "ischeck": "1",
    "com": "zhongtong",
    "nu": "78000000000001",
    "data": [
        {
            "time": "2026-11-24 09:10:00",
            "ftime": "2026-11-24 09:10:00",
            "context": "【深圳市】已签收，签收人：本人签收",
            "status": "签收",
            "statusCode": "301",
            "areaName": "广东,深圳市",
        },
        {
            "time": "2026-11-24 07:30:00",
            "ftime": "2026-11-24 07:30:00",
            "context": "【深圳市】南山区营业部 派件员正在派送",
            "status": "派件",
            "statusCode": "5",
            "areaName": "广东,深圳市",
        },
        {
            "time": "2026-11-22 18:00:00",
            "ftime": "2026-11-22 18:00:00",
            "context": "【杭州市】中通快递 已揽收",
            "status": "揽收",
            "statusCode": "103",
            "areaName": "浙江,杭州市",
        },
    ],
}


class FakeKuaidi100(BaseHTTPRequestHandler):
    """Answers like kuaidi100: checks the form's signature, then plays the scenario set on the server."""

    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        self.server.requests.append(form)
        scenario = self.server.scenario
        if scenario == "timeout":
            time.sleep(1.0)
            return self._send(200, DELIVERED_BODY)
        if scenario == "http500":
            return self._send(500, "oops", raw=True)
        if scenario == "garbled":
            return self._send(200, "<html>maintenance</html>", raw=True)
        expected = hashlib.md5((form.get("param", "") + KEY + form.get("customer", "")).encode(), usedforsecurity=False)
        expected = expected.hexdigest().upper()
        if form.get("customer") != CUSTOMER or form.get("sign") != expected:
            return self._send(200, {"result": False, "returnCode": "503", "message": "验证签名失败"})
        if scenario in ("500", "501", "502", "400", "408", "601"):
            return self._send(200, {"result": False, "returnCode": scenario, "message": "错误"})
        return self._send(200, DELIVERED_BODY)

    def _send(self, status, body, raw=False):
        data = (body if raw else json.dumps(body, ensure_ascii=False)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the timeout scenario's client hangs up before the answer: expected


@pytest.fixture
def server():
    httpd = QuietServer(("127.0.0.1", 0), FakeKuaidi100)
    httpd.requests, httpd.scenario = [], "ok"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def client(server, *, key=KEY, timeout=(1, 0.3)) -> Kuaidi100Provider:
    return Kuaidi100Provider(
        customer=CUSTOMER, key=key, url=f"http://127.0.0.1:{server.server_address[1]}/poll/query.do", timeout=timeout
    )


def test_sign_is_the_upper_case_md5_of_param_key_and_customer():
    param = '{"com":"yunda","num":"3950055201640"}'

    expected = hashlib.md5((param + "KEYCUST").encode(), usedforsecurity=False).hexdigest().upper()
    assert kuaidi100_sign(param, "KEY", "CUST") == expected
    assert kuaidi100_sign(param, "KEY", "CUST").isupper()


def test_request_is_a_signed_form_with_kuaidi100s_company_code(server):
    events = client(server).query("zto", "78000000000001", phone="13812341234")

    form = server.requests[0]
    param = json.loads(form["param"])
    assert param["com"] == "zhongtong" and param["num"] == "78000000000001" and param["phone"] == "13812341234"
    assert form["sign"] == kuaidi100_sign(form["param"], KEY, CUSTOMER)
    assert len(events) == 3


def test_events_come_back_oldest_first_with_our_states_in_shanghai_time(server):
    events = client(server).query("zto", "78000000000001")

    assert [e.state for e in events] == [State.IN_TRANSIT, State.OUT_FOR_DELIVERY, State.DELIVERED]
    assert events[0].at.isoformat() == "2026-11-22T18:00:00+08:00"
    assert events[-1].description.startswith("【深圳市】已签收")


def test_a_wrong_key_is_rejected_as_an_account_problem(server):
    with pytest.raises(ProviderRejected) as error:
        client(server, key="wrong").query("zto", "78000000000001")

    assert error.value.code == "503" and error.value.retryable


def test_no_result_yet_is_no_events_not_an_error(server):
    server.scenario = "500"

    assert client(server).query("zto", "78000000000001") == []


@pytest.mark.parametrize(
    ("scenario", "error"),
    [
        ("501", ProviderUnavailable),
        ("502", ProviderUnavailable),
        ("601", ProviderRejected),
        ("400", BadTrackingRequest),
        ("408", BadTrackingRequest),
        ("http500", ProviderUnavailable),
        ("garbled", ProviderUnavailable),
        ("timeout", ProviderUnavailable),
    ],
)
def test_provider_errors_become_clear_exceptions(server, scenario, error):
    server.scenario = scenario

    with pytest.raises(error):
        client(server).query("zto", "78000000000001")


def test_an_unreachable_provider_is_unavailable():
    provider = Kuaidi100Provider(customer=CUSTOMER, key=KEY, url="http://127.0.0.1:9/poll/query.do", timeout=(0.5, 0.5))

    with pytest.raises(ProviderUnavailable):
        provider.query("zto", "78000000000001")


def test_missing_account_is_refused_before_any_request():
    with pytest.raises(ProviderRejected):
        Kuaidi100Provider(customer="", key="")


@pytest.mark.parametrize(
    ("code", "state"),
    [
        ("0", State.IN_TRANSIT),
        ("1", State.IN_TRANSIT),
        ("103", State.IN_TRANSIT),
        ("1002", State.IN_TRANSIT),
        ("2", State.EXCEPTION),
        ("204", State.EXCEPTION),
        ("3", State.DELIVERED),
        ("304", State.DELIVERED),
        ("4", State.RETURNED),
        ("5", State.OUT_FOR_DELIVERY),
        ("501", State.OUT_FOR_DELIVERY),
        ("6", State.RETURNED),
        ("14", State.EXCEPTION),
        ("", State.IN_TRANSIT),
    ],
)
def test_provider_state_codes_map_to_our_parcel_states(code, state):
    assert kuaidi100_state(code) == state


def test_without_sub_codes_the_parcels_state_goes_to_its_latest_event():
    body = {
        "state": "5",
        "data": [
            {"time": "2026-11-24 07:30:00", "context": "派送中"},
            {"time": "2026-11-23 07:30:00", "context": "运输中"},
        ],
    }

    events = Kuaidi100Provider(customer=CUSTOMER, key=KEY).parse(body)

    assert [e.state for e in events] == [State.IN_TRANSIT, State.OUT_FOR_DELIVERY]


def test_settings_pick_the_provider(settings, monkeypatch, db):
    assert isinstance(tracking.get_provider(), tracking.FakeProvider)
    settings.TRACKING_PROVIDER = "kuaidi100"
    monkeypatch.setenv("KUAIDI100_CUSTOMER", CUSTOMER)
    monkeypatch.setenv("KUAIDI100_KEY", KEY)
    monkeypatch.setenv("KUAIDI100_URL", "http://127.0.0.1:9/")

    provider = tracking.get_provider()

    assert isinstance(provider, Kuaidi100Provider) and provider.url == "http://127.0.0.1:9/"
