"""seed_demo's shortcuts: messages and follow-ups left to the beat sweeps, the logins' password hashed ahead."""

import io
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command

from backoffice import tasks
from backoffice.messaging import outbox
from backoffice.models import OutboundMessage
from tests.factories import shanghai

NOW = shanghai(2026, 11, 25, 15, 0)


@pytest.mark.django_db(transaction=True)  # real commits: the steps' on-commit hooks run as they do for a user
def test_the_demo_queues_no_broker_task_its_messages_wait_for_the_sweep():
    with (
        mock.patch.object(tasks.deliver_message, "delay") as deliver,
        mock.patch.object(tasks.dispatch_followup_task, "delay") as dispatch,
        time_machine.travel(NOW, tick=False),
    ):
        call_command("seed_demo", "--orders", "200", stdout=io.StringIO())
        due = set(outbox.due_message_ids(limit=10_000))

    assert not deliver.called and not dispatch.called
    pending = OutboundMessage.objects.filter(state=OutboundMessage.State.PENDING, send_after__lte=NOW)
    assert due and due == set(pending.values_list("pk", flat=True))


def test_the_demo_logins_hash_made_ahead_is_the_demo_password():
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from backoffice.demo import DEMO_PASSWORD, DEMO_PASSWORD_HASH

    assert PBKDF2PasswordHasher().verify(DEMO_PASSWORD, DEMO_PASSWORD_HASH)
    assert not PBKDF2PasswordHasher().verify("wrong", DEMO_PASSWORD_HASH)
