"""Template filters shared by every page: money in fen, masked phones, SLA countdowns."""

from django import template
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from backoffice.cases.models import Resolution
from backoffice.desk.filters import drawn_fields
from backoffice.drawn import drawn, key_part
from backoffice.models import mask_phone
from backoffice.staff.roles import staff_display_name
from backoffice.store.money import format_fen

register = template.Library()


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


@register.filter
def yuan(fen):
    """1250 → 12.50, for an input's value."""
    if fen is None:
        return ""
    return f"{int(fen) // 100}.{int(fen) % 100:02d}"


@register.filter
def login_name(username, names):
    """A login recorded on the timeline (agent1), said as the person's name (王小丽) when the page knows it."""
    return (names or {}).get(username, username)


@register.filter
def staff_name(user):
    """Chinese order: family name first (王小丽); the username when no name is set."""
    return "" if user is None else staff_display_name(user)


@register.filter
def status_label(value):
    """A case status code from an event's before/after as the words people read."""
    from backoffice.models import Status

    try:
        return Status(value).label
    except ValueError:
        return value or ""


@register.filter
def resolution_label(value):
    try:
        return Resolution(value).label
    except ValueError:
        return value or ""


@register.simple_tag(takes_context=True)
def desk_table(context, table):
    """A desk's queue table: its header, sort links and pager kept, its rows drawn (backoffice.desk.tables)."""
    return table.html(context["request"])


@register.simple_tag
def filter_fields(filterset):
    """A queue's filter fields, drawn once per filter, language, values and choices (backoffice.desk.filters)."""
    return drawn_fields(filterset)


# What a kept block holds in place of the request's CSRF token (letters only: drawn the same in a tag or an attribute).
CSRF_STAND_IN = "keptcsrftokenstandin"


class KeepNode(template.Node):
    def __init__(self, name: str, varies: list, nodelist):
        self.name, self.varies, self.nodelist = name, varies, nodelist

    def render(self, context) -> str:
        key = (
            "keep",
            self.origin.name if self.origin else "",
            # The page's own template: a block inside a kept part is the one this page's template chain fills in.
            context.template_name,
            self.name,
            translation.get_language(),
            *(key_part(vary.resolve(context)) for vary in self.varies),
        )
        token = context.get("csrf_token")
        if token is None:
            return drawn(key, lambda: self.nodelist.render(context))
        # A form's CSRF token is the request's own: the block is kept with a stand-in, put back on every use. The
        # token is asked for only by a block that shows one (asking makes the response set the CSRF cookie).
        with context.push(csrf_token=CSRF_STAND_IN):
            html = drawn(key, lambda: self.nodelist.render(context))
        if CSRF_STAND_IN not in html:
            return html
        token = str(token)
        # No CSRF protection on this request (Django says "NOTPROVIDED"): drawn as it is, not from what is kept.
        if token == "NOTPROVIDED":  # noqa: S105 - Django's marker, not a password
            return self.nodelist.render(context)
        return mark_safe(html.replace(CSRF_STAND_IN, token))  # noqa: S308 - a token: letters and digits only


@register.tag
def keep(parser, token):
    """{% keep "name" vary1 vary2 … %}…{% endkeep %}: the block's HTML drawn once per process for the page's
    template, the language and the values given (backoffice.drawn). Everything the block shows must follow from
    those: no message, nothing of the person unless named. A CSRF token in it is the request's own (kept as a
    stand-in, put back on each use)."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("keep needs a name")
    nodelist = parser.parse(("endkeep",))
    parser.delete_first_token()
    return KeepNode(bits[1].strip("\"'"), [parser.compile_filter(bit) for bit in bits[2:]], nodelist)
