"""The base of every desk's queue filters: search, status and assignee; a desk adds its own and orders them."""

import copy

import django_filters
from django import forms
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from backoffice.cases.forms import StaffChoiceFilter, staff_users
from backoffice.cases.queues import search_cases
from backoffice.drawn import drawn
from backoffice.models import DESK_KINDS, Case, Status


def kind_choices(desk: str) -> list[tuple[str, str]]:
    return [(kind.value, kind.label) for kind in DESK_KINDS[desk]]


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


class _Filters(dict):
    """A filter class's filters. django-filter deep-copies them for every filter set it makes; each set changes only
    its own copies' attributes (its model and itself as their parent, a widget in their settings), so a copy of each
    filter with its own settings is enough. A filter with a method is bound again: the copy calls its own set's."""

    def __deepcopy__(self, memo):
        copies = {}
        for name, original in self.items():
            copied = copy.copy(original)
            copied.extra = dict(original.extra)
            if original.method is not None:
                copied.method = original.method
            copies[name] = copied
        return copies


class _FormFields(dict):
    """A filter form class's fields. Django deep-copies them for every form it makes, choices included (lists of
    translated labels, copied item by item). A form changes its fields' attributes and their widgets' (drawn_fields
    sets a widget's choices), never a list of choices in place: each form gets its own copy of each field, as Django
    makes it, with a copy of the list of choices instead of a deep one."""

    def __deepcopy__(self, memo):
        copies = {}
        for name, field in self.items():
            if type(field).__deepcopy__ is forms.ChoiceField.__deepcopy__:
                # ChoiceField's own copy, but for the choices: Field's (the field, its widget, messages, validators).
                copied = forms.Field.__deepcopy__(field, memo)
                choices = copy.copy(field._choices)
                if getattr(choices, "field", None) is field:
                    # django-filter's choices name their field (its empty and null labels): the copy's own.
                    choices.field = copied
                copied._choices = choices
            else:
                copied = copy.deepcopy(field, memo)
            copies[name] = copied
        return copies


class DeskFilter(django_filters.FilterSet):
    search_placeholder = _("Order no., tracking no., customer, case no.")

    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices)
    assignee = StaffChoiceFilter(label=_("Assignee"), queryset=staff_users())

    class Meta:
        model = Case
        fields = ["q", "status", "assignee"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The fields in the order the desk's Meta lists them (declared filters would otherwise come base first).
        order = self._meta.fields
        self.filters = dict(sorted(self.filters.items(), key=lambda item: order.index(item[0])))
        search = forms.TextInput(attrs={"placeholder": self.search_placeholder, "type": "search"})
        self.filters["q"].extra["widget"] = search

    @classmethod
    def get_filters(cls):
        return _Filters(super().get_filters())

    def get_form_class(self):
        # The form's fields follow from the filter class alone (labels, choices, widgets; the staff list is read when
        # the assignee choices are drawn): django-filter would build a new form class, and every field, per request.
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            form_class.base_fields = _FormFields(form_class.base_fields)
            type(self)._form_class = form_class
        return form_class

    def filter_search(self, queryset, name, value):
        return search_cases(queryset, value)


def drawn_fields(filterset: django_filters.FilterSet) -> SafeString:
    """The filter form's fields (label and widget each, desk/filter_fields.html), drawn once per filter class,
    language, values asked for and choices (Django's form renderer draws a template per widget and per option)."""
    form = filterset.form
    names = list(form.fields)
    asked = tuple(
        (key, tuple(form.data.getlist(key)) if hasattr(form.data, "getlist") else (form.data[key],))
        for key in sorted(form.data)
        if any(key == name or key.startswith(f"{name}_") for name in names)
    )
    choices = []
    for name, field in form.fields.items():
        # A fixed list of choices follows from the filter class and the language; one read from the database (the
        # staff) is part of the key.
        if isinstance(field, forms.ModelChoiceField):
            # Read once (iterated, as list() would COUNT a queryset's choices first); the widget draws from this list.
            listed = [*iter(field.choices)]
            field.widget.choices = listed
            choices.append((name, tuple((str(value), str(label)) for value, label in listed)))
    language = translation.get_language()
    key = (
        "filter-fields",
        type(filterset).__module__,
        type(filterset).__qualname__,
        language,
        form.is_bound,
        asked,
        tuple(choices),
    )
    # render_to_string's SafeString is what is kept and given back.
    return drawn(key, lambda: render_to_string("desk/filter_fields.html", {"form": form}))
