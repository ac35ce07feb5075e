"""A desk declared once: what differs between the after-sales, logistics and call-back desks, and nothing else.

Like Django's `ModelAdmin`, one class holds what a desk declares — who works it (its `DeskAccess`), its queues, its
table and filters, the transitions its case page offers as buttons, its own case actions (each a small function that
parses a form and calls one service), its panels — and the shared views in `backoffice.desk.views` do the rest the
same way for every desk: queue pages, nav counts, take-next, the case page, release, reply, note, assign, bulk
assignment and the SLA countdown.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from backoffice.cases import queues
from backoffice.cases import services as casework
from backoffice.cases.access import SUPERVISE, DeskAccess
from backoffice.cases.actions import SHARED_ACTIONS
from backoffice.models import DESK_KINDS, Case, Status

# A desk's own case action: parse the request's form and call one service. It returns None when done (a refused rule
# raises a DomainError, shown as a message), or the context to draw the page again with (a refused form, as typed).
CaseAction = Callable[[HttpRequest, Case], dict | None]


@dataclass(frozen=True)
class DeskDeclaration:
    access: DeskAccess
    namespace: str  # the URL namespace of the desk's app: its URL names are the ones below, under it
    title: str  # in page titles: "AS-20261124-0001 · After-sales"
    heading: str  # the queue page's heading
    table: type  # a backoffice.desk.tables.DeskTable
    filterset: type  # a backoffice.desk.filters.DeskFilter
    empty_take_next: str  # said when take-next finds nothing
    # The queue's rows: (queue, user, store) → cases of this desk; the shared queue reads by default.
    queue_cases: Callable[..., QuerySet] | None = None
    # The desk's own case actions by name; every other action of its access declaration is a shared one.
    actions: dict[str, CaseAction] = field(default_factory=dict)
    # Which transitions of casework.ACTIONS its case page offers as buttons (the rest it does through its own forms).
    buttons: frozenset[str] = frozenset(action.name for action in casework.ACTIONS)
    # Templates an action's button is drawn with instead of a plain button (e.g. a resolve form with an outcome).
    button_templates: dict[str, str] = field(default_factory=dict)
    # The desk's close (case=, actor=, note=) when closing settles more than the state; a plain transition otherwise.
    close_case: Callable[..., Case] | None = None
    close_confirm: str | None = None  # asked before closing a resolved case
    close_unresolved_confirm: str | None = None  # asked before closing a case that was not resolved
    # What the case page shows besides the shared parts: the data (request, case) → dict, and the templates.
    case_context: Callable[[HttpRequest, Case], dict] | None = None
    case_meta: str | None = None  # badges and clocks in the case header
    case_panels: tuple[str, ...] = ()  # the desk's own panels above the timeline (resolutions, tracking, call form)
    side_panels: tuple[str, ...] = ("cases/side.html",)
    # The queue page: its template (extends desk/queue.html to fill its blocks), extra data, and how rows are counted.
    queue_template: str = "desk/queue.html"
    queue_context: Callable[[HttpRequest], dict] | None = None
    results_count: str = "desk/results_count.html"
    # What the results' count line needs besides the table (the queue's live poll draws only the results).
    results_context: Callable[[HttpRequest], dict] | None = None
    stylesheets: tuple[str, ...] = ()
    my_queue: str = _("My queue")
    take_case: str = _("Take this case")
    sla_label: str = _("SLA")
    # URL names under the namespace (the call-back desk keeps its own older names).
    queue_url: str = "queue"
    queue_live_url: str = "queue_live"
    case_url: str = "case"
    action_url: str = "case_action"
    take_next_url: str = "take_next"

    def __post_init__(self):
        # The access declaration and the actions agree: no handler for an action nobody may do, no action unhandled.
        unknown = set(self.actions) - self.access.actions
        if unknown:
            raise ValueError(f"{self.access.desk}: actions {sorted(unknown)} are not in its access declaration")
        unhandled = self.access.actions - set(self.actions) - SHARED_ACTIONS
        if unhandled:
            raise ValueError(f"{self.access.desk}: actions {sorted(unhandled)} have no handler")

    @property
    def name(self) -> str:
        return self.access.desk

    @property
    def kinds(self) -> list:
        return DESK_KINDS[self.name]

    def view(self, name: str) -> str:
        return f"{self.namespace}:{getattr(self, f'{name}_url')}"

    @property
    def queue_view(self) -> str:
        return self.view("queue")

    @property
    def queue_live_view(self) -> str:
        return self.view("queue_live")

    @property
    def case_view(self) -> str:
        return self.view("case")

    @property
    def action_view(self) -> str:
        return self.view("action")

    @property
    def take_next_view(self) -> str:
        return self.view("take_next")

    def cases(self, queue: str, *, user) -> QuerySet:
        if self.queue_cases is not None:
            return self.queue_cases(queue, user=user)
        return queues.queue_cases(queue, user=user, desk=self.name)

    def supervised_by(self, user) -> bool:
        return self.access.allows(user, SUPERVISE)

    def case_buttons(self, case: Case) -> list[tuple[casework.Action, str | None]]:
        """The transitions the case's state allows that this desk offers, each with the template it is drawn with."""
        return [
            (action, self.button_templates.get(action.name))
            for action in casework.available_actions(case)
            if action.name in self.buttons
        ]

    def close(self, *, case: Case, actor, note: str = "") -> Case:
        if self.close_case is not None:
            return self.close_case(case=case, actor=actor, note=note)
        return casework.transition_case(case=case, to=Status.CLOSED, actor=actor, note=note)

    def closes_in_one_step(self, case: Case) -> bool:
        """Whether "send and close" and a one-key "close and take next" are offered: where the page offers Close and
        closing needs no reason, i.e. a resolved case (an unresolved one closes only with a reason typed first)."""
        return (
            "close" in self.buttons and case.status == Status.RESOLVED and casework.can_transition(case, Status.CLOSED)
        )
