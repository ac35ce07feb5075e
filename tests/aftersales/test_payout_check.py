"""The refund and compensation confirmations name the amount the server checked, the way the action will."""

import pytest
from django.urls import reverse

from aftersales import services
from backoffice.cases import services as casework
from backoffice.models import CaseKind, Payout


def check(client, case, action="approve_refund", **params):
    url = reverse("aftersales:check_payout", args=[case.number, action])
    return client.get(url, params, HTTP_HX_REQUEST="true")


def refund_case(order, **kwargs):
    kwargs.setdefault("amount_fen", 5990)
    return services.open_application(kind=CaseKind.REFUND, order=order, message="漏水", **kwargs)


def test_the_confirmation_states_the_checked_amount_and_pays_nothing(agent_client, order):
    case = refund_case(order)
    page = check(agent_client, case, amount="12.5").content.decode()
    assert "¥12.50" in page
    assert 'data-testid="payout-yes"' in page
    assert """hx-vals='{"amount": "12.50"}'""" in page
    assert reverse("aftersales:case_action", args=[case.number, "approve_refund"]) in page
    assert not Payout.objects.exists()


def test_an_empty_amount_confirms_the_requested_one(agent_client, order):
    case = refund_case(order, amount_fen=2590 * 2)
    assert "¥51.80" in check(agent_client, case, amount="").content.decode()


def test_more_than_still_refundable_is_refused_in_the_dialog(agent_client, order, in_english):
    case = refund_case(order)
    page = check(in_english(agent_client), case, amount="80").content.decode()
    assert "The amount ¥80.00 is more than the ¥59.90 still refundable on this order." in page
    assert 'data-testid="payout-yes"' not in page


def test_a_refund_already_paid_lowers_what_the_dialog_accepts(agent_client, order, agent, in_english):
    first = refund_case(order)
    services.approve_refund(case=first, actor=agent, amount_fen=5000)
    second = refund_case(order, amount_fen=3000)  # above the automatic-refund threshold
    page = check(in_english(agent_client), second, amount="10.00").content.decode()
    assert "more than the ¥9.90 still refundable" in page


def test_a_zero_amount_is_refused(agent_client, order, in_english):
    case = refund_case(order)
    assert "The amount must be more than ¥0.00." in check(in_english(agent_client), case, amount="0").content.decode()


def test_an_amount_that_is_not_money_is_refused_with_the_forms_words(agent_client, order):
    case = refund_case(order)
    page = check(agent_client, case, amount="十二块").content.decode()
    assert 'data-testid="payout-refused"' in page and 'data-testid="payout-yes"' not in page


def test_a_resolved_case_is_refused(agent_client, order, agent, in_english):
    case = refund_case(order)
    services.reject_application(case=case, actor=agent, reason="已超过售后期")
    page = check(in_english(agent_client), case, amount="10").content.decode()
    assert "This case is already resolved or closed. Reopen it first." in page


def test_a_case_that_is_not_a_refund_is_refused(agent_client, order, in_english):
    case = services.open_application(kind=CaseKind.RESHIP, order=order, message="少发了一件")
    page = check(in_english(agent_client), case, amount="10").content.decode()
    assert "Only refund and return cases can be refunded." in page


def test_the_compensation_confirmation_names_the_stores_amount_when_none_is_typed(agent_client, order, store):
    case = services.open_application(kind=CaseKind.COMPENSATION, order=order, message="有点小瑕疵")
    page = check(agent_client, case, "compensate", amount="").content.decode()
    assert services.format_fen(store.small_defect_compensation_fen) in page


def test_a_received_exchange_confirms_the_replacement_without_money(agent_client, order, agent, in_english):
    case = services.open_application(kind=CaseKind.EXCHANGE, order=order, message="换大一码")
    services.approve_return(case=case, actor=agent)
    page = check(in_english(agent_client), case, "return_received").content.decode()
    assert "The parcel came back: send the replacement now?" in page
    assert "hx-vals" not in page


def test_a_return_not_yet_approved_cannot_be_received(agent_client, order, in_english):
    case = services.open_application(kind=CaseKind.RETURN, order=order, amount_fen=5990, message="不想要了")
    page = check(in_english(agent_client), case, "return_received", amount="59.90").content.decode()
    assert "Approve the return before marking it received." in page


def test_only_money_actions_have_a_check(agent_client, order):
    case = refund_case(order)
    assert check(agent_client, case, "reject").status_code == 404


def test_another_desks_case_has_no_check(agent_client, db):
    from tests.factories import CaseFactory

    case = CaseFactory(logistics=True)
    assert check(agent_client, case).status_code == 404


def test_the_refund_form_asks_the_check_before_any_yes(agent_client, order):
    case = refund_case(order)
    page = agent_client.get(reverse("aftersales:case", args=[case.number])).content.decode()
    assert f'hx-get="{reverse("aftersales:check_payout", args=[case.number, "approve_refund"])}"' in page
    assert 'hx-confirm="退款' not in page


def test_the_refund_still_checks_again_when_paid(agent_client, order, agent, in_english):
    """A stale dialog (the order was refunded meanwhile) cannot pay more than is left."""
    case = refund_case(order)
    casework.claim_case(case=case, agent=agent)
    other = refund_case(order, amount_fen=5000)
    services.approve_refund(case=other, actor=agent, amount_fen=5000)
    url = reverse("aftersales:case_action", args=[case.number, "approve_refund"])
    page = in_english(agent_client).post(url, {"amount": "59.90"}, HTTP_HX_REQUEST="true").content.decode()
    assert "more than the ¥9.90 still refundable" in page
    assert not Payout.objects.filter(case=case).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_every_money_action_called_on_its_own_checks_inside_its_transaction(agent):
    """The check locks the order's row (PostgreSQL refuses a lock outside a transaction): a task or an import that
    calls a service directly, with no request around it, pays out as the case page does."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL): SQLite takes no row locks")
    from tests.factories import make_order

    order = make_order(paid_fen=20000)
    # Above the automatic refund's threshold, so each waits for the agent.
    returned = services.open_application(kind=CaseKind.RETURN, order=order, amount_fen=3000, message="不想要了")
    services.approve_return(case=returned, actor=agent)
    services.mark_return_received(case=returned, actor=agent, amount_fen=3000)
    refund = services.open_application(kind=CaseKind.REFUND, order=order, amount_fen=2500, message="漏水")
    services.approve_refund(case=refund, actor=agent, amount_fen=2500)
    small = services.open_application(kind=CaseKind.COMPENSATION, order=order, amount_fen=300, message="有划痕")
    services.compensate(case=small, actor=agent, amount_fen=300)

    assert sorted(Payout.objects.values_list("amount_fen", flat=True)) == [300, 2500, 3000]
