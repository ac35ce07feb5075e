"""Customer-controlled text is escaped on every page that shows it.

`CUSTOMER_FIELDS` is the one list of what a customer (or the platform on their behalf) writes: each gets its own
`<script>` payload, in one customer, order, case, message and survey answer. Every page that shows them is opened;
no raw payload may appear, and each page shows the escaped form of the fields it is expected to show (so a page that
stops showing a field, or renders it raw with `|safe`, fails).
"""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from backoffice.cases import services as casework
from backoffice.models import CaseEvent, EventType, OrderItem, OutboundMessage, Status
from quality import services as quality
from surveys import services as surveys
from surveys.models import CallBack, Survey, SurveyReason
from tests.factories import CaseFactory, CustomerFactory, OutboundMessageFactory, make_order

# Short payloads: some of these columns hold 20 characters.
CUSTOMER_FIELDS = {
    "nickname": "<script>n</script>",
    "name": "<script>m</script>",
    "province": "<script>p</script>",
    "city": "<script>c</script>",
    "district": "<script>d</script>",
    "address": "<script>a</script>",
    "receiver_name": "<script>r</script>",
    "receiver_address": "<script>ra</script>",
    "product_name": "<script>g</script>",
    "spec": "<script>s</script>",
    "subject": "<script>j</script>",
    "message": "<script>msg</script>",
    "outbound": "<script>out</script>",
    "survey_comment": "<script>cmt</script>",
}


@pytest.fixture(autouse=True)
def _own_cache(own_cache):
    """The public survey page's rate limit counts in the cache: each test starts with an empty one of its own."""


@pytest.fixture
def world(db, agent, supervisor):
    f = CUSTOMER_FIELDS
    customer = CustomerFactory(
        nickname=f["nickname"],
        name=f["name"],
        province=f["province"],
        city=f["city"],
        district=f["district"],
        address=f["address"],
    )
    order = make_order(
        customer=customer,
        shipped=True,
        tracking_events=5,
        receiver_name=f["receiver_name"],
        receiver_address=f["receiver_address"],
    )
    OrderItem.objects.filter(order=order).update(product_name=f["product_name"], spec=f["spec"])
    aftersales = CaseFactory(customer=customer, order=order, subject=f["subject"], assignee=agent, status=Status.NEW)
    CaseEvent.objects.create(case=aftersales, type=EventType.CUSTOMER_MESSAGE, body=f["message"])
    logistics = CaseFactory(logistics=True, customer=customer, order=order, subject=f["subject"], assignee=agent)
    CaseEvent.objects.create(case=logistics, type=EventType.CUSTOMER_MESSAGE, body=f["message"])
    OutboundMessageFactory(customer=customer, case=aftersales, body=f["outbound"], state=OutboundMessage.State.FAILED)

    closed = CaseFactory(customer=customer, order=order, subject=f["subject"], assignee=agent, status=Status.RESOLVED)
    CaseEvent.objects.create(case=closed, type=EventType.CUSTOMER_MESSAGE, body=f["message"])
    casework.transition_case(case=closed, to=Status.CLOSED, actor=agent)
    survey = Survey.objects.get(case=closed)
    reason = SurveyReason.objects.first()
    surveys.answer_survey(survey=survey, answer="dissatisfied", reasons=[reason], comment=f["survey_comment"])
    callback = CallBack.objects.select_related("case").get(survey=survey).case
    review = quality.add_case(case=closed, actor=supervisor)
    return {"aftersales": aftersales, "logistics": logistics, "closed": closed, "callback": callback, "review": review}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


ALL = set(CUSTOMER_FIELDS)
# The customer's own address is never shown (only the region); it must not appear raw either.
PERSON = {"nickname", "name", "province", "city", "district"}
CASE_PAGE = PERSON | {"receiver_name", "product_name", "spec", "message"}

# Page → (who opens it, URL from the world, the fields it must show escaped).
PAGES = {
    "aftersales queue (all)": ("supervisor", lambda w: reverse("aftersales:queue", args=["all"]), {"nickname"}),
    "aftersales queue (mine)": ("agent", lambda w: reverse("aftersales:queue", args=["mine"]), {"nickname"}),
    "aftersales case": ("agent", lambda w: reverse("aftersales:case", args=[w["aftersales"].number]), CASE_PAGE),
    "closed case": ("agent", lambda w: reverse("aftersales:case", args=[w["closed"].number]), CASE_PAGE),
    "logistics queue (all)": ("supervisor", lambda w: reverse("logistics:queue", args=["all"]), {"nickname"}),
    "logistics queue (mine)": ("agent", lambda w: reverse("logistics:queue", args=["mine"]), {"nickname"}),
    "logistics case": ("agent", lambda w: reverse("logistics:case", args=[w["logistics"].number]), CASE_PAGE),
    "call-back queue": ("supervisor", lambda w: reverse("surveys:callback_queue", args=["all"]), {"nickname"}),
    "call-back case": (
        "supervisor",
        lambda w: reverse("surveys:callback", args=[w["callback"].number]),
        PERSON | {"survey_comment"},
    ),
    "survey results": ("supervisor", lambda w: reverse("surveys:results"), {"nickname", "survey_comment"}),
    "supervisor dashboard": ("supervisor", lambda w: reverse("supervisor:dashboard"), set()),
    "audit log": ("supervisor", lambda w: reverse("supervisor:audit"), set()),
    "outbox": ("supervisor", lambda w: reverse("followups:outbox") + "?tab=all", {"nickname", "outbound"}),
    "follow-up results": ("supervisor", lambda w: reverse("followups:results"), set()),
    "quality queue": ("supervisor", lambda w: reverse("quality:queue"), set()),
    "quality review": ("supervisor", lambda w: reverse("quality:review", args=[w["review"].pk]), {"message"}),
    "quick phrases": ("agent", lambda w: reverse("case_phrases", args=[w["aftersales"].number]), set()),
}


@pytest.mark.parametrize("page", list(PAGES))
def test_customer_text_is_escaped(world, agent, supervisor, page):
    role, url_of, expected = PAGES[page]
    client = _client(agent if role == "agent" else supervisor)
    response = client.get(url_of(world))
    assert response.status_code == 200, page
    html = response.content.decode()
    raw = sorted(field for field, payload in CUSTOMER_FIELDS.items() if payload in html)
    assert not raw, f"{page}: shown unescaped: {raw}"
    missing = sorted(field for field in expected if escape(CUSTOMER_FIELDS[field]) not in html)
    assert not missing, f"{page}: expected to show (escaped): {missing}"


def test_the_public_survey_page_escapes_the_comment_it_shows_again(world):
    """A refused answer shows the customer's comment again in the form: escaped."""
    customer = world["closed"].customer
    case = CaseFactory(customer=customer, order=world["closed"].order, status=Status.RESOLVED)
    casework.transition_case(case=case, to=Status.CLOSED, actor=None)
    from tests.surveys.conftest import token_sent_for

    token = token_sent_for(case)
    url = reverse("survey_public:answer", args=[token])
    page = Client().get(url).content.decode()
    assert not any(payload in page for payload in CUSTOMER_FIELDS.values())
    refused = Client().post(url, {"answer": "no-such-answer", "comment": CUSTOMER_FIELDS["survey_comment"]})
    html = refused.content.decode()
    assert CUSTOMER_FIELDS["survey_comment"] not in html
    assert escape(CUSTOMER_FIELDS["survey_comment"]) in html
