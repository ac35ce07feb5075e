from django import template

from backoffice.staff import notifications

register = template.Library()


@register.simple_tag
def unread_notifications(user) -> dict:
    """The person's unread notices (the newest few) and how many there are, for the queue page and the navigation."""
    if user is None or not user.is_authenticated:
        return {"count": 0, "items": []}
    shown = notifications.UNREAD_SHOWN
    items = notifications.unread(user)
    count = len(items) if len(items) <= shown else notifications.unread_count(user)
    return {"count": count, "items": items[:shown]}
