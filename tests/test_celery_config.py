"""Celery wiring: a broker that needs no server on a laptop, Redis when REDIS_URL is set, a beat schedule of real tasks."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backoffice.celery import app as celery_app

BASE_DIR = Path(__file__).resolve().parent.parent

PROBE = """
import json
from backoffice.celery import app
conf = app.conf
print(json.dumps({"broker": conf.broker_url, "options": conf.broker_transport_options}))
"""

SEND = """
from backoffice.celery import app
app.send_task("backoffice.tasks.sweep_outbox")
"""


def run_with_settings(code: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "VAR_DIR")}
    environ.update(env, DJANGO_SETTINGS_MODULE="backoffice.settings")
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], cwd=BASE_DIR, env=environ, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_without_redis_url_the_broker_is_the_filesystem_under_var():
    conf = json.loads(run_with_settings(PROBE))

    assert conf["broker"].startswith("filesystem-atomic://")
    var = BASE_DIR / "var"
    folders = [Path(value) for key, value in conf["options"].items() if "folder" in key]
    assert folders
    for folder in folders:
        assert folder.is_relative_to(var)
        assert folder.is_dir()


def test_filesystem_broker_carries_a_task_between_processes(tmp_path):
    run_with_settings(SEND, VAR_DIR=str(tmp_path))

    queued = list((tmp_path / "celery-broker" / "queue").iterdir())
    assert len(queued) == 1
    assert "backoffice.tasks.sweep_outbox" in queued[0].read_text()


def test_with_redis_url_the_broker_is_redis():
    conf = json.loads(run_with_settings(PROBE, REDIS_URL="redis://127.0.0.1:6379/5"))

    assert conf["broker"] == "redis://127.0.0.1:6379/5"


SILENT = """
import time
from django.core.cache import cache
from backoffice.celery import app
for name, call in (("cache", lambda: cache.get("presence:case:1")), ("broker", lambda: app.send_task("x", retry=False))):
    started = time.monotonic()
    try:
        call()
        outcome = "answered"
    except Exception as error:
        outcome = type(error).__name__
    print(name, outcome, round(time.monotonic() - started, 1))
"""


def test_a_redis_that_accepts_connections_but_never_answers_fails_calls_within_seconds():
    import socket

    with socket.socket() as silent:  # listens, never reads, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        lines = run_with_settings(SILENT, REDIS_URL=f"redis://127.0.0.1:{port}/0", DEBUG="1").split("\n")

    outcomes = {name: (outcome, float(seconds)) for name, outcome, seconds in (line.split() for line in lines if line)}
    assert set(outcomes) == {"cache", "broker"}
    # Without timeouts both calls wait forever (the run's own 60 s limit fails the test).
    assert outcomes["cache"][0] == "TimeoutError"
    assert outcomes["broker"][0] == "OperationalError"
    for name, (_outcome, seconds) in outcomes.items():
        assert seconds < 20, f"{name} waited {seconds} s"


@pytest.mark.parametrize(
    "task_name", [pytest.param(spec["task"], id=entry) for entry, spec in sorted(celery_app.conf.beat_schedule.items())]
)
def test_beat_schedule_names_a_registered_task(task_name):
    celery_app.loader.import_default_modules()

    assert task_name in celery_app.tasks


def test_a_worker_never_takes_a_message_file_still_being_written(tmp_path, monkeypatch):
    """kombu's own filesystem transport creates the file before writing it: a worker polling in between took an empty
    message and stopped (celery/kombu#1551). Here a read in the middle of the write finds nothing to take."""
    from queue import Empty

    from kombu import Connection

    from backoffice import broker

    folders = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path), "store_processed": False}
    with Connection(f"{broker.SCHEME}://localhost//", transport_options=folders) as connection:
        channel = connection.default_channel
        seen_while_writing = []
        real_replace = os.replace

        def replace_after_a_poll(source, target):
            # The moment kombu's transport would already show the file: the content is written, not yet visible.
            try:
                seen_while_writing.append(channel._get("tasks"))
            except Empty:
                seen_while_writing.append(None)
            real_replace(source, target)

        monkeypatch.setattr(broker.os, "replace", replace_after_a_poll)
        channel._put("tasks", {"body": "whole"})

        assert seen_while_writing == [None]
        assert channel._get("tasks") == {"body": "whole"}
        assert list(tmp_path.iterdir()) == []
