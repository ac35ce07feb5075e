"""Who else has a case open, and who is typing a reply to it ("李娜 正在回复").

Kept in the cache for a few seconds and renewed by every open case page's poll; nothing goes to the database. Two
polls at the same moment may drop each other's note, and the next poll (1.5 s later) puts it back: presence is a
hint for people, never a lock.
"""

import time

from django.core.cache import cache

from backoffice.staff.roles import staff_display_name

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


def others(case_id: int, user, *, now: float | None = None) -> list[dict]:
    """The other people who have the case open: [{"name": "李娜", "typing": True}], by name."""
    now = time.time() if now is None else now
    people = cache.get(_key(case_id)) or {}
    return sorted(
        (
            {"name": entry["name"], "typing": entry["typing"] > now - TYPING_SECONDS}
            for uid, entry in people.items()
            if uid != str(user.pk) and entry["seen"] > now - SEEN_SECONDS
        ),
        key=lambda entry: entry["name"],
    )
