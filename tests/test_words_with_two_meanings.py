"""One English word, two meanings, two Chinese words: each use names its meaning (pgettext), so the admin's
breadcrumb is 首页 (not the product category 家居), a chart's goal line is 目标 (not an audit row's 对象) and the
previous period is 上期 (not an audit change's 修改前)."""

from types import SimpleNamespace

from django.template.loader import render_to_string
from django.utils import translation

from backoffice.models import CaseEvent, Product


def test_the_admin_breadcrumb_says_home_page_not_the_product_category(admin_client_store, store):
    page = admin_client_store.get("/admin/backoffice/storesettings/", follow=True).text

    assert '<a href="/admin/">首页</a>' in page
    assert "家居" not in page


def test_the_product_category_is_still_home_furnishing():
    with translation.override("zh-hans"):
        assert str(Product.Category.HOME.label) == "家居"


def test_a_chart_goal_line_says_goal_and_an_audit_row_says_object():
    chart = SimpleNamespace(
        width=300, height=120, left=30, grid=[], columns=[], target_y=40, target_text="90%", plot_top=0, plot_h=100
    )
    with translation.override("zh-hans"):
        svg = render_to_string("supervisor/charts/columns.html", {"chart": chart, "title": "t"})
        assert str(CaseEvent._meta.get_field("target").verbose_name) == "对象"
        assert str(CaseEvent._meta.get_field("before").verbose_name) == "修改前"
    assert "目标 90%" in svg
    assert "对象" not in svg


def test_the_previous_period_says_previous_period():
    report = SimpleNamespace(
        total=SimpleNamespace(p50=7200, p90=18000, within_rate=90.0),
        previous=SimpleNamespace(p50=10800, p90=21600, within_rate=80.0),
    )
    with translation.override("zh-hans"):
        html = render_to_string(
            "supervisor/_handling.html", {"report": report, "chart": None, "title": "t", "slug": "refunds"}
        )
    assert "上期" in html
    assert "修改前" not in html
