"""PDD's after-sales statuses, as the open platform codes them and as the exports spell them, to what they mean here.

The API's `after_sales_status` (pdd.refund.list.increment.get, pdd.refund.information.get, the order APIs) takes the
codes below; the merchant back office's exports write the same states as text, sometimes shortened ("待商家处理",
"平台介入中"). Each status says where the application stands for us (still open, finished, or closed), whether the
platform has stepped in (平台处理中, 平台同意退款 …: it costs the store), and whether a deadline ran out on the platform
(买家逾期未处理, 超过有效期). Text nobody has listed yet is read by its words, so a new export wording still lands
somewhere sensible; the raw code and text are always kept on the case.
"""

from dataclasses import dataclass

PENDING, DONE, CLOSED = "pending", "done", "closed"


@dataclass(frozen=True)
class Meaning:
    state: str
    intervened: bool = False
    expired: bool = False


@dataclass(frozen=True)
class PlatformStatus:
    """One after-sales status as reported, with what it means."""

    code: str  # the API's numeric code as text; "" when only the export's text is known
    text: str  # the status as the platform words it
    state: str  # PENDING, DONE or CLOSED
    intervened: bool = False
    expired: bool = False


# after_sales_status codes with the platform's own wording. 1 (全部, "all") is only a filter value of the list APIs;
# no application carries it. Codes missing from the sequence (19, 20, 23 …) are not used by the platform.
CODES: dict[int, tuple[str, Meaning]] = {
    0: ("无售后", Meaning(CLOSED)),
    2: ("买家申请退款，待商家处理", Meaning(PENDING)),
    3: ("退货退款，待商家处理", Meaning(PENDING)),
    4: ("商家同意退款，退款中", Meaning(PENDING)),
    5: ("平台同意退款，退款中", Meaning(PENDING, intervened=True)),
    6: ("驳回退款，待买家处理", Meaning(PENDING)),
    7: ("已同意退货退款，待用户发货", Meaning(PENDING)),
    8: ("平台处理中", Meaning(PENDING, intervened=True)),
    9: ("平台拒绝退款，退款关闭", Meaning(CLOSED, intervened=True)),
    10: ("退款成功", Meaning(DONE)),
    11: ("买家撤销", Meaning(CLOSED)),
    12: ("买家逾期未处理，退款失败", Meaning(CLOSED, expired=True)),
    13: ("买家逾期，超过有效期", Meaning(CLOSED, expired=True)),
    14: ("换货补寄待商家处理", Meaning(PENDING)),
    15: ("换货补寄待用户处理", Meaning(PENDING)),
    16: ("换货补寄成功", Meaning(DONE)),
    17: ("换货补寄失败", Meaning(CLOSED)),
    18: ("换货补寄待用户确认完成", Meaning(PENDING)),
    21: ("待商家同意维修", Meaning(PENDING)),
    22: ("待用户确认发货", Meaning(PENDING)),
    24: ("维修关闭", Meaning(CLOSED)),
    25: ("维修成功", Meaning(DONE)),
    27: ("待用户确认收货", Meaning(PENDING)),
    31: ("已同意拒收退款，待用户拒收", Meaning(PENDING)),
    32: ("补寄待商家发货", Meaning(PENDING)),
    33: ("同意召回后退款，待商家召回", Meaning(PENDING)),
}

# Shorter or older wordings seen in the exports' 售后状态 column (the order export's too), beside the API's texts.
EXPORT_TEXTS: dict[str, Meaning] = {
    "无售后或售后取消": Meaning(CLOSED),
    "售后取消": Meaning(CLOSED),
    "售后关闭": Meaning(CLOSED),
    "退款关闭": Meaning(CLOSED),
    "已撤销": Meaning(CLOSED),
    "买家已撤销": Meaning(CLOSED),
    "售后处理中": Meaning(PENDING),
    "待商家处理": Meaning(PENDING),
    "买家申请退货，待商家处理": Meaning(PENDING),
    "待买家处理": Meaning(PENDING),
    "待买家退货": Meaning(PENDING),
    "待商家收货": Meaning(PENDING),
    "退款中": Meaning(PENDING),
    "平台介入中": Meaning(PENDING, intervened=True),
    "平台介入": Meaning(PENDING, intervened=True),
    "平台同意退款": Meaning(PENDING, intervened=True),
    "平台拒绝退款": Meaning(CLOSED, intervened=True),
    "平台同意退款，退款成功": Meaning(DONE, intervened=True),
    "买家逾期未处理": Meaning(CLOSED, expired=True),
    "超过有效期": Meaning(CLOSED, expired=True),
    "售后超时关闭": Meaning(CLOSED, expired=True),
    "退货退款成功": Meaning(DONE),
    "换货成功": Meaning(DONE),
    "补寄成功": Meaning(DONE),
}

_PUNCTUATION = str.maketrans("", "", " ，,、/|-_()（）:：。.\u3000")


def _key(text: str) -> str:
    return text.translate(_PUNCTUATION)


_BY_TEXT: dict[str, Meaning] = {_key(text): meaning for text, meaning in CODES.values()} | {
    _key(text): meaning for text, meaning in EXPORT_TEXTS.items()
}
_CLOSING_WORDS = ("关闭", "撤销", "取消", "失败", "逾期", "拒绝退款", "超过有效期", "超时")
_PLATFORM_ACTS = ("介入", "处理", "同意", "拒绝", "判定", "判责", "仲裁")


def _by_words(key: str) -> Meaning:
    """A wording nobody listed: finished on 成功, closed on a closing word, otherwise still open."""
    if "成功" in key:
        state = DONE
    elif any(word in key for word in _CLOSING_WORDS):
        state = CLOSED
    else:
        state = PENDING
    return Meaning(
        state,
        intervened="平台" in key and any(word in key for word in _PLATFORM_ACTS),
        expired=any(word in key for word in ("逾期", "超过有效期", "超时")),
    )


def from_text(text: str, *, code: str = "") -> PlatformStatus:
    """An export's 售后状态 text (or any wording of it)."""
    text = text.strip()
    key = _key(text)
    meaning = _BY_TEXT.get(key) or _by_words(key)
    return PlatformStatus(code, text, meaning.state, meaning.intervened, meaning.expired)


def from_code(value) -> PlatformStatus:
    """The API's after_sales_status code. An unknown code stays open with its number as its text (and is kept)."""
    try:
        code = int(value)
    except (TypeError, ValueError):
        return from_text(str(value or ""), code=str(value or ""))
    if code not in CODES:
        return PlatformStatus(str(code), str(code), PENDING)
    text, meaning = CODES[code]
    return PlatformStatus(str(code), text, meaning.state, meaning.intervened, meaning.expired)
