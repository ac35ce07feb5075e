from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from backoffice.models import DESK_KINDS, Desk, Order, Reason

from .filters import staff_users


class YuanField(forms.CharField):
    """Money typed in yuan ("12.5", "¥12.50") and cleaned to integer fen."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        text = str(value).replace("¥", "").replace("￥", "").replace(",", "").strip()
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(_("Enter an amount in yuan, like 12.50.")) from None
        if amount < 0:
            raise forms.ValidationError(_("The amount cannot be negative."))
        if amount != amount.quantize(Decimal("0.01")):
            raise forms.ValidationError(_("Use at most two decimals (fen)."))
        return int(amount * 100)


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3, "id": "reply-body"})
    )


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Internal note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class AmountForm(forms.Form):
    amount = YuanField(label=_("Amount (yuan)"), required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the customer"), max_length=500)


class NoteOnlyForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class ReviewOutcomeForm(forms.Form):
    revised = forms.TypedChoiceField(
        label=_("Review revised?"),
        choices=[("1", _("Yes, revised")), ("0", _("No, not revised"))],
        coerce=lambda value: value == "1",
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=get_user_model().objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_users()


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
