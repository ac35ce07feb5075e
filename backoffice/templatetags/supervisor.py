"""Small filters for the supervisor pages' figures: differences, hours, and a rate's colour band."""

from django import template

register = template.Library()

# R1/L1/A7 rates at or above GOOD are green, below FAIR red, amber between. *(assumed)*
GOOD = 95
FAIR = 80


@register.filter
def minus(value, other):
    """value - other, or None when either is missing (shown as "—")."""
    if value is None or other is None or value == "" or other == "":
        return None
    return value - other


@register.filter
def hours(seconds):
    """Seconds as hours with one decimal ("5.2"), or "—"."""
    if seconds is None:
        return "—"
    return f"{seconds / 3600:.1f}"


@register.filter
def rate_band(rate):
    """CSS class for a rate in percent: r-high, r-mid, r-low, or r-none when there is no rate."""
    if rate is None:
        return "r-none"
    if rate >= GOOD:
        return "r-high"
    if rate >= FAIR:
        return "r-mid"
    return "r-low"


@register.filter
def pct(value, digits: int = 1):
    """A share in percent with `digits` decimals and the sign ("30.0%"), or "—"."""
    if value is None:
        return "—"
    return f"{value:.{int(digits)}f}%"
