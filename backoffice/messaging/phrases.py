"""Quick phrases (R3): which ones a case can fill, and the check that nothing goes to a customer with holes in it.

A phrase that names a fact the case does not have (no tracking number yet, no amount) is not applicable: the reply box
shows it greyed with the missing fact named, never inserts it, and the server refuses a reply built from it.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.errors import DomainError
from backoffice.messaging.outbox import VARIABLE, case_variables, render_text
from backoffice.models import Case, QuickPhrase, StoreSettings
from backoffice.store.money import format_fen

# The facts a phrase may name, in the words an agent reads when one is missing.
FACT_LABELS = {
    "customer_name": gettext_lazy("customer name"),
    "nickname": gettext_lazy("PDD nickname"),
    "order_no": gettext_lazy("order number"),
    "tracking_no": gettext_lazy("tracking number (not shipped yet)"),
    "courier": gettext_lazy("courier (not shipped yet)"),
    "amount": gettext_lazy("amount"),
    "refund_amount": gettext_lazy("refund amount"),
    "paid_amount": gettext_lazy("amount paid"),
    "store_name": gettext_lazy("store name"),
    "return_address": gettext_lazy("return address"),
    "case_no": gettext_lazy("case number"),
    "reason": gettext_lazy("after-sales reason"),
    "delivery_days": gettext_lazy("delivery days"),
    "ship_within_hours": gettext_lazy("shipping time"),
    "compensation": gettext_lazy("compensation amount"),
    "return_shipping": gettext_lazy("who pays the return shipping"),
}
ZERO_MONEY = format_fen(0)
PHRASE_IDS = re.compile(r"^\d+(,\d+)*$")


@dataclass(frozen=True)
class PreparedPhrase:
    phrase: QuickPhrase
    text: str  # the filled text; empty when the phrase does not apply
    missing: tuple[str, ...]  # labels of the facts the case lacks

    @property
    def applicable(self) -> bool:
        return not self.missing


def known_facts(case: Case, *, store: StoreSettings | None = None) -> dict[str, str]:
    """The case's variables that hold a real value: an empty one, or ¥0.00 for an amount, is a fact not known."""
    return {
        name: value
        for name, value in case_variables(case, store=store).items()
        if str(value).strip() and str(value) != ZERO_MONEY
    }


def missing_facts(body: str, facts: dict[str, str]) -> tuple[str, ...]:
    """The variables of `body` the case cannot fill, as labels (unknown names are shown as written)."""
    names = dict.fromkeys(m.group(1) for m in VARIABLE.finditer(body) if m.group(1) not in facts)
    return tuple(str(FACT_LABELS.get(name, f"{{{name}}}")) for name in names)


def prepare(phrases, case: Case, *, store: StoreSettings | None = None) -> list[PreparedPhrase]:
    """R3: each phrase filled from the case, or marked not applicable with the facts it lacks."""
    facts = known_facts(case, store=store)
    prepared = []
    for phrase in phrases:
        missing = missing_facts(phrase.body, facts)
        prepared.append(PreparedPhrase(phrase, "" if missing else render_text(phrase.body, facts), missing))
    # The ones that fit come first; the rest stay visible, greyed, so the agent sees what is missing.
    return sorted(prepared, key=lambda item: not item.applicable)


def unfilled_variables(text: str) -> list[str]:
    """Template variables left in a text ("{tracking_no}"): a phrase pasted without its facts."""
    return [m.group(1) for m in VARIABLE.finditer(text) if m.group(1) in FACT_LABELS]


def parse_phrase_ids(value: str) -> list[int]:
    value = (value or "").strip()
    if not value or not PHRASE_IDS.match(value):
        return []
    return [int(part) for part in value.split(",")]


def check_reply(*, case: Case, body: str, phrase_ids: list[int] = ()) -> None:
    """R3: refuse a reply with a variable left in it, or built from a phrase this case cannot fill."""
    left = unfilled_variables(body)
    if left:
        raise DomainError(
            _("The reply still has blanks for: %(facts)s. Fill them in or leave them out.")
            % {"facts": ", ".join(str(FACT_LABELS[name]) for name in dict.fromkeys(left))}
        )
    if not phrase_ids:
        return
    facts = known_facts(case)
    for phrase in QuickPhrase.objects.filter(pk__in=phrase_ids):
        missing = missing_facts(phrase.body, facts)
        if missing:
            raise DomainError(
                _("The quick phrase “%(title)s” does not fit this case: it needs %(facts)s.")
                % {"title": phrase.title, "facts": ", ".join(missing)}
            )


def reply_with_phrases(
    *,
    case: Case,
    body: str,
    actor,
    phrase_ids: list[int] = (),
    confirm_warnings: bool = False,
    seen_event: int | None = None,
    confirm_overlap: bool = False,
):
    """An agent's reply that may hold inserted quick phrases: checked (R3), then sent like any reply (R1)."""
    from backoffice.cases import services as casework

    check_reply(case=case, body=body, phrase_ids=phrase_ids)
    return casework.reply_to_customer(
        case=case,
        body=body,
        actor=actor,
        confirm_warnings=confirm_warnings,
        seen_event=seen_event,
        confirm_overlap=confirm_overlap,
    )
