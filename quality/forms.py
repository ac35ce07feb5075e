"""Forms of the quality pages: the scorecard form, the agent's answer, adding a case, the queue's filters, and the
phrase check that admin forms for quick phrases and message templates run on save."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from backoffice.errors import DomainError
from backoffice.models import Case
from quality.models import ReviewReason
from quality.screening import screen_saved_text
from quality.services import COMMENT_MAX, NOTE_MAX


class ScorecardForm(forms.Form):
    """One points field and one comment field per criterion (or per score row when a dispute is decided)."""

    note = forms.CharField(
        label=_("Overall note"), max_length=NOTE_MAX, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, lines, note_label=None, note_required=False, **kwargs):
        """lines: (key, name, description, scale, critical, initial points, initial comment)."""
        super().__init__(*args, **kwargs)
        self.lines = []
        for key, name, description, scale, critical, points, comment in lines:
            if critical:
                choices = [(1, _("No error")), (0, _("Critical error"))]
            else:
                choices = [(n, str(n)) for n in range(scale, -1, -1)]
            self.fields[f"points_{key}"] = forms.TypedChoiceField(
                label=name, choices=choices, coerce=int, widget=forms.RadioSelect, initial=points, help_text=description
            )
            self.fields[f"comment_{key}"] = forms.CharField(
                label=_("Comment on “%(name)s”") % {"name": name},
                max_length=COMMENT_MAX,
                required=False,
                initial=comment,
            )
            self.lines.append((key, name, description, scale, critical))
        if note_label:
            self.fields["note"].label = note_label
        self.fields["note"].required = note_required

    def rows(self):
        """(name, description, scale, critical, points field, comment field) for the template."""
        return [
            (name, description, scale, critical, self[f"points_{key}"], self[f"comment_{key}"])
            for key, name, description, scale, critical in self.lines
        ]

    def values(self) -> dict[int, tuple[int, str]]:
        return {
            key: (self.cleaned_data[f"points_{key}"], self.cleaned_data[f"comment_{key}"]) for key, *_rest in self.lines
        }


class AnswerForm(forms.Form):
    """The agent's answer to a review."""

    decision = forms.ChoiceField(choices=[("acknowledge", _("Acknowledge")), ("dispute", _("Dispute"))])
    note = forms.CharField(
        label=_("Note"), max_length=NOTE_MAX, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "dispute" and not (data.get("note") or "").strip():
            raise forms.ValidationError(_("Say what you disagree with."))
        return data


class AddCaseForm(forms.Form):
    number = forms.CharField(label=_("Case number"), max_length=20)
    note = forms.CharField(label=_("Why"), max_length=500, required=False)

    def clean_number(self):
        number = self.cleaned_data["number"].strip().upper()
        case = Case.objects.select_related("assignee").filter(number=number).first()
        if case is None:
            raise forms.ValidationError(_("There is no case %(number)s.") % {"number": number})
        self.case = case
        return number


class QueueFilterForm(forms.Form):
    week = forms.DateField(label=_("Week of"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    agent = forms.ModelChoiceField(label=_("Agent"), queryset=get_user_model().objects.none(), required=False)
    reason = forms.ChoiceField(label=_("Why"), choices=[("", _("Any reason")), *ReviewReason.choices], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = (
            get_user_model().objects.filter(qa_reviews__isnull=False).distinct().order_by("username")
        )


class DrawForm(forms.Form):
    week = forms.DateField(label=_("Week of"), widget=forms.DateInput(attrs={"type": "date"}))


class PhraseCheckedForm(forms.ModelForm):
    """Admin form for texts sent to customers (quick phrases, message templates): the banned-phrase check on save."""

    confirm_warnings = forms.BooleanField(
        label=_("Save anyway"),
        required=False,
        help_text=_("Needed when the text contains a phrase the store marked “warn”."),
    )

    def clean(self):
        data = super().clean()
        body = data.get("body")
        if body:
            try:
                screen_saved_text(body, confirmed=bool(data.get("confirm_warnings")))
            except DomainError as error:
                self.add_error("body", error.message)
        return data
