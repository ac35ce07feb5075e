"""Tracking providers: one interface, a kuaidi100-style HTTP client, and a fake one for the demo and tests.

settings.TRACKING_PROVIDER picks one ("fake" by default, "kuaidi100"); the kuaidi100 account comes from the environment
(KUAIDI100_CUSTOMER, KUAIDI100_KEY, KUAIDI100_URL) so no secret lives in the code or the settings file.
"""

import datetime as dt
import hashlib
import json
import os
import zlib
from dataclasses import dataclass
from typing import Protocol

import requests
from django.conf import settings
from django.utils import timezone

from backoffice.models import Shipment, StoreSettings, TrackingEvent

KUAIDI100_URL = "https://poll.kuaidi100.com/poll/query.do"
TIMEOUT = (3.05, 10)  # connect, read (seconds)

State = Shipment.State


@dataclass(frozen=True)
class TrackEvent:
    at: dt.datetime
    state: str
    place: str
    description: str


class Track(list):
    """A parcel's tracking events, oldest first, with the courier's delivery estimate when it gives one (A1)."""

    estimated_delivery: dt.datetime | None = None


# kuaidi100 gives its estimate ("arrivalTime") to the hour, sometimes to the second or only the day.
ESTIMATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H", "%Y-%m-%d")


def parse_estimate(text) -> dt.datetime | None:
    """A courier's delivery estimate in Beijing time; None when absent or not understood."""
    if not isinstance(text, str) or not text.strip():
        return None
    for fmt in ESTIMATE_FORMATS:
        try:
            naive = dt.datetime.strptime(text.strip(), fmt)  # noqa: DTZ007 - Beijing time, made aware below
        except ValueError:
            continue
        return timezone.make_aware(naive, timezone.get_default_timezone())
    return None


class TrackingError(Exception):
    """The provider could not answer; `retryable` says whether asking again later may help."""

    retryable = True

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class ProviderUnavailable(TrackingError):
    """Network error, timeout, 5xx or "busy": try again later (with backoff)."""


class ProviderRejected(TrackingError):
    """Bad signature, expired key, no balance: the account is wrong; every request will fail until someone fixes it."""


class BadTrackingRequest(TrackingError):
    """This parcel's query is wrong (unknown courier code, phone needed): asking again soon will not help."""

    retryable = False


class TrackingProvider(Protocol):
    def query(self, courier_code: str, tracking_no: str, phone: str | None = None) -> list[TrackEvent]:
        """The parcel's tracking events, oldest first; [] when the provider has none yet."""
        ...


# --- kuaidi100 -------------------------------------------------------------------------------------------------

# Our courier codes → kuaidi100's company codes (the rest are the same).
KUAIDI100_COMPANY = {
    "zto": "zhongtong",
    "yto": "yuantong",
    "sto": "shentong",
    "sf": "shunfeng",
    "jd": "jd",
    "ems": "ems",
    "yunda": "yunda",
    "jtexpress": "jtexpress",
    "debangwuliu": "debangwuliu",
}

# kuaidi100 state codes (and their resultv2 sub-codes) → our parcel states.
KUAIDI100_STATES = {
    "0": State.IN_TRANSIT,  # 在途
    "1": State.IN_TRANSIT,  # 揽收
    "2": State.EXCEPTION,  # 疑难
    "3": State.DELIVERED,  # 签收
    "4": State.RETURNED,  # 退签
    "5": State.OUT_FOR_DELIVERY,  # 派件
    "6": State.RETURNED,  # 退回
    "7": State.IN_TRANSIT,  # 转投
    "8": State.IN_TRANSIT,  # 清关
    "10": State.IN_TRANSIT,  # 待清关
    "11": State.IN_TRANSIT,  # 清关中
    "12": State.IN_TRANSIT,  # 已清关
    "13": State.EXCEPTION,  # 清关异常
    "14": State.EXCEPTION,  # 拒签
}
KUAIDI100_STATUS_TEXT = {
    "在途": State.IN_TRANSIT,
    "揽收": State.IN_TRANSIT,
    "疑难": State.EXCEPTION,
    "签收": State.DELIVERED,
    "退签": State.RETURNED,
    "派件": State.OUT_FOR_DELIVERY,
    "退回": State.RETURNED,
    "转投": State.IN_TRANSIT,
    "拒签": State.EXCEPTION,
}
# returnCode of a failed query → what it means for us.
KUAIDI100_ERRORS: dict[str, type[TrackingError]] = {
    "400": BadTrackingRequest,  # incomplete or wrong parameters (e.g. company code)
    "408": BadTrackingRequest,  # phone number check failed (SF needs the receiver's phone)
    "501": ProviderUnavailable,  # server error
    "502": ProviderUnavailable,  # server busy
    "503": ProviderRejected,  # signature check failed
    "601": ProviderRejected,  # key expired or no balance left
}
NO_RESULT = "500"  # 查询无结果: the courier has reported nothing yet


