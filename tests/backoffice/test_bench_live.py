import io
import re

import pytest
from django.core.management import call_command


@pytest.fixture(autouse=True)
def _own_cache(own_cache):
    """Presence lives in the cache: the bench gets an empty one of its own."""


@pytest.mark.django_db(transaction=True)  # the page's poller runs on its own thread and connection
def test_the_live_bench_prints_delivery_and_idle_cost_of_the_case_and_queue_pages():
    out = io.StringIO()

    call_command("bench_live", agents=50, messages=2, requests=5, stdout=out)

    text = out.getvalue()
    # 50 agents, each polling the page and the nav counts every 1.5 s: 50 / 1.5 × 2.
    assert re.search(r"^message delivery delay p95 s +[\d.]+  ≤2 s (ok|MISSED)$", text, re.MULTILINE)
    assert re.search(r"^idle poll, case page queries +[\d.]+$", text, re.MULTILINE)
    assert re.search(r"^50 idle agents: requests/s +66\.7$", text, re.MULTILINE)
    assert re.search(r"^queries per agent per minute +[\d.]+$", text, re.MULTILINE)
    # The open queue page: a message reaches its case's row, and what idle queues cost.
    assert re.search(r"^message to the queue row p95 s +[\d.]+  ≤2 s (ok|MISSED)$", text, re.MULTILINE)
    assert re.search(r"^idle poll, queue page \(304\) ms +[\d.]+$", text, re.MULTILINE)
    assert re.search(r"^idle poll, queue page queries +[\d.]+$", text, re.MULTILINE)
    assert re.search(r"^50 idle agents, queue open: requests/s +66\.7$", text, re.MULTILINE)
    assert re.search(r"^queries per agent per minute, queue open +[\d.]+$", text, re.MULTILINE)
