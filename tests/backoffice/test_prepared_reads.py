"""Reads every page makes (roles, unread notices, timed-work notes): their SQL written once, their rows the ORM's."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from backoffice import sweeps
from backoffice.cases.forms import staff_list, staff_on_duty
from backoffice.models import Customer, Notification, StaffProfile
from backoffice.prepared import ID, TEXT, PreparedRead
from backoffice.staff import notifications
from backoffice.staff.roles import Role, staff_choice_label, user_roles
from backoffice.store.cache import store_settings_scope
from tests.factories import AgentFactory, CaseFactory, CustomerFactory, SupervisorFactory, UserFactory

pytestmark = pytest.mark.django_db


def _names(user_id):
    return Group.objects.filter(user__id=user_id).values_list("name")


def test_a_read_is_compiled_once_and_gives_each_callers_rows(compiled):
    agent, supervisor = AgentFactory(), SupervisorFactory()
    read = PreparedRead(_names, values=(ID,))

    assert read.rows(agent.pk) == list(_names(agent.pk))
    compiled.clear()
    assert read.rows(supervisor.pk) == [(Role.SUPERVISOR,)]
    assert read.rows(agent.pk) == [(Role.AGENT,)]
    assert compiled == []


def test_the_values_are_parameters_never_sql_text():
    read = PreparedRead(_names, values=(ID,))

    sql, params = read.sql(424242)

    assert "424242" not in sql and params == [424242]


def test_the_wrong_number_of_values_or_a_value_the_read_ignores_is_refused():
    with pytest.raises(TypeError):
        PreparedRead(_names, values=(ID,)).rows()
    with pytest.raises(ValueError, match="every value"):
        PreparedRead(lambda user_id: Group.objects.values_list("name"), values=(ID,)).rows(1)


def test_datetimes_come_back_aware_as_from_the_orm(supervisor):
    when = timezone.now().replace(microsecond=0) - dt.timedelta(hours=3)
    sweeps.record_run("sweep-outbox", now=when)

    status = next(status for status in sweeps.sweep_statuses() if status.name == "sweep-outbox")

    assert status.last_ran_at == when and timezone.is_aware(status.last_ran_at)


def test_a_person_s_roles_follow_their_groups_on_each_request(agent):
    assert user_roles(agent) == {Role.AGENT}
    agent.groups.add(Group.objects.get(name=Role.SUPERVISOR))
    agent.__dict__.pop("_role_names", None)  # a new request's user

    assert user_roles(agent) == {Role.AGENT, Role.SUPERVISOR}


def test_unread_notices_newest_first_with_their_case(agent, agent_client, in_english):
    case = CaseFactory()
    old = Notification.objects.create(
        recipient=agent, case=None, kind=Notification.Kind.PLATFORM_INTERVENED, body="<b>first</b>"
    )
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=1))
    new = Notification.objects.create(recipient=agent, case=case, kind=Notification.Kind.PLATFORM_INTERVENED, body="")
    Notification.objects.create(recipient=agent, case=None, kind="x", body="read", read_at=timezone.now())

    notices = notifications.unread(agent)

    assert [notice.pk for notice in notices] == [new.pk, old.pk]
    assert notices[0].case_number == case.number and notices[1].case_number is None
    assert timezone.is_aware(notices[0].created_at)
    page = in_english(agent_client).get(reverse("aftersales:queue", args=["mine"])).text
    assert "2 unread notices" in page and case.number in page and "Platform intervened" in page
    assert "&lt;b&gt;first&lt;/b&gt;" in page  # the text is escaped


def test_more_unread_notices_than_a_page_lists_are_counted(agent, agent_client, in_english):
    Notification.objects.bulk_create(
        Notification(recipient=agent, case=CaseFactory(), kind=Notification.Kind.PLATFORM_INTERVENED, body="")
        for _ in range(notifications.UNREAD_SHOWN + 2)
    )

    page = in_english(agent_client).get(reverse("aftersales:queue", args=["mine"])).text

    assert f"{notifications.UNREAD_SHOWN + 2} unread notices" in page
    assert page.count("Open and mark read") == notifications.UNREAD_SHOWN


def test_the_staff_list_names_each_person_and_who_is_on_duty(agent, agent2, supervisor, django_assert_num_queries):
    StaffProfile.objects.update_or_create(user=agent, defaults={"on_duty": True})
    StaffProfile.objects.update_or_create(user=agent2, defaults={"on_duty": False})
    customer_only = UserFactory(username="not-staff")

    with store_settings_scope(), django_assert_num_queries(1):
        staff = staff_list()
        labels = [staff_choice_label(user) for user in staff]
        duty = [staff_on_duty(user) for user in (agent, agent2, supervisor)]

    assert [user.pk for user in staff] == [agent.pk, agent2.pk, supervisor.pk]  # by login
    assert labels == ["王小丽 (agent)", "李娜 (agent2)", "张敏 (supervisor)"]
    assert duty == [True, False, False]
    assert customer_only.pk not in {user.pk for user in staff}


def test_a_text_is_matched_exactly_or_as_an_escaped_pattern_as_the_orm_would():
    def build(text):
        return Customer.objects.filter(Q(name=text) | Q(nickname__startswith=text)).values_list("pk")

    read = PreparedRead(build, values=(TEXT,))
    exact, pattern = CustomerFactory(name="50%_off"), CustomerFactory(nickname="50%_off and more")
    CustomerFactory(nickname="500 off"), CustomerFactory(name="50")

    assert sorted(pk for (pk,) in read.rows("50%_off")) == sorted([exact.pk, pattern.pk])
    assert read.sql("50%_off")[1] == list(build("50%_off").query.sql_with_params()[1])