def kuaidi100_state(code: str | int | None, text: str = "") -> str:
    """Map a state code, including resultv2 sub-codes (101, 1002, 204…), to a Shipment.State."""
    code = str(code or "").strip()
    if code in KUAIDI100_STATES:
        return KUAIDI100_STATES[code]
    if len(code) == 4 and code.startswith("10"):
        return State.IN_TRANSIT  # 1001–1003: sub-codes of 0 (在途)
    if len(code) == 3 and code[0] in KUAIDI100_STATES:
        return KUAIDI100_STATES[code[0]]  # 101 → 1, 204 → 2, 301 → 3 …
    for word, state in KUAIDI100_STATUS_TEXT.items():
        if word in text:
            return state
    return State.IN_TRANSIT


def kuaidi100_sign(param: str, key: str, customer: str) -> str:
    """sign = upper-case MD5 of param + key + customer (kuaidi100's rule; MD5 is theirs, not our choice)."""
    return hashlib.md5((param + key + customer).encode(), usedforsecurity=False).hexdigest().upper()


def _local_time(text: str) -> dt.datetime:
    naive = dt.datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007 - Beijing time, made aware below
    return timezone.make_aware(naive, timezone.get_default_timezone())


class Kuaidi100Provider:
    """kuaidi100's real-time query (实时查询): a signed form POST answered with JSON."""

    min_interval = 0.2  # seconds between two requests of one refresh run

    def __init__(self, *, customer: str, key: str, url: str = KUAIDI100_URL, session=None, timeout=TIMEOUT) -> None:
        if not customer or not key:
            raise ProviderRejected("KUAIDI100_CUSTOMER and KUAIDI100_KEY must be set to use kuaidi100.")
        self.customer, self.key, self.url = customer, key, url
        self.session = session or requests.Session()
        self.timeout = timeout

    def request_data(self, courier_code: str, tracking_no: str, phone: str | None = None) -> dict[str, str]:
        param = {
            "com": KUAIDI100_COMPANY.get(courier_code, courier_code),
            "num": tracking_no,
            "phone": phone or "",
            "resultv2": "1",
            "show": "0",
            "order": "asc",
        }
        param_text = json.dumps(param, ensure_ascii=False, separators=(",", ":"))
        return {
            "customer": self.customer,
            "param": param_text,
            "sign": kuaidi100_sign(param_text, self.key, self.customer),
        }

    def query(self, courier_code: str, tracking_no: str, phone: str | None = None) -> list[TrackEvent]:
        data = self.request_data(courier_code, tracking_no, phone)
        try:
            response = self.session.post(self.url, data=data, timeout=self.timeout)
        except requests.Timeout as exc:
            raise ProviderUnavailable(f"kuaidi100 timed out: {exc}", code="timeout") from exc
        except requests.RequestException as exc:
            raise ProviderUnavailable(f"kuaidi100 unreachable: {exc}", code="network") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise ProviderUnavailable(f"kuaidi100 answered HTTP {response.status_code}", code=str(response.status_code))
        if response.status_code >= 400:
            raise ProviderRejected(f"kuaidi100 answered HTTP {response.status_code}", code=str(response.status_code))
        try:
            body = response.json()
        except ValueError as exc:
            raise ProviderUnavailable("kuaidi100 answered something that is not JSON", code="garbled") from exc
        return self.parse(body)

    def parse(self, body: dict) -> list[TrackEvent]:
        if not isinstance(body, dict):
            raise ProviderUnavailable("kuaidi100 answered an unexpected shape", code="garbled")
        code = str(body.get("returnCode", ""))
        if body.get("result") is False or (code and code != "200"):
            if code == NO_RESULT:
                return []
            error = KUAIDI100_ERRORS.get(code, ProviderUnavailable)
            raise error(f"kuaidi100 {code}: {body.get('message', '')}", code=code)
        events = []
        try:
            for item in body.get("data") or []:
                events.append(
                    TrackEvent(
                        at=_local_time(item.get("ftime") or item["time"]),
                        state=kuaidi100_state(item.get("statusCode"), item.get("status", "")),
                        place=(item.get("areaName") or "")[:80],
                        description=(item.get("context") or "")[:200],
                    )
                )
        except (KeyError, TypeError, ValueError) as exc:
            raise ProviderUnavailable(f"kuaidi100 event not understood: {exc}", code="garbled") from exc
        events.sort(key=lambda event: event.at)
        # Without sub-codes, the parcel's overall state belongs to its latest event.
        if events and body.get("state") is not None and not any("statusCode" in item for item in body["data"]):
            last = events[-1]
            events[-1] = TrackEvent(last.at, kuaidi100_state(body["state"]), last.place, last.description)
        track = Track(events)
        track.estimated_delivery = parse_estimate(body.get("arrivalTime"))
        return track


