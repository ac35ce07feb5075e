"""Every page in Chinese (the desk's language) shows no English and no raw codes: visible text and the words a screen
reader or a tooltip says (aria-label, title, placeholder, alt). Order numbers, SKUs, units and a few names stay Latin;
they are listed below, each with the reason. Keys (<kbd>), code staff type as it is (<code>: template keys and
{variables}, settings names), text marked as another language (the language switch's "English") and the test data's
own Latin are not the UI's words.

The pages are the URL walk's (tests/test_url_roles.py): every GET URL of the URL conf, opened by the first role allowed
to use it, and every admin list for a store admin.
"""

import re
from html.parser import HTMLParser

import pytest

from tests.test_url_roles import AGENT, ANONYMOUS, NO_ROLE, STORE_ADMIN, SUPERVISOR, _urls
from tests.test_url_roles import world as world  # noqa: F401 - the URL walk's fixture, used by name

# Latin text that is right in the Chinese UI.
ALLOWED_WORDS = {
    # Names and abbreviations Chinese staff use as they are.
    "PDD",
    "SKU",
    "CSV",
    "XLSX",
    "QQ",
    "VX",
    "API",
    "ID",
    "SMS",
    "HTTP",
    "URL",
    "SLA",
    "QA",
    "CSAT",
    "PDF",
    "JSON",
    "Excel",
    "Django",
    "Token",
    "IP",
    # Units, encodings and formats.
    "min",
    "kg",
    "ms",
    "px",
    "KB",
    "MB",
    "GBK",
    "UTF-8",
    # Rule numbers of the store's guide are letters and digits (R1, L3, A11): matched below, not here.
}
# Codes that are Latin by nature: case and order numbers, SKUs, rule numbers, tokens, times, percentages, masked ids.
CODE = re.compile(
    r"^(?:"
    r"[A-Z]{1,3}-?\d[\w-]*"  # AS-20261130-0001, R1, A11, L3, QA-5
    r"|[A-Za-z]*\d[\w.-]*"  # SKUs, order and tracking numbers, versions: anything with a digit in it
    r"|p\d\d"  # p50, p90
    r")$"
)
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")
# A message template's variables ({customer_name}) are what store admins type.
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
SPOKEN_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")


class VisibleText(HTMLParser):
    """The text a person sees or hears on the page: text outside script/style/template, and spoken attributes; not
    keys, code, or text in another language."""

    HIDDEN = {"script", "style", "template", "noscript", "kbd", "code", "samp"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # per open element: is its text out of scope?
        self.parts: list[str] = []

    @property
    def skipping(self) -> bool:
        return any(self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        other_language = attrs.get("lang", "zh").split("-")[0].lower() not in ("zh", "")
        if not self.skipping and not other_language:
            for name in SPOKEN_ATTRIBUTES:
                value = attrs.get(name)
                # Django admin's own icons say True/False/Search in English; not ours to word.
                if value and not (tag == "img" and "/static/admin/img/" in (attrs.get("src") or "")):
                    self.parts.append(value)
        if tag not in self.VOID:
            self.stack.append(tag in self.HIDDEN or other_language)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def latin_words(html: str, data_words: set[str]) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    found = set()
    for part in parser.parts:
        for word in LATIN_WORD.findall(PLACEHOLDER.sub("", part)):
            word = word.strip(".-_")
            # One letter is a size (S/M/L) or a key, not a word.
            if len(word) < 2 or word in ALLOWED_WORDS or CODE.match(word) or word in data_words:
                continue
            found.add(word)
    return found


# The test data's own Latin (usernames, factory nicknames and product names): data, not the UI's words.
def _data_words() -> set[str]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from backoffice.models import Customer, ImportJob, Integration, Product, Sku
    from quality.models import BannedPhrase

    words = set()
    for text in [
        *get_user_model().objects.values_list("username", flat=True),
        *get_user_model().objects.values_list("email", flat=True),
        *Group.objects.values_list("name", flat=True),
        *Customer.objects.values_list("nickname", flat=True),
        *Product.objects.values_list("name", flat=True),
        *Sku.objects.values_list("spec", flat=True),
        *Sku.objects.values_list("code", flat=True),
        *ImportJob.objects.values_list("original_name", flat=True),
        *Integration.objects.values_list("token_hint", flat=True),
        *BannedPhrase.objects.values_list("phrase", flat=True),
    ]:
        words.update(LATIN_WORD.findall(text or ""))
    return words


@pytest.mark.django_db
def test_no_page_in_chinese_shows_english_or_raw_codes(world):  # noqa: F811
    data_words = _data_words()
    problems, checked = {}, 0
    for name, url, allowed in _urls(world):
        # Public pages as the public sees them (the login page redirects people already logged in).
        staff = (AGENT, SUPERVISOR, STORE_ADMIN, NO_ROLE)
        order = (ANONYMOUS, *staff) if ANONYMOUS in allowed else staff
        role = next((r for r in order if r in allowed), None)
        if role is None or name in ("logout", "set_language", "healthz"):
            continue
        response = world["clients"][role].get(url, follow=True)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        checked += 1
        words = latin_words(response.text, data_words)
        if words:
            problems[f"{name} ({role})"] = sorted(words)
    assert problems == {}
    # Every desk, supervisor, quality, import and admin page (the walk opens about 70): none may drop out silently.
    assert checked >= 60, checked
