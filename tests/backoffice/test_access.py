"""Who may open what: the desks need a login, Django admin is for store admins only, /healthz is open."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from backoffice.staff.roles import Role

ADMIN_INDEX = "/admin/"


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize(
    ("role", "codename"),
    [
        (Role.AGENT, "view_case"),
        (Role.SUPERVISOR, "change_case"),
        (Role.STORE_ADMIN, "change_storesettings"),
        (Role.STORE_ADMIN, "add_integration"),
        (Role.STORE_ADMIN, "view_caseevent"),
    ],
)
def test_role_groups_carry_their_permissions_on_a_fresh_database(db, role, codename):
    # The test database is migrated from scratch, as a new installation is.
    group = Group.objects.get(name=role)

    assert group.permissions.filter(codename=codename).exists()


def test_nobody_may_change_audit_events(db):
    granted = set(Group.objects.values_list("permissions__codename", flat=True))

    assert granted.isdisjoint({"add_caseevent", "change_caseevent", "delete_caseevent"})


@pytest.mark.parametrize("path", ["/", ADMIN_INDEX])
def test_anonymous_visitor_is_sent_to_login(client, db, path):
    response = client.get(path)

    assert is_login_redirect(response)
    assert f"next={path}" in response["Location"]


def test_healthz_answers_without_login(client, db):
    response = client.get("/healthz")

    # 503 only says a periodic sweep is late (tests/backoffice/test_timed_work.py); never a login page.
    assert response.status_code in (200, 503)
    assert "ok" in response.json()


def test_login_page_opens(client, db):
    response = client.get(reverse("login"))

    assert response.status_code == 200


@pytest.mark.parametrize("staff_client", ["agent_client", "supervisor_client"])
def test_agents_and_supervisors_cannot_open_django_admin(request, staff_client):
    client = request.getfixturevalue(staff_client)

    response = client.get(ADMIN_INDEX)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={ADMIN_INDEX}"
    # The admin login page does not let them through either.
    follow = client.get(response["Location"])
    assert follow.status_code == 200 and "app_list" not in follow.context


@pytest.mark.parametrize("staff_client", ["agent_client", "supervisor_client"])
def test_agents_and_supervisors_cannot_open_admin_model_pages(request, staff_client, store):
    client = request.getfixturevalue(staff_client)

    url = reverse("admin:backoffice_storesettings_change", args=[store.pk])
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={url}"


def test_store_admin_opens_the_admin_index(admin_client_store):
    response = admin_client_store.get(ADMIN_INDEX)

    assert response.status_code == 200
    app_labels = {app["app_label"] for app in response.context["app_list"]}
    assert "backoffice" in app_labels


def test_store_admin_opens_store_settings(admin_client_store, store):
    response = admin_client_store.get(reverse("admin:backoffice_storesettings_change", args=[store.pk]))

    assert response.status_code == 200
    assert response.context["original"] == store


def test_store_settings_list_goes_straight_to_the_one_record(admin_client_store, store):
    response = admin_client_store.get(reverse("admin:backoffice_storesettings_changelist"))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:backoffice_storesettings_change", args=[store.pk])


def test_store_settings_cannot_be_added_twice_or_deleted(admin_client_store, store):
    add = admin_client_store.get(reverse("admin:backoffice_storesettings_add"))
    delete = admin_client_store.get(reverse("admin:backoffice_storesettings_delete", args=[store.pk]))

    assert add.status_code == 403
    assert delete.status_code == 403


def test_a_refused_form_gets_a_page_people_understand(db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "Nothing was saved" in response.content.decode() or "未保存" in response.content.decode()
