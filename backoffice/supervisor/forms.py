"""Forms of the supervisor desk: bulk assignment, the audit log's filters, and the reports' date range."""

import datetime as dt

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.cases.forms import StaffChoiceField, staff_users
from backoffice.models import OPEN_STATUSES, Case, CaseEvent, EventType
from backoffice.platform import timestamps
from backoffice.staff.roles import staff_choice_label
from backoffice.supervisor import audit
from backoffice.supervisor.reports import Period, last_week

# Longer ranges are refused: a report over years is not a weekly review, and it would cost the database for nothing.
MAX_REPORT_DAYS = 731
SYSTEM = "system"


BACK_TO_QUEUE = "queue"


class AssigneeOrQueueField(StaffChoiceField):
    """A person to give the cases to, or BACK_TO_QUEUE (cleaned to None). Nothing chosen is an error: the cases
    going back to the queue is a choice of its own, never what a form sent before anyone chose becomes."""

    default_error_messages = {
        "required": _("Choose whom to give the selected cases to, or send them back to the queue."),
    }

    def clean(self, value):
        if value == BACK_TO_QUEUE:
            return None
        return super().clean(value)


class BulkAssignForm(forms.Form):
    """Selected rows of a queue table and the agent to give them to (or back to the queue)."""

    cases = forms.ModelMultipleChoiceField(
        queryset=Case.objects.none(),
        widget=forms.MultipleHiddenInput,
        error_messages={"required": _("Select at least one case first.")},
    )
    assignee = AssigneeOrQueueField(label=_("Assign selected to"), empty_label=_("— choose —"))
    back_to_queue_label = _("— nobody (back to the queue)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cases"].queryset = Case.objects.filter(status__in=OPEN_STATUSES).select_related("assignee")
        self.fields["assignee"].queryset = staff_users()  # checks a submitted value; the choices are staff_list()
        self.fields["cases"].error_messages["invalid_choice"] = _(
            "One of the selected cases is closed or no longer exists. Reload the queue and try again."
        )


def _actor_choices():
    users = get_user_model().objects.filter(groups__name__in=["agent", "supervisor", "store_admin"]).distinct()
    choices = [("", _("Anyone")), (SYSTEM, _("The system (automatic)"))]
    choices += [(str(user.pk), staff_choice_label(user)) for user in users.order_by("username")]
    return choices


class AuditFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last and last < first:
            # An inverted range would list nothing and say nothing.
            self.add_error("date_to", _("The last day must not be before the first day."))
        return cleaned


class AuditFilter(django_filters.FilterSet):
    """The audit log's search: person, action, case number (or settings target), Shanghai dates, text."""

    actor = django_filters.ChoiceFilter(label=_("Person"), method="filter_actor", empty_label=None)
    type = django_filters.ChoiceFilter(
        label=_("Action"), choices=EventType.choices, method="filter_type", empty_label=_("Any action")
    )
    case = django_filters.CharFilter(
        label=_("Case"),
        method="filter_case",
        widget=forms.TextInput(attrs={"placeholder": _("Case number, e.g. AS-20261124-0001"), "type": "search"}),
    )
    date_from = django_filters.DateFilter(
        label=_("From"),
        method="filter_from",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[timestamps.date_window_validator()],
    )
    date_to = django_filters.DateFilter(
        label=_("To"),
        method="filter_to",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[timestamps.date_window_validator()],
    )
    q = django_filters.CharFilter(
        label=_("Text"),
        method="filter_text",
        widget=forms.TextInput(attrs={"placeholder": _("Words in the text"), "type": "search"}),
    )

    class Meta:
        model = CaseEvent
        fields = ["actor", "type", "case", "date_from", "date_to", "q"]
        form = AuditFilterForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["actor"].extra["choices"] = _actor_choices()

    def filter_actor(self, queryset, name, value):
        if value == SYSTEM:
            return audit.filter_events(queryset, system=True)
        if value:
            return audit.filter_events(queryset, actor=int(value))
        return queryset

    def filter_type(self, queryset, name, value):
        return audit.filter_events(queryset, types=[value])

    def filter_case(self, queryset, name, value):
        return audit.filter_events(queryset, case=value)

    def filter_from(self, queryset, name, value):
        return audit.filter_events(queryset, first=value)

    def filter_to(self, queryset, name, value):
        return audit.filter_events(queryset, last=value)

    def filter_text(self, queryset, name, value):
        return audit.filter_events(queryset, text=value)


class PeriodForm(forms.Form):
    """A report's date range in Shanghai days; empty: last week (Monday to Sunday)."""

    # Days outside the window every outside time is held to (year 1, year 9999) are refused, not computed with.
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[timestamps.date_window_validator()],
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[timestamps.date_window_validator()],
    )

    def clean(self):
        data = super().clean()
        first, last = data.get("date_from"), data.get("date_to")
        if first is None and last is None:
            return data
        if "date_from" in self._errors or "date_to" in self._errors:
            return data  # a day refused on its own says why; "give both" would be wrong
        if first is None or last is None:
            raise forms.ValidationError(_("Give both the first and the last day, or neither for last week."))
        if last < first:
            raise forms.ValidationError(_("The last day must not be before the first day."))
        if (last - first).days + 1 > MAX_REPORT_DAYS:
            raise forms.ValidationError(_("Choose at most %(days)s days at a time.") % {"days": MAX_REPORT_DAYS})
        return data

    def period(self) -> Period:
        """The chosen period; last week when the form is empty or wrong (its errors are shown beside it)."""
        if self.is_bound and self.is_valid() and self.cleaned_data.get("date_from"):
            return Period(self.cleaned_data["date_from"], self.cleaned_data["date_to"])
        return last_week()


def period_presets(today: dt.date | None = None) -> list[tuple[str, Period]]:
    """The ranges a supervisor picks most: last week, this week so far, the last 4 full weeks, last month."""
    today = today or timezone.localdate()
    week = last_week(today)
    monday = today - dt.timedelta(days=today.weekday())
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - dt.timedelta(days=1)
    return [
        (str(_("Last week")), week),
        (str(_("This week so far")), Period(monday, today)),
        (str(_("Last 4 weeks")), Period(week.last - dt.timedelta(days=27), week.last)),
        (str(_("Last month")), Period(last_month_end.replace(day=1), last_month_end)),
    ]
