"""Money is integer fen everywhere; this is the one place it becomes text, and the one place text becomes money."""

import math
import unicodedata
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

# The most any amount typed or received may be: far above any order, well inside a 32-bit integer column in fen.
MAX_YUAN = 10_000_000
MAX_FEN = MAX_YUAN * 100
# Longer text is no amount (and is not worth reading further).
MAX_TEXT = 40


class MoneyError(ValueError):
    """Not an amount we accept; the message says why, `code` what kind of problem (for callers with their own words):
    invalid, negative, decimals or too_large."""

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


def format_fen(fen: int | None) -> str:
    """1250 → ¥12.50"""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"


def format_yuan(fen: int) -> str:
    """1250 → 12.50: an amount for a form field that is typed in yuan (no sign, no thousands separators)."""
    yuan, cents = divmod(int(fen), 100)
    return f"{yuan}.{cents:02d}"


def _too_large() -> MoneyError:
    return MoneyError(_("The amount is too large (at most %(max)s).") % {"max": format_fen(MAX_FEN)}, code="too_large")


def parse_yuan(value: object) -> int:
    """An amount in yuan → integer fen: "12.5", "¥12.50", "￥1,234.5", "12.50元", full-width digits, or a JSON number.

    Refused with a MoneyError that says why: not a number (text, inf, NaN, lists …), negative, more than two
    decimals, more than MAX_YUAN. Never raises anything else, however long or strange the input: the size check
    comes before any arithmetic, which is exact (no float, no rounding by the decimal context).
    """
    if isinstance(value, bool):
        raise MoneyError(_("Enter an amount in yuan, like 12.50."))
    if isinstance(value, int):
        if value < 0:
            raise MoneyError(_("The amount cannot be negative."), code="negative")
        if value > MAX_YUAN:
            raise _too_large()
        return value * 100
    if isinstance(value, float):
        if not math.isfinite(value):
            raise MoneyError(_("Enter an amount in yuan, like 12.50."))
        text = repr(value)
    elif isinstance(value, Decimal):
        text = str(value)
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value)
        for noise in ("¥", "元", ",", " "):
            text = text.replace(noise, "")
        text = text.strip()
    else:
        raise MoneyError(_("Enter an amount in yuan, like 12.50."))
    if not text or len(text) > MAX_TEXT:
        raise MoneyError(_("Enter an amount in yuan, like 12.50."))
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        raise MoneyError(_("Enter an amount in yuan, like 12.50.")) from None
    if not amount.is_finite():
        raise MoneyError(_("Enter an amount in yuan, like 12.50."))
    sign, digits, exponent = amount.as_tuple()
    coefficient = int("".join(map(str, digits)) or "0")
    if coefficient == 0:
        return 0
    if sign:
        raise MoneyError(_("The amount cannot be negative."), code="negative")
    if amount > MAX_YUAN:  # an exact comparison, whatever the exponent
        raise _too_large()
    if exponent >= -2:
        return coefficient * 10 ** (exponent + 2)  # exponent <= 7 here, as the amount is at most MAX_YUAN
    # More decimals than fen: fine only if the extra ones are zeros (12.500). The coefficient has at most
    # MAX_TEXT digits, so the power below stays small.
    extra = -exponent - 2
    if extra > len(digits) or coefficient % 10**extra:
        raise MoneyError(_("Use at most two decimals (fen)."), code="decimals")
    return coefficient // 10**extra


def parse_fen(value: object) -> int:
    """An amount already in fen (PDD's after-sales API gives them so): an integer, or its digits as text.

    Refused with a MoneyError like parse_yuan: not a whole number, negative, or more than MAX_FEN."""
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if text.startswith("-") and text[1:].isdigit():
            raise MoneyError(_("The amount cannot be negative."), code="negative")
        if not (text.isascii() and text.isdigit()) or len(text) > MAX_TEXT:
            raise MoneyError(_("Enter an amount in fen, a whole number."))
        value = int(text)
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MoneyError(_("Enter an amount in fen, a whole number."))
    if value < 0:
        raise MoneyError(_("The amount cannot be negative."), code="negative")
    if value > MAX_FEN:
        raise _too_large()
    return value
