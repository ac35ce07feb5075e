"""The global audit log: every case event and every change to the store's settings, searched and exported.

The rows are `CaseEvent`s: append-only (the model refuses to save an existing row or delete one, and Django admin
grants nobody add, change or delete). Settings changes made in Django admin are recorded here too, as
`settings.changed` events without a case, targeted "storesettings:1", with the changed fields before and after.
"""

import datetime as dt
import json
from collections.abc import Iterable, Iterator

from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from backoffice.models import Case, CaseEvent, EventType
from backoffice.supervisor import csvexport

# --- reads ------------------------------------------------------------------------------------------------------


def audit_events() -> QuerySet:
    """Every audit row, newest first, with what the log shows of its case and actor (no query per row)."""
    return CaseEvent.objects.select_related("case", "actor").order_by("-at", "-id")


def day_bounds(first: dt.date | None, last: dt.date | None) -> Q:
    """Shanghai days as a UTC range on `at` (an index range, unlike at__date which converts every row)."""
    tz = timezone.get_default_timezone()
    q = Q()
    if first is not None:
        q &= Q(at__gte=dt.datetime.combine(first, dt.time.min, tz))
    if last is not None:
        q &= Q(at__lt=dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tz))
    return q


def filter_events(
    qs: QuerySet,
    *,
    actor=None,
    system: bool = False,
    types: Iterable[str] = (),
    case: str = "",
    first: dt.date | None = None,
    last: dt.date | None = None,
    text: str = "",
) -> QuerySet:
    """Narrow the log: by person (or the system), action, case number or target, Shanghai dates, and text."""
    if system:
        qs = qs.filter(actor__isnull=True)
    elif actor is not None:
        qs = qs.filter(actor=actor)
    types = [t for t in types if t]
    if types:
        qs = qs.filter(type__in=types)
    case = case.strip()
    if case:
        if ":" in case:
            # A settings target (storesettings:1, quickphrase:12).
            qs = qs.filter(target=case)
        else:
            # A whole case number or the start of one (AS-20261124): the cases first, then their events by index.
            qs = qs.filter(case__in=Case.objects.filter(number__startswith=case.upper()).values("pk"))
    if first is not None or last is not None:
        qs = qs.filter(day_bounds(first, last))
    text = text.strip()
    if text:
        qs = qs.filter(Q(body__icontains=text) | Q(target__icontains=text))
    return qs


def change_summary(event: CaseEvent) -> list[tuple[str, object, object]]:
    """(field, before, after) for each key the event recorded, in a stable order."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    keys = list(dict.fromkeys([*before, *after]))
    return [(key, before.get(key), after.get(key)) for key in keys]


# --- CSV export -------------------------------------------------------------------------------------------------

CSV_HEADER = ["time", "actor", "event", "event_label", "case", "target", "text", "before", "after"]


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""


# Kept for callers that guard a single value; every CSV export writes through csvexport.writer, which guards them all.
safe_cell = csvexport.safe_cell


def csv_lines(qs: QuerySet, *, chunk_size: int = 2000) -> Iterator[str]:
    """The log as CSV text, line by line, reading the rows in chunks (the export never holds the whole log)."""
    writer = csvexport.writer(_Echo())
    yield "\ufeff"  # BOM: Excel opens the Chinese text as UTF-8
    yield writer.writerow(CSV_HEADER)
    labels = dict(EventType.choices)
    for event in qs.iterator(chunk_size=chunk_size):
        actor = event.actor.get_username() if event.actor else "system"
        yield writer.writerow(
            [
                timezone.localtime(event.at).isoformat(timespec="seconds"),
                actor,
                event.type,
                str(labels.get(event.type, event.type)),
                event.case.number if event.case else "",
                event.target,
                event.body,
                _json(event.before),
                _json(event.after),
            ]
        )


# --- settings changes -------------------------------------------------------------------------------------------


def _plain(value):
    """A JSON-safe copy of a field value for the audit row."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def _audited_fields(instance: models.Model) -> list[models.Field]:
    # What an admin can edit: no id, no timestamps set by the database, no secrets (editable=False: token hashes).
    fields = []
    for f in instance._meta.concrete_fields:
        if f.primary_key or not f.editable:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            continue
        fields.append(f)
    return fields


