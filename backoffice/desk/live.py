"""The open case page, live: new timeline entries and who else is on the case, polled every 1.5 s.

Conditional polling, not a push stream: each poll costs one indexed query (the case's newest event and count) and one cache
read; when nothing changed since the page's last answer the server says 304 and renders nothing. It needs no
long-lived connections, no ASGI server and no Redis (the demo runs on SQLite and a local cache), and a dropped
connection or a restarted server is simply the next poll. README "Live pages" has the measured cost.
"""

import datetime as dt
import hashlib
import json

from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from backoffice.cases import page as casepage
from backoffice.cases import presence, queues, seen
from backoffice.cases.access import VIEW, find_case_for
from backoffice.models import CaseEvent

# How far back a poll looks again for events committed late (see case_live).
RESEND_WINDOW = dt.timedelta(seconds=10)


def _event_stamp(case) -> tuple[int, int]:
    """The case's newest event id and its number of events: an event committed late (a lower id) changes the count."""
    stamp = CaseEvent.objects.filter(case=case).aggregate(last=Max("id"), count=Count("id"))
    return stamp["last"] or 0, stamp["count"]


@require_GET
def case_live(request: HttpRequest, number: str) -> HttpResponse:
    """?after=<the newest event id the page shows>&typing=1 while the agent types a reply."""
    case = find_case_for(request.user, number, VIEW)
    presence.touch(case.pk, request.user, typing=request.GET.get("typing") == "1")
    try:
        after = max(int(request.GET.get("after", "0")), 0)
    except ValueError:
        after = 0
    last, count = _event_stamp(case)
    others = presence.others(case.pk, request.user)
    signature = hashlib.sha256(json.dumps([after, last, count, others], ensure_ascii=False).encode()).hexdigest()[:16]
    etag = f'"{signature}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        # Ids are handed out at insert and seen at commit: on PostgreSQL a slow transaction's event may appear after
        # a newer one. The last few seconds are sent again and the page skips the entries it already shows.
        recent = timezone.now() - RESEND_WINDOW
        raw = list(
            CaseEvent.objects.filter(Q(id__gt=after) | Q(at__gte=recent), case=case, id__lte=last)
            .select_related("actor")
            .order_by("at", "id")
        )
        new = queues.one_entry_per_message(raw)
        newest = max([after, *(event.id for event in raw)])
        if newest > after:  # the page is shown entries it did not have: read up to them (never on an idle poll)
            seen.mark_seen(user=request.user, case_id=case.pk, event_id=newest)
        names = casepage.timeline_names(new, case)
        response = JsonResponse(
            {
                "last": newest,
                "events": [
                    {
                        "id": event.id,
                        "html": render_to_string(
                            "cases/event.html", {"event": event, "case": case, "staff_names": names}, request
                        ),
                    }
                    for event in new
                ],
                "customer_wrote": any(event.type == "message.customer" and event.id > after for event in new),
                "presence": render_to_string("cases/presence.html", {"others": others}, request),
            }
        )
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response
