import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from backoffice.models import ImportJob, Order, PlatformCredentials
from backoffice.platform.importing import jobs

from .conftest import fixture


@pytest.fixture
def english(client):
    def make(user) -> Client:
        client = Client()
        client.cookies["django_language"] = "en"
        client.force_login(user)
        return client

    return make


@pytest.fixture
def supervisor_en(english, supervisor):
    return english(supervisor)


def upload(client, name="orders_gbk.csv", **data):
    content = fixture(name).read_bytes()
    return client.post(
        reverse("imports:jobs"),
        {"file": SimpleUploadedFile(name, content, content_type="text/csv"), "kind": "", **data},
        follow=True,
    )


def test_agents_cannot_import(agent_client):
    assert agent_client.get(reverse("imports:jobs")).status_code == 403
    assert agent_client.post(reverse("imports:jobs")).status_code == 403


def test_logged_out_people_are_sent_to_log_in(client):
    response = client.get(reverse("imports:jobs"))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("who", ["supervisor", "store_admin"])
def test_supervisors_and_store_admins_open_the_import_page(english, request, who):
    response = english(request.getfixturevalue(who)).get(reverse("imports:jobs"))

    assert response.status_code == 200
    assert b"Import an export file" in response.content


def test_an_upload_is_checked_and_shows_what_would_change(supervisor_en, clock):
    response = upload(supervisor_en)

    job = ImportJob.objects.get()
    assert response.redirect_chain[-1][0] == reverse("imports:job", args=[job.pk])
    assert job.state == ImportJob.State.CHECKED
    page = response.content.decode()
    assert 'data-testid="preview"' in page
    assert "Import 7 rows" in page
    assert "2.61E+20" in page and "digits are lost" in page
    assert "Unknown courier “火星快递”" in page
    assert Order.objects.count() == 0


def test_importing_after_the_check_shows_the_result(supervisor_en, clock, supervisor):
    upload(supervisor_en)
    job = ImportJob.objects.get()

    response = supervisor_en.post(reverse("imports:run", args=[job.pk]), follow=True)

    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert job.created_by == supervisor
    assert Order.objects.count() == 7
    assert "7 created" in response.content.decode()


def test_all_or_nothing_with_rejected_rows_is_refused_with_a_message(supervisor_en, clock):
    upload(supervisor_en)
    job = ImportJob.objects.get()

    response = supervisor_en.post(reverse("imports:run", args=[job.pk]), {"all_or_nothing": "on"}, follow=True)

    assert "cannot be imported" in response.content.decode()
    assert Order.objects.count() == 0


def test_a_wrong_file_type_is_refused_by_the_form(supervisor_en):
    response = supervisor_en.post(
        reverse("imports:jobs"), {"file": SimpleUploadedFile("photo.png", b"\x89PNG", content_type="image/png")}
    )

    assert response.status_code == 200
    assert "Upload the export as CSV or XLSX." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_running_job_polls_for_its_progress_and_stops_when_done(supervisor_en, supervisor, clock):
    job = jobs.create_job(source=fixture("orders_gbk.csv"), original_name="orders.csv", user=supervisor)
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.IMPORTING, rows_done=500, progress_permille=420, heartbeat_at=job.created_at
    )
    url = reverse("imports:job", args=[job.pk])

    partial = supervisor_en.get(url, headers={"HX-Request": "true"})

    text = partial.content.decode()
    assert text.lstrip().startswith('<div id="job-status"')
    assert 'hx-trigger="every 1s"' in text
    assert 'value="420"' in text
    assert "<html" not in text
    assert partial["Vary"] == "HX-Request" or "HX-Request" in partial["Vary"]

    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.DONE, message="7 created.")
    done = supervisor_en.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in done
    assert "7 created." in done


def test_a_stalled_job_offers_to_resume(supervisor_en, clock):
    job = jobs.create_job(source=fixture("orders_gbk.csv"), original_name="orders.csv", check=False)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.IMPORTING, heartbeat_at=job.created_at)
    clock.shift(jobs.STALE_AFTER_SECONDS + 1)

    page = supervisor_en.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "Resume" in page

    supervisor_en.post(reverse("imports:resume", args=[job.pk]))

    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert job.created == 7


def test_the_job_list_query_count_does_not_grow_with_jobs(supervisor_en, supervisor, django_assert_max_num_queries):
    def make(count):
        for _ in range(count):
            ImportJob.objects.create(
                kind="orders", file_path="imports/x.csv", original_name="x.csv", created_by=supervisor
            )

    make(2)
    with django_assert_max_num_queries(12) as few:
        supervisor_en.get(reverse("imports:jobs"))
    make(18)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = supervisor_en.get(reverse("imports:jobs"))
    assert response.content.decode().count("x.csv") == 20


def test_the_sync_panel_says_whether_credentials_are_set(supervisor_en, db):
    assert "Not configured" in supervisor_en.get(reverse("imports:jobs")).content.decode()

    PlatformCredentials.objects.create(
        pk=1, client_id="app-42", client_secret="secret-1234567890", access_token="token-1234567890"
    )

    page = supervisor_en.get(reverse("imports:jobs")).content.decode()
    assert "app-42" in page
    assert "secret-1234567890" not in page


def test_admin_never_shows_the_secret_or_token_back(admin_client_store):
    PlatformCredentials.objects.create(
        pk=1, client_id="app-42", client_secret="secret-1234567890", access_token="token-1234567890"
    )

    page = admin_client_store.get(reverse("admin:backoffice_platformcredentials_change", args=[1])).content.decode()
    listing = admin_client_store.get(reverse("admin:backoffice_platformcredentials_changelist")).content.decode()

    for text in (page, listing):
        assert "secret-1234567890" not in text
        assert "token-1234567890" not in text
    assert "secr…" in page


def test_admin_keeps_the_secret_when_the_field_is_left_empty(admin_client_store):
    PlatformCredentials.objects.create(
        pk=1, client_id="app-42", client_secret="secret-1234567890", access_token="token-1234567890"
    )

    response = admin_client_store.post(
        reverse("admin:backoffice_platformcredentials_change", args=[1]),
        {
            "client_id": "app-43",
            "client_secret": "",
            "access_token": "new-token-0000000",
            "api_url": PlatformCredentials.DEFAULT_API_URL,
            "sync_enabled": "on",
            "initial_days": "1",
        },
    )

    assert response.status_code == 302
    stored = PlatformCredentials.objects.get()
    assert (stored.client_id, stored.client_secret, stored.access_token) == (
        "app-43",
        "secret-1234567890",
        "new-token-0000000",
    )
