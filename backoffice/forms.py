"""Forms every desk's case page shares."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .phrases import parse_phrase_ids


def staff_users():
    return get_user_model().objects.filter(groups__name__in=["agent", "supervisor"]).distinct().order_by("username")


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
        if not amount.is_finite():
            raise forms.ValidationError(_("Enter an amount in yuan, like 12.50."))
        if amount < 0:
            raise forms.ValidationError(_("The amount cannot be negative."))
        if amount != amount.quantize(Decimal("0.01")):
            raise forms.ValidationError(_("Use at most two decimals (fen)."))
        if amount > 10_000_000:
            raise forms.ValidationError(_("The amount is too large."))
        return int(amount * 100)


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3, "id": "reply-body"})
    )
    # The quick phrases inserted into the reply (ids, comma-separated), checked again on the server (R3).
    phrases = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)
    # The agent confirmed sending a phrase the store marked "warn" (QA-5).
    confirm_warnings = forms.BooleanField(required=False)

    def clean_phrases(self) -> list[int]:
        return parse_phrase_ids(self.cleaned_data["phrases"])


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Internal note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class NoteOnlyForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=get_user_model().objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_users()
