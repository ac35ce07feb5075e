from django import forms
from django.utils.translation import gettext_lazy as _

from backoffice.cases.forms import YuanField
from backoffice.models import DESK_KINDS, Courier, Desk, Order, Reason


class AmountForm(forms.Form):
    amount = YuanField(label=_("Amount (yuan)"), required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class PayoutOutcomeForm(forms.Form):
    """A3/A9: what the platform shows for a payout: it arrived, or it failed."""

    payout = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(choices=[("arrived", _("Arrived")), ("failed", _("Failed"))])


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the customer"), max_length=500)


class ReviewOutcomeForm(forms.Form):
    revised = forms.TypedChoiceField(
        label=_("Review revised?"),
        choices=[("1", _("Yes, revised")), ("0", _("No, not revised"))],
        coerce=lambda value: value == "1",
    )


class OrderLookupForm(forms.Form):
    order_number = forms.CharField(label=_("Order number"), max_length=40)

    def clean_order_number(self):
        number = self.cleaned_data["order_number"].strip().lstrip("'")
        order = Order.objects.filter(number=number).select_related("customer").first()
        if order is None:
            raise forms.ValidationError(_("No order with this number."))
        self.order = order
        return number


class NewCaseForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[(k.value, k.label) for k in DESK_KINDS[Desk.AFTERSALES]])
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", "—"), *Reason.choices], required=False)
    amount = YuanField(label=_("Requested amount (yuan)"), required=False)
    small_defect = forms.BooleanField(label=_("Small defect, no return wanted"), required=False)
    message = forms.CharField(
        label=_("What the customer said"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, order: Order, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order

    def clean_amount(self):
        amount = self.cleaned_data["amount"] or 0
        if amount > self.order.paid_fen:
            raise forms.ValidationError(_("More than the customer paid for this order."))
        return amount


class ReshipTrackingForm(forms.Form):
    """A2: the reshipped parcel's courier and tracking number, sent to the customer."""

    courier = forms.ModelChoiceField(label=_("Courier"), queryset=Courier.objects.filter(active=True))
    tracking_no = forms.CharField(label=_("Tracking number"), max_length=40)
