"""The call-back desk (A13), declared: supervisors call back dissatisfied customers; its table shows the original
case and what the customer was unhappy about, its case page the answer, the call form and the call log."""

from django.utils.translation import gettext_lazy as _

from backoffice.cases.access import CALLBACK
from backoffice.desk.declaration import DeskDeclaration
from surveys import queries, views
from surveys.filters import CallbackFilter
from surveys.forms import CallForm
from surveys.tables import CallbackTable


def case_context(request, case) -> dict:
    callback = queries.callback_for(case)
    return {
        "callback": callback,
        "survey": callback.survey if callback else None,
        "original": callback.survey.case if callback else None,
        "calls": list(queries.calls(callback)) if callback else [],
        "call_form": CallForm(),
    }


DESK = DeskDeclaration(
    access=CALLBACK,
    namespace="surveys",
    title=_("Call-backs"),
    heading=_("Call-backs"),
    table=CallbackTable,
    filterset=CallbackFilter,
    empty_take_next=_("No call-back is waiting. Well done!"),
    queue_cases=queries.callback_cases,
    actions={"call": views.log_call},
    # A call-back is closed by a call (or by hand with a note), never left waiting on the customer.
    buttons=frozenset({"start", "close", "reopen"}),
    case_context=case_context,
    case_panels=("surveys/callback_panels.html",),
    queue_template="surveys/callbacks.html",
    results_count="surveys/callbacks_count.html",
    stylesheets=("surveys/surveys.css",),
    my_queue=_("My call-backs"),
    take_case=_("Take this call-back"),
    sla_label=_("Call by"),
    queue_url="callback_queue",
    queue_live_url="callback_queue_live",
    case_url="callback",
    action_url="callback_action",
)
