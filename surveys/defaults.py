"""What a new store starts with: the survey settings record and the list of reasons (A12, A13).

Created after migrate when missing; store admins then edit them in Django admin and their edits are kept.
"""

from surveys.models import SurveyReason, SurveySettings

# (code, label shown to customers, order)
DEFAULT_REASONS = [
    ("attitude", "客服态度不好", 10),
    ("slow_reply", "回复太慢", 20),
    ("slow_refund", "退款太慢", 30),
    ("quality", "商品质量问题", 40),
    ("logistics", "物流太慢", 50),
    ("not_solved", "问题没有解决", 60),
    ("other", "其他", 100),
]


def ensure_survey_defaults(**kwargs) -> None:
    SurveySettings.load()
    # Only on an empty list: a store that renamed or switched off reasons keeps its own list.
    if not SurveyReason.objects.exists():
        SurveyReason.objects.bulk_create(
            SurveyReason(code=code, label=label, sort_order=order) for code, label, order in DEFAULT_REASONS
        )
