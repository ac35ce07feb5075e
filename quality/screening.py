"""QA-5: the store's banned phrases checked against what staff write — replies in the reply box, quick phrases and
message templates saved in admin. Reads the rules; records nothing (the caller records what was confirmed)."""

from django.utils.translation import gettext as _

from backoffice.errors import DomainError
from backoffice.store.cache import kept
from quality.models import BannedPhrase
from quality.phrases import PhraseMatch, Rule, describe
from quality.phrases import find_phrases as match_rules


def active_rules() -> list[Rule]:
    """The store's active banned phrases (read once per request or task)."""
    return kept("banned_phrases", _read_rules)


def _read_rules() -> list[Rule]:
    return [
        Rule(row.pk, row.phrase, row.severity, row.reason)
        for row in BannedPhrase.objects.filter(active=True).order_by("severity", "phrase")
    ]


def find_phrases(text: str) -> list[PhraseMatch]:
    """Every active rule the text breaks, blocking rules first."""
    return match_rules(text, active_rules())


def screen_reply(body: str, *, confirmed: bool = False) -> list[PhraseMatch]:
    """A reply with a blocked phrase is refused; one with a warned phrase needs the agent's confirmation. Returns the
    warned phrases the agent confirmed (the reply records them, an event the next week's sample draws in)."""
    matches = find_phrases(body)
    blocked = [m for m in matches if m.blocks]
    if blocked:
        raise DomainError(_("This reply cannot be sent. %(rules)s") % {"rules": describe(blocked)})
    if matches and not confirmed:
        raise DomainError(
            _("This reply needs a confirmation before it is sent. %(rules)s") % {"rules": describe(matches)}
        )
    return matches


def screen_saved_text(text: str, *, confirmed: bool) -> None:
    """Quick phrases and message templates saved in admin: the same rules as the reply box."""
    matches = find_phrases(text)
    blocked = [m for m in matches if m.blocks]
    if blocked:
        raise DomainError(_("This text contains a blocked phrase. %(rules)s") % {"rules": describe(blocked)})
    if matches and not confirmed:
        raise DomainError(
            _("This text contains a warned phrase; tick the confirmation to save it anyway. %(rules)s")
            % {"rules": describe(matches)}
        )
