"""How a desk writes its own case actions: parse one form, call one service, say what was done.

    @form_action(forms.AmountForm, _("Compensation paid."))
    def compensate(request, case, data):
        services.compensate(case=case, actor=request.user, amount_fen=data["amount"], note=data["note"])

A refused form becomes messages (nothing is called); a refused rule raises a DomainError, which the shared case-action
view shows as a message. The function may return its own message when what it did depends on the input.

`keep_as="contact_form"`: the page draws that form from the context under this name. Refused (a field, or a rule), the
redrawn page gets the form back as it was typed, with the reason next to it, instead of an empty one.
"""

import functools
from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from backoffice.cases.actions import form_errors_to_messages
from backoffice.errors import DomainError
from backoffice.models import Case


class NoForm(forms.Form):
    """For an action that reads nothing but the click."""


def form_action(
    form_class: type[forms.Form], done: str, *, form_kwargs: Callable | None = None, keep_as: str | None = None
):
    """Make `run(request, case, cleaned_data)` a case action of a desk's declaration (see the module's docstring).

    `form_kwargs(case)`: extra arguments of the form, for a form whose choices depend on the case."""

    def wrap(run: Callable) -> Callable[[HttpRequest, Case], None]:
        @functools.wraps(run)
        def action(request: HttpRequest, case: Case) -> dict | None:
            form = form_class(request.POST, **(form_kwargs(case) if form_kwargs else {}))
            if not form.is_valid():
                form_errors_to_messages(request, form)
                return {keep_as: form} if keep_as else {}  # refused: the page again
            try:
                said = run(request, case, form.cleaned_data)
            except DomainError as error:
                if keep_as is None:
                    raise
                form.add_error(None, error.message)
                messages.error(request, error.message)
                return {keep_as: form}
            messages.success(request, said or done)

        return action

    return wrap
