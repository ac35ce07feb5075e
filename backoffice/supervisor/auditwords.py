"""The audit log in words: each recorded change as "what: before → after" that a supervisor reads without knowing the
code — field names become their labels, codes their choice labels, fen ¥12.50, logins the person's name, times local.

Events keep what they recorded (keys and raw values, the CSV export gives them as they are); only the page words them.
"""

import datetime as dt
import re

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from backoffice.cases.models import CaseKind, Priority, Reason, Resolution, ShippingPayer, Status
from backoffice.followups.models import Coupon
from backoffice.messaging.models import Channel
from backoffice.store.money import format_fen
from quality.models import ReviewReason, ReviewStatus

# Keys the case services record, with the words for them (a settings change uses its field's own label).
KEY_LABELS = {
    "assignee": _("assignee"),
    "held_by": _("whose case"),
    "status": _("status"),
    "priority": _("priority"),
    "due_at": _("due"),
    "channel": _("channel"),
    "template": _("message template"),
    "amount_fen": _("amount"),
    "coupon_fen": _("coupon"),
    "compensation_fen": _("compensation"),
    "threshold_fen": _("minimum spend"),
    "resolved_amount_fen": _("paid out"),
    "via": _("how"),
    "waited_seconds": _("customer waited"),
    "within_sla": _("within the deadline"),
    "resolution": _("resolution"),
    "on_duty": _("on duty"),
    "reason": _("reason"),
    "choice": _("choice"),
    "return_shipping_paid_by": _("return shipping paid by"),
    "tracking_no": _("tracking number"),
    "courier": _("courier"),
    "note": _("note"),
    "kind": _("kind"),
    "attempt": _("attempt"),
    "retry": _("retry"),
    "state": _("state"),
    "coupon": _("coupon"),
    "campaign": _("campaign"),
    "wait_until": _("wait until"),
    "wait_days": _("days to wait"),
    "confirmed_at": _("confirmed"),
    "at": _("time"),
    "answer": _("answer"),
    "score": _("score"),
    "review_status": _("review"),
    "platform_status": _("platform status"),
    "refund_case": _("refund case"),
    "aftersales_case": _("after-sales case"),
    "handled_at": _("first handled"),
    "week": _("week"),
    "review": _("quality review"),
    "reasons": _("reasons"),
    "source": _("source"),
    "first_replied_at": _("first reply"),
}
# Values of "via" (how a case came to someone).
VIA_LABELS = {"take_next": _("took the next case"), "round_robin": _("automatic assignment")}
# Keys whose values are choices of one list.
CHOICES = {
    "status": Status,
    "priority": Priority,
    "channel": Channel,
    "resolution": Resolution,
    "kind": CaseKind,
    "return_shipping_paid_by": ShippingPayer,
    "review_status": ReviewStatus,
}
# Keys whose values may come from one of several lists (a case's reason, or why a case was drawn for review).
REASONS = (Reason, ReviewReason)
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def duration_words(seconds: int) -> str:
    """135 → 2分15秒; 93784 → 1天2小时: the two largest units that matter, as the countdowns on the desks say it."""
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        parts = [(days, _("%(n)s d")), (hours, _("%(n)s h"))]
    elif hours:
        parts = [(hours, _("%(n)s h")), (minutes, _("%(n)s min"))]
    else:
        parts = [(minutes, _("%(n)s min")), (secs, _("%(n)s s"))]
    words = ""
    for n, unit in parts:
        if n:
            word = str(unit) % {"n": n}
            # Chinese units need no space between them (2分15秒); Latin ones do (2 min 15 s).
            words += " " + word if words and words[-1].isascii() and words[-1].isalpha() else word
    return words or str(_("%(n)s s")) % {"n": 0}


def _choice_label(lists, value) -> str:
    for choices in lists:
        try:
            return str(choices(value).label)
        except ValueError:
            continue
    return str(value)


def _field(model, key: str):
    """The model's field of that name, or None (a key that is not a field is worded by the key alone)."""
    if model is None:
        return None
    try:
        return model._meta.get_field(key)
    except FieldDoesNotExist:
        return None


class AuditWords:
    """Words for one page of events: staff names are read once for the page, not per row."""

    @cached_property
    def staff_names(self) -> dict[str, str]:
        from django.contrib.auth import get_user_model

        from backoffice.staff.roles import display_name

        rows = get_user_model().objects.values("username", "first_name", "last_name")
        return {row["username"]: display_name(**row) for row in rows}

    @cached_property
    def models_by_name(self) -> dict[str, type[models.Model]]:
        return {model._meta.model_name: model for model in apps.get_models()}

    def settings_model(self, target: str) -> type[models.Model] | None:
        name, _sep, _pk = (target or "").partition(":")
        return self.models_by_name.get(name)

    def target(self, target: str) -> str:
        """storesettings:1 → 店铺设置; quickphrase:12 → 快捷短语 #12."""
        model = self.settings_model(target)
        if model is None:
            return target
        pk = target.partition(":")[2]
        label = str(model._meta.verbose_name)
        return label if pk in ("", "1") else f"{label} #{pk}"

    def changes(self, event, limit: int = 6) -> list[tuple[str, str, str]]:
        before = event.before if isinstance(event.before, dict) else {}
        after = event.after if isinstance(event.after, dict) else {}
        model = self.settings_model(event.target) if event.case_id is None else None
        keys = list(dict.fromkeys([*before, *after]))
        return [
            (self.label(key, model), self.value(key, before.get(key), model), self.value(key, after.get(key), model))
            for key in keys[:limit]
        ]

    def label(self, key: str, model=None) -> str:
        field = _field(model, key)
        if field is not None:
            return str(field.verbose_name)
        return str(KEY_LABELS.get(key, key.replace("_", " ")))

    def value(self, key: str, value, model=None) -> str:
        if value is None or value == "" or value == [] or value == {}:
            return "—"
        if isinstance(value, bool):
            return str(_("yes") if value else _("no"))
        field = _field(model, key)
        if field is not None and field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if key.endswith("_fen") and isinstance(value, int):
            return format_fen(value)
        if key in CHOICES:
            try:
                return str(CHOICES[key](value).label)
            except ValueError:
                return str(value)
        if key == "coupon":
            # A coupon's state when it changed (issued → used), else the code of the coupon sent.
            return _choice_label((Coupon.State,), value)
        if key in ("reason", "reasons"):
            values = value if isinstance(value, list) else [value]
            return "、".join(_choice_label(REASONS, item) for item in values)
        if key in ("assignee", "held_by", "actor", "agent", "confirmed_by"):
            return self.staff_names.get(value, str(value))
        if key == "via":
            return str(VIA_LABELS.get(value, value))
        if key == "waited_seconds" and isinstance(value, int):
            return duration_words(value)
        if isinstance(value, str) and ISO_TIME.match(value):
            try:
                moment = dt.datetime.fromisoformat(value)
            except ValueError:
                return value
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return moment.strftime("%Y-%m-%d %H:%M")
        if isinstance(value, list | dict):
            return (
                "、".join(str(item) for item in value)
                if isinstance(value, list)
                else "；".join(f"{self.label(k)}: {self.value(k, v)}" for k, v in value.items())
            )
        return str(value)
