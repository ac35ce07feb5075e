"""The session and the signed-in person, read on every page with SQL written once: the same answers as Django's."""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from backoffice.staff.backends import StaffBackend
from backoffice.staff.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_the_project_uses_them():
    assert settings.SESSION_ENGINE == "backoffice.staff.sessions"
    assert "backoffice.staff.backends.StaffBackend" in settings.AUTHENTICATION_BACKENDS
    assert "django.contrib.auth.backends.ModelBackend" not in settings.AUTHENTICATION_BACKENDS


def test_a_session_reads_back_what_was_saved():
    saved = SessionStore()
    saved["answer"] = {"kept": [1, "二"]}
    saved.save()

    assert SessionStore(saved.session_key)["answer"] == {"kept": [1, "二"]}
    assert SessionStore(saved.session_key).load() == DjangoSessionStore(saved.session_key).load()


def test_an_expired_or_unknown_session_is_empty_and_gets_a_new_key():
    saved = SessionStore()
    saved["answer"] = 42
    saved.save()
    Session.objects.filter(session_key=saved.session_key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))

    for key in (saved.session_key, "nosuchsessionkeynosuchsessionkey"):
        store = SessionStore(key)
        assert store.load() == {}
        assert store.session_key is None  # a new one is made on save, as Django's does


def test_an_expired_session_signs_its_holder_out(agent, agent_client):
    url = reverse("aftersales:queue", args=["mine"])
    assert agent_client.get(url).status_code == 200
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(minutes=1))

    response = agent_client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_signed_in_person_is_read_as_the_orm_reads_them(agent):
    user = StaffBackend().get_user(agent.pk)
    expected = get_user_model().objects.get(pk=agent.pk)

    fields = [field.attname for field in get_user_model()._meta.concrete_fields]
    assert [getattr(user, name) for name in fields] == [getattr(expected, name) for name in fields]
    assert user._state.adding is False and user._state.db == "default"
    assert user.get_session_auth_hash() == expected.get_session_auth_hash()


def test_no_one_for_an_unknown_id_a_bad_id_or_an_inactive_person(agent):
    backend = StaffBackend()
    assert backend.get_user(agent.pk + 1000) is None
    assert backend.get_user("not a number") is None
    assert backend.get_user(None) is None
    agent.is_active = False
    agent.save()
    assert backend.get_user(agent.pk) is None


def test_a_page_compiles_neither_read_again(agent, agent_client, compiled):
    url = reverse("aftersales:queue", args=["mine"])
    agent_client.get(url)
    compiled.clear()

    assert agent_client.get(url).status_code == 200
    models = {query.model for query in compiled}
    assert Session not in models
    assert get_user_model() not in models


def test_a_password_still_signs_in_and_a_changed_one_signs_other_sessions_out(agent):
    agent.set_password("correct horse 12")
    agent.save()
    client, other = Client(), Client()
    for each in (client, other):
        response = each.post(reverse("login"), {"username": agent.username, "password": "correct horse 12"})
        assert response.status_code == 302
        assert each.session[SESSION_KEY] == str(agent.pk)
    assert Client().post(reverse("login"), {"username": agent.username, "password": "wrong"}).status_code == 200

    agent.set_password("another horse 34")
    agent.save()

    assert other.get(reverse("aftersales:queue", args=["mine"])).status_code == 302
