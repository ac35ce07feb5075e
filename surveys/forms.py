import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.cases.forms import YuanField
from backoffice.models import DESK_KINDS, Desk, Reason
from backoffice.platform import timestamps
from surveys.models import Survey, SurveyReason

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class SurveyAnswerForm(forms.Form):
    """The customer's form on the public page: answer, reasons, free text."""

    answer = forms.ChoiceField(
        label=_("How satisfied are you with how we handled it?"),
        choices=Survey.Answer.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose one of the three answers.")},
    )
    reasons = forms.ModelMultipleChoiceField(
        label=_("What was it about? (optional)"),
        queryset=SurveyReason.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    comment = forms.CharField(
        label=_("Anything else you want to tell us? (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reasons"].queryset = SurveyReason.objects.filter(active=True)


class CallForm(forms.Form):
    """A13: what a call-back call found and did."""

    reached = forms.TypedChoiceField(
        label=_("Did you reach the customer?"),
        choices=[("1", _("Reached")), ("0", _("Not reached"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    retry_at = forms.DateTimeField(
        label=_("Try again at"),
        required=False,
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_("Not reached: empty means in two business hours."),
        validators=[timestamps.window_validator(ahead=timestamps.SCHEDULE_AHEAD)],
    )
    category = forms.ModelChoiceField(
        label=_("Unhappy about"), queryset=SurveyReason.objects.none(), required=False, empty_label="—"
    )
    notes = forms.CharField(label=_("Notes"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    coupon = YuanField(label=_("Another coupon (yuan)"), required=False)
    new_case_kind = forms.ChoiceField(
        label=_("Open an after-sales case"),
        required=False,
        choices=[("", "—"), *[(kind.value, kind.label) for kind in DESK_KINDS[Desk.AFTERSALES]]],
    )
    new_case_reason = forms.ChoiceField(label=_("Reason"), required=False, choices=[("", "—"), *Reason.choices])
    close = forms.BooleanField(label=_("Done: close the call-back"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = SurveyReason.objects.filter(active=True)

    def clean_retry_at(self):
        value = self.cleaned_data["retry_at"]
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value


class ResultsFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("Answered from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[timestamps.date_window_validator()],
    )
    date_to = forms.DateField(
        label=_("Answered to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[timestamps.date_window_validator()],
    )

    DEFAULT_WEEKS = 8

    def period(self) -> tuple[dt.date, dt.date]:
        """The chosen days, by default the last eight weeks from a Monday to today."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        date_to = data.get("date_to") or today
        default_from = date_to - dt.timedelta(days=date_to.weekday(), weeks=self.DEFAULT_WEEKS - 1)
        date_from = data.get("date_from") or default_from
        if date_from > date_to:
            date_from, date_to = date_to, date_from
        return date_from, date_to
