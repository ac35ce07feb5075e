from celery import shared_task

from quality import services


@shared_task(name="quality.tasks.draw_weekly_sample")
def draw_weekly_sample() -> int:
    """QA-1/QA-2, weekly: draw last week's review sample (safe to run twice: the draw is recorded once)."""
    draw = services.draw_week(week=services.last_week())
    return draw.reviews.count()
