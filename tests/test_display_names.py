"""Staff are Chinese: 王小丽, family name first. One helper puts a name together (backoffice.staff.roles.display_name);
Django's get_full_name (小丽 王) and hand-made "last + first" copies are not used anywhere in the project's code."""

import re
from pathlib import Path

from backoffice.staff.roles import display_name, staff_display_name
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["backoffice", "aftersales", "logistics", "surveys", "quality", "templates"]
COMPOSED = re.compile(r"get_full_name|last_name\s*\}?\}?\s*\{?\{?\s*\S*first_name|last_name\|add:")


def test_names_are_family_name_first_without_a_space(db):
    assert display_name(username="agent1", first_name="小丽", last_name="王") == "王小丽"
    assert display_name(username="agent9") == "agent9"
    assert staff_display_name(UserFactory(username="li", first_name="娜", last_name="李")) == "李娜"


def test_no_code_puts_a_name_together_but_the_one_helper():
    offenders = []
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in (".py", ".html") or "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if COMPOSED.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_every_list_to_pick_a_person_from_names_them_the_same_way(agent, supervisor, supervisor_client):
    """王小丽 (agent) in the queues' assignee filter, the bulk assignment, a case page's assignment (every desk's,
    the call-backs' too) and the audit log's actor filter."""
    from tests.factories import CaseFactory

    callback = CaseFactory(callback=True)
    pages = {
        "after-sales assignee filter": "/aftersales/queue/all/",
        "logistics assignee filter": "/logistics/queue/all/",
        "audit log actor filter": "/supervisor/audit/",
        "a call-back's assignment": f"/cases/{callback.number}/",
    }
    for what, url in pages.items():
        html = supervisor_client.get(url, follow=True).content.decode()
        lists = re.findall(r'<select[^>]*name="(?:assignee|actor)"[^>]*>(.*?)</select>', html, re.DOTALL)
        options = [label for part in lists for label in re.findall(rf'<option value="{agent.pk}"[^>]*>([^<]*)<', part)]
        assert options and set(options) == {"王小丽 (agent)"}, (what, options)