# --- fake ------------------------------------------------------------------------------------------------------


class FakeProvider:
    """The demo's provider: repeats what is known and moves healthy parcels one step along, never a stuck one.

    A parcel whose last movement is older than `stall_after` (or that never had an event after `first_event_within`)
    stays as it is, so the demo's stalled and untracked parcels keep the desk busy; the others arrive in time.
    """

    def __init__(
        self,
        *,
        now: dt.datetime | None = None,
        step_every: dt.timedelta = dt.timedelta(hours=8),
        stall_after: dt.timedelta = dt.timedelta(hours=72),
        first_event_within: dt.timedelta = dt.timedelta(hours=24),
    ) -> None:
        self.now = now
        self.step_every, self.stall_after, self.first_event_within = step_every, stall_after, first_event_within

    def query(self, courier_code: str, tracking_no: str, phone: str | None = None) -> list[TrackEvent]:
        now = self.now or timezone.now()
        shipment = (
            Shipment.objects.filter(tracking_no=tracking_no, courier__code=courier_code)
            .select_related("order__customer")
            .first()
        )
        if shipment is None:
            return []
        known = [
            TrackEvent(e.at, e.state, e.place, e.description)
            for e in TrackingEvent.objects.filter(shipment=shipment).order_by("at")
        ]
        city = shipment.order.customer.city.removesuffix("市") or "目的地"
        if not known:
            if now - shipment.shipped_at > self.first_event_within or zlib.crc32(tracking_no.encode()) % 10 == 0:
                return []
            at = shipment.shipped_at + dt.timedelta(hours=2)
            return [TrackEvent(min(at, now), State.IN_TRANSIT, "杭州市", "【杭州市】快件已揽收")]
        last = known[-1]
        if last.state in (State.DELIVERED, State.RETURNED, State.EXCEPTION) or now - last.at > self.stall_after:
            return known
        if now - last.at < self.step_every:
            return known
        if last.state == State.OUT_FOR_DELIVERY:
            state, text = State.DELIVERED, "已签收，签收人：本人签收。感谢使用，期待再次为您服务"
        elif last.place.startswith(city):
            state, text = State.OUT_FOR_DELIVERY, f"{city}营业部 派件员正在为您派送"
        else:
            state, text = State.IN_TRANSIT, f"快件已到达 {city}转运中心，运输中"
        return [*known, TrackEvent(now, state, f"{city}市", f"【{city}】{text}")]


def get_provider() -> TrackingProvider:
    """The provider the settings name; kuaidi100's account from the environment."""
    name = getattr(settings, "TRACKING_PROVIDER", "fake")
    if name == "kuaidi100":
        return Kuaidi100Provider(
            customer=os.environ.get("KUAIDI100_CUSTOMER", ""),
            key=os.environ.get("KUAIDI100_KEY", ""),
            url=os.environ.get("KUAIDI100_URL", KUAIDI100_URL),
        )
    if name == "fake":
        store = StoreSettings.load()
        return FakeProvider(
            stall_after=dt.timedelta(hours=store.tracking_stall_hours),
            first_event_within=dt.timedelta(hours=store.first_tracking_event_hours),
        )
    raise ValueError(f"Unknown TRACKING_PROVIDER {name!r}: use 'fake' or 'kuaidi100'.")
