from django import template

from backoffice.staff import notifications

register = template.Library()

SHOWN = 10


@register.simple_tag
def unread_notifications(user) -> dict:
    """The person's unread notices (the newest few) and how many there are, for the queue page and the navigation."""
    if user is None or not user.is_authenticated:
        return {"count": 0, "items": []}
    items = list(notifications.unread(user)[: SHOWN + 1])
    count = len(items) if len(items) <= SHOWN else notifications.unread_count(user)
    return {"count": count, "items": items[:SHOWN]}
