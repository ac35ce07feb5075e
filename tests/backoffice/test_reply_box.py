"""The reply box: the quick-phrase search lives outside the reply form, so Enter there never sends a reply."""

import re

from django.urls import reverse

from tests.factories import CaseFactory


def test_the_phrase_search_is_not_part_of_the_reply_form(agent_client, db):
    case = CaseFactory()
    page = agent_client.get(reverse("aftersales:case", args=[case.number])).content.decode()
    reply_form = re.search(r'<form id="reply-form".*?</form>', page, re.S).group(0)
    assert 'id="reply-body"' in reply_form
    assert 'id="phrase-search"' not in reply_form and 'id="phrase-search"' in page
    # A listbox the search names, for the highlighted phrase (aria-activedescendant).
    assert 'role="combobox"' in page and 'aria-controls="phrase-list"' in page and 'role="listbox"' in page


def test_phrases_are_options_and_the_ones_the_case_cannot_fill_are_disabled(agent_client, db):
    from backoffice.models import QuickPhrase

    case = CaseFactory(order=None)
    fits = QuickPhrase.objects.create(title="问候", body="您好，在的")
    needs = QuickPhrase.objects.create(title="运单", body="运单号{tracking_no}")
    page = agent_client.get(reverse("case_phrases", args=[case.number]), {"q": "运单"}).content.decode()
    assert f'id="phrase-option-{needs.pk}"' in page and 'role="option"' in page
    assert re.search(rf'id="phrase-option-{needs.pk}"\s+disabled aria-disabled="true"', page)
    page = agent_client.get(reverse("case_phrases", args=[case.number]), {"q": "问候"}).content.decode()
    assert f'data-phrase="{fits.pk}"' in page
