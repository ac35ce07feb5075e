"""Forms every desk's case page shares."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from backoffice.messaging.phrases import parse_phrase_ids
from backoffice.models import Priority, StaffProfile
from backoffice.prepared import PreparedRead
from backoffice.staff.roles import staff_choice_label
from backoffice.store import money
from backoffice.store.cache import kept


def staff_users():
    return get_user_model().objects.filter(groups__name__in=["agent", "supervisor"]).distinct().order_by("username")


# The names choices show, and who is on duty: read on every desk page, its SQL written once (backoffice.prepared).
_STAFF_NAMES = ("id", "username", "first_name", "last_name")
_STAFF = PreparedRead(lambda: staff_users().values_list(*_STAFF_NAMES, "staff_profile__on_duty"))


def _read_staff() -> tuple[list, frozenset[int]]:
    user_model = get_user_model()
    # Users with only the fields a list of staff shows (the others are read if ever asked for, as with `.only()`).
    names = [field.attname for field in user_model._meta.concrete_fields if field.attname in _STAFF_NAMES]
    staff, on_duty = [], set()
    for row in _STAFF.rows():
        values = dict(zip(_STAFF_NAMES, row, strict=False))
        staff.append(user_model.from_db(DEFAULT_DB_ALIAS, names, [values[name] for name in names]))
        if row[-1]:
            on_duty.add(values["id"])
    return staff, frozenset(on_duty)


def staff_list() -> list:
    """The staff cases can be given to, read once per request or task (a queue page's filter and bulk-assign form
    share it)."""
    return kept("staff_users", _read_staff)[0]


def staff_on_duty(user) -> bool:
    """Whether this person is on duty, from the request's staff list when they are on it."""
    staff, on_duty = kept("staff_users", _read_staff)
    if any(member.pk == user.pk for member in staff):
        return user.pk in on_duty
    return StaffProfile.objects.filter(user=user, on_duty=True).exists()


class _StaffChoices(ModelChoiceIterator):
    """Choices from the request's one staff list instead of a query (and a COUNT) per use."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for user in staff_list():
            yield self.choice(user)

    def __len__(self) -> int:
        return len(staff_list()) + (self.field.empty_label is not None)

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(staff_list())


class StaffChoiceField(forms.ModelChoiceField):
    """A staff member; the choices come from `staff_list()`, a submitted value is still checked against the database."""

    iterator = _StaffChoices

    def label_from_instance(self, obj) -> str:
        return staff_choice_label(obj)

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", staff_users())
        super().__init__(**kwargs)


class StaffChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = StaffChoiceField


class YuanField(forms.CharField):
    """Money typed in yuan ("12.5", "¥12.50") and cleaned to integer fen, by the one money parser; a stored amount
    (fen) is shown in yuan ("20.00")."""

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return money.format_yuan(value)
        return value

    def to_python(self, value):
        if isinstance(value, int | float) and not isinstance(value, bool):
            amount = value  # a JSON number from a gateway, read as it is (no str() of a 4,000-digit integer)
        else:
            amount = super().to_python(value)
            if amount in self.empty_values:
                return None
        try:
            return money.parse_yuan(amount)
        except money.MoneyError as exc:
            raise forms.ValidationError(str(exc), code=exc.code) from None


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "id": "reply-body"}),
        # Spaces alone pass the browser's check and are stripped here: the message says what is missing.
        error_messages={"required": _("Write a reply first.")},
    )
    # The quick phrases inserted into the reply (ids, comma-separated), checked again on the server (R3).
    phrases = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)
    # The agent confirmed sending a phrase the store marked "warn" (QA-5).
    confirm_warnings = forms.BooleanField(required=False)
    # The newest timeline entry the agent's page showed; and "send anyway" after someone else's reply.
    seen_event = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    confirm_overlap = forms.BooleanField(required=False)

    def clean_phrases(self) -> list[int]:
        return parse_phrase_ids(self.cleaned_data["phrases"])


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write a note first.")},
    )


class NoteOnlyForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=Priority.choices,
        coerce=int,
        widget=forms.Select(attrs={"aria-label": _("Priority")}),
    )


class AssignForm(forms.Form):
    assignee = StaffChoiceField(label=_("Assign to"), required=False)
