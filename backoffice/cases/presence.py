"""Who else has a case open, and who is typing a reply to it ("李娜 正在回复").

Kept in the cache for a few seconds and renewed by every open case page's poll; nothing goes to the database. Two
polls at the same moment may drop each other's note, and the next poll (1.5 s later) puts it back: presence is a
hint for people, never a lock.
"""

import logging
import time

from django.core.cache import cache

from backoffice.staff.roles import staff_display_name

logger = logging.getLogger(__name__)

# A page that stopped polling for this long has been closed; typing stops counting sooner.
SEEN_SECONDS = 8
TYPING_SECONDS = 5


def _key(case_id: int) -> str:
    return f"presence:case:{case_id}"


def touch(case_id: int, user, *, typing: bool = False, now: float | None = None) -> None:
    """The person has the case open (and is typing a reply when `typing`)."""
    now = time.time() if now is None else now
    people = {
        uid: entry for uid, entry in (cache.get(_key(case_id)) or {}).items() if entry["seen"] > now - SEEN_SECONDS
    }
    entry = people.get(str(user.pk)) or {"name": staff_display_name(user), "typing": 0.0}
    entry["seen"] = now
    if typing:
        entry["typing"] = now
    people[str(user.pk)] = entry
    cache.set(_key(case_id), people, SEEN_SECONDS * 2)


def _others_in(people: dict, user, now: float) -> list[dict]:
    return sorted(
        (
            {"name": entry["name"], "typing": entry["typing"] > now - TYPING_SECONDS}
            for uid, entry in people.items()
            if uid != str(user.pk) and entry["seen"] > now - SEEN_SECONDS
        ),
        key=lambda entry: entry["name"],
    )


def others(case_id: int, user, *, now: float | None = None) -> list[dict]:
    """The other people who have the case open: [{"name": "李娜", "typing": True}], by name."""
    now = time.time() if now is None else now
    return _others_in(cache.get(_key(case_id)) or {}, user, now)


def others_on(case_ids: list[int], user, *, now: float | None = None) -> dict[int, list[dict]]:
    """`others` for a queue page's cases, read in one cache call: {case id: [{"name", "typing"}]}, only cases with
    someone else on them."""
    now = time.time() if now is None else now
    try:
        found = cache.get_many([_key(case_id) for case_id in case_ids])
    except Exception:  # noqa: BLE001 - a hint for people: with the cache down the queue shows its rows without it
        logger.warning("presence: the cache could not be read; queue rows are drawn without presence")
        return {}
    result = {}
    for case_id in case_ids:
        here = _others_in(found.get(_key(case_id)) or {}, user, now)
        if here:
            result[case_id] = here
    return result
