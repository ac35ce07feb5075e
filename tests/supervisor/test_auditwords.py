from django.utils import translation

from backoffice.supervisor.auditwords import duration_words


def test_durations_read_in_the_two_largest_units_that_matter():
    with translation.override("zh-hans"):
        assert [duration_words(s) for s in (0, 59, 135, 3600, 3725, 93784)] == [
            "0秒",
            "59秒",
            "2分15秒",
            "1小时",
            "1小时2分",
            "1天2小时",
        ]
    with translation.override("en"):
        assert duration_words(135) == "2 min 15 s"
        assert duration_words(93784) == "1 d 2 h"


def test_a_coupons_state_reads_in_words_and_its_code_as_it_is():
    from backoffice.supervisor.auditwords import AuditWords

    words = AuditWords()
    with translation.override("zh-hans"):
        assert (words.value("coupon", "issued"), words.value("coupon", "used")) == ("已发放", "已使用")
        assert words.value("coupon", "73799BMLQZ7V") == "73799BMLQZ7V"
