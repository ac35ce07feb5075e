import pytest

from backoffice.models import Order, mask_phone
from tests.factories import CustomerFactory


def test_mainland_mobile_keeps_prefix_and_last_four():
    assert mask_phone("13812341234") == "138****1234"


def test_separators_in_a_mobile_number_are_ignored():
    assert mask_phone("138-1234-1234") == "138****1234"
    assert mask_phone("138 1234 1234") == "138****1234"


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("057188886666", "********6666"),  # landline with area code: only the last four
        ("12345", "*2345"),
        ("1234", "****"),
        ("12", "**"),
        ("", ""),
        ("无", ""),
    ],
)
def test_other_numbers_keep_only_their_last_four_digits(phone, masked):
    assert mask_phone(phone) == masked


def test_customer_shows_masked_phone():
    customer = CustomerFactory.build(phone="13912345678")

    assert customer.masked_phone == "139****5678"


def test_customer_without_phone_shows_nothing():
    assert CustomerFactory.build(phone="").masked_phone == ""


def test_order_masks_receiver_phone():
    order = Order(receiver_phone="18600001111")

    assert order.masked_receiver_phone == "186****1111"


def test_customer_region_joins_the_parts_it_has():
    assert CustomerFactory.build(province="浙江省", city="杭州市", district="").region == "浙江省 杭州市"


def test_mask_phone_drops_the_country_code():
    assert mask_phone("+86 138-1234-1234") == "138****1234"