def snapshot(instance: models.Model | None) -> dict:
    """The editable fields of a settings row, JSON-safe ({} for none). Foreign keys as their id."""
    if instance is None:
        return {}
    return {f.attname: _plain(getattr(instance, f.attname)) for f in _audited_fields(instance)}


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    """Only what changed: (old values, new values) of the keys whose value differs; a missing key counts as None."""
    keys = [key for key in dict.fromkeys([*before, *after]) if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after.get(key) for key in keys}


def settings_target(instance: models.Model) -> str:
    """storesettings:1, quickphrase:12"""
    return f"{instance._meta.model_name}:{instance.pk}"


def record_settings_change(
    *, actor, instance: models.Model, before: dict, after: dict, action: str = "changed"
) -> CaseEvent | None:
    """Record who changed which setting, from what to what (a settings.changed event with no case).

    `before`/`after` are snapshots; only the fields that differ are kept. Nothing is written when nothing changed.
    `action` is "added", "changed" or "deleted" and goes into the event's text.
    """
    if action == "changed":
        old, new = diff(before, after)
        if not old and not new:
            return None
    else:
        # A new row has no "before", a deleted one no "after": keep the whole other side.
        old, new = dict(before), dict(after)
    return CaseEvent.objects.create(
        case=None,
        actor=actor,
        type=EventType.SETTINGS_CHANGED,
        target=settings_target(instance)[:80],
        body=f"{action}: {instance._meta.verbose_name} “{instance}”"[:500],
        before=old,
        after=new,
    )


def stored_snapshot(instance: models.Model) -> dict:
    """The snapshot of the row as it is in the database now (before a form's changes are saved)."""
    if instance.pk is None:
        return {}
    stored = type(instance)._default_manager.filter(pk=instance.pk).first()
    return snapshot(stored)


class AuditedAdminMixin:
    """Django admin for settings rows: every add, change and delete (also inline rows and list edits) is audited.

    Put it before admin.ModelAdmin: class StoreSettingsAdmin(AuditedAdminMixin, admin.ModelAdmin).
    """

    def save_model(self, request, obj, form, change) -> None:
        before = stored_snapshot(obj) if change else {}
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            record_settings_change(
                actor=request.user,
                instance=obj,
                before=before,
                after=snapshot(obj),
                action="changed" if change else "added",
            )

    def delete_model(self, request, obj) -> None:
        row = (obj.pk, str(obj), snapshot(obj))
        with transaction.atomic():
            super().delete_model(request, obj)
            _record_deleted(request.user, obj, *row)

    def delete_queryset(self, request, queryset) -> None:
        rows = [(obj, (obj.pk, str(obj), snapshot(obj))) for obj in queryset]
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            for obj, row in rows:
                _record_deleted(request.user, obj, *row)

    def save_formset(self, request, form, formset, change) -> None:
        """Inline rows (business hours and holidays under the store settings): each added, changed or deleted row."""
        befores = {}
        for inline_form in formset.initial_forms:
            instance = inline_form.instance
            if instance.pk is not None:
                # Keyed by the object: Django clears a deleted row's pk.
                befores[id(instance)] = (instance.pk, str(instance), stored_snapshot(instance))
        with transaction.atomic():
            super().save_formset(request, form, formset, change)
            for obj in formset.new_objects:
                record_settings_change(actor=request.user, instance=obj, before={}, after=snapshot(obj), action="added")
            for obj, _changed in formset.changed_objects:
                before = befores[id(obj)][2] if id(obj) in befores else {}
                record_settings_change(actor=request.user, instance=obj, before=before, after=snapshot(obj))
            for obj in formset.deleted_objects:
                pk, name, before = befores.get(id(obj), (obj.pk, str(obj), snapshot(obj)))
                _record_deleted(request.user, obj, pk, name, before)


def _record_deleted(actor, obj: models.Model, pk, name: str, before: dict) -> None:
    # Django clears the pk of a deleted row: the caller keeps the id and name it had.
    CaseEvent.objects.create(
        case=None,
        actor=actor,
        type=EventType.SETTINGS_CHANGED,
        target=f"{obj._meta.model_name}:{pk}"[:80],
        body=f"deleted: {obj._meta.verbose_name} “{name}”"[:500],
        before=before,
        after={},
    )
