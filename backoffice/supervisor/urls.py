from django.urls import path

from backoffice.supervisor import views

app_name = "supervisor"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("assign/", views.bulk_assign, name="bulk_assign"),
    path("audit/", views.audit_log, name="audit"),
    path("audit.csv", views.audit_csv, name="audit_csv"),
    path("reports/", views.reports_page, name="reports"),
    path("reports/<slug:report>.csv", views.report_csv, name="report_csv"),
]
