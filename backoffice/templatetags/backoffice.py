"""Template filters shared by every page: money in fen, masked phones, SLA countdowns."""

from django import template
from django.utils import timezone

from backoffice.models import mask_phone

register = template.Library()


def format_fen(fen: int | None) -> str:
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"


@register.filter
def money(fen):
    """1250 → ¥12.50"""
    return format_fen(fen)


@register.filter
def masked(phone):
    return mask_phone(phone or "")


@register.filter
def seconds_until(moment):
    if moment is None:
        return ""
    return int((moment - timezone.now()).total_seconds())
