from django.urls import path

from backoffice.desk import views as desk
from logistics import views
from logistics.desk import DESK

app_name = "logistics"
urlpatterns = [
    path("queue/<slug:queue>/", desk.queue, {"desk": DESK}, name="queue"),
    path("queue/<slug:queue>/live/", desk.queue_live, {"desk": DESK}, name="queue_live"),
    path("nav-counts/", desk.nav_counts, {"desk": DESK}, name="nav_counts"),
    path("take-next/", desk.take_next, {"desk": DESK}, name="take_next"),
    path("run-detection/", views.run_detection, name="run_detection"),
    path("report-out-of-stock/", views.report_out_of_stock, name="report_out_of_stock"),
    path("case/<str:number>/", desk.case_page, {"desk": DESK}, name="case"),
    path("case/<str:number>/<slug:action>/", desk.case_action, {"desk": DESK}, name="case_action"),
]
