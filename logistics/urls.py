from django.urls import path

from logistics import views

app_name = "logistics"
urlpatterns = [
    path("queue/<slug:queue>/", views.queue, name="queue"),
    path("nav-counts/", views.nav_counts, name="nav_counts"),
    path("take-next/", views.take_next, name="take_next"),
    path("run-detection/", views.run_detection, name="run_detection"),
    path("report-out-of-stock/", views.report_out_of_stock, name="report_out_of_stock"),
    path("case/<str:number>/", views.case_page, name="case"),
    path("case/<str:number>/<slug:action>/", views.case_action, name="case_action"),
]
