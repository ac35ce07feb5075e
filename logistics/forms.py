import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.models import Courier, Order, Shipment
from backoffice.platform import timestamps
from logistics.models import CourierContact, OutOfStockOffer
from logistics.services import NOTIFY_TEMPLATES, TEMPLATE_LABELS, Outcome


class LocalDateTimeField(forms.DateTimeField):
    """A datetime-local input, read in the store's time zone, inside the window every outside time is held to
    (`ahead`: how far in the future it may be)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]

    def __init__(self, *, ahead: dt.timedelta = timestamps.FUTURE_SLACK, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(timestamps.window_validator(ahead=ahead))


class CourierContactForm(forms.Form):
    courier = forms.ModelChoiceField(
        label=_("Courier"), queryset=Courier.objects.filter(active=True), required=False, empty_label=_("The parcel's")
    )
    channel = forms.ChoiceField(label=_("How"), choices=CourierContact.Channel.choices)
    contact = forms.CharField(
        label=_("Who"),
        max_length=80,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 95311 hotline, outlet manager Wang")}),
    )
    result = forms.CharField(label=_("Result"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    next_check_at = LocalDateTimeField(label=_("Check again at"), required=False, ahead=timestamps.SCHEDULE_AHEAD)

    def clean_next_check_at(self):
        value = self.cleaned_data["next_check_at"]
        if value is not None and value <= timezone.now():
            raise forms.ValidationError(_("The next check must be in the future."))
        return value


class NotifyForm(forms.Form):
    template = forms.ChoiceField(label=_("Message"))

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [(key, TEMPLATE_LABELS[key]) for key in NOTIFY_TEMPLATES.get(kind, [])]


class OfferChoiceForm(forms.Form):
    choice = forms.ChoiceField(
        label=_("The customer chose"),
        choices=[(OutOfStockOffer.Choice.WAIT, _("Wait")), (OutOfStockOffer.Choice.REFUND, _("Refund"))],
    )


class TrackingUpdateForm(forms.Form):
    at = LocalDateTimeField(label=_("Time"))
    state = forms.ChoiceField(label=_("State"), choices=Shipment.State.choices, initial=Shipment.State.IN_TRANSIT)
    place = forms.CharField(label=_("Place"), max_length=80, required=False)
    description = forms.CharField(label=_("What happened"), max_length=200)


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.CHOICES)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class ReportOutOfStockForm(forms.Form):
    order_number = forms.CharField(label=_("Order number"), max_length=40)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def clean_order_number(self):
        number = self.cleaned_data["order_number"].strip().lstrip("'")
        order = Order.objects.filter(number=number).select_related("customer").first()
        if order is None:
            raise forms.ValidationError(_("No order with this number."))
        self.order = order
        return number
