from django.urls import path

from aftersales import views
from aftersales.desk import DESK
from backoffice.desk import views as desk

app_name = "aftersales"
urlpatterns = [
    path("queue/<slug:queue>/", desk.queue, {"desk": DESK}, name="queue"),
    path("queue/<slug:queue>/live/", desk.queue_live, {"desk": DESK}, name="queue_live"),
    path("nav-counts/", desk.nav_counts, {"desk": DESK}, name="nav_counts"),
    path("take-next/", desk.take_next, {"desk": DESK}, name="take_next"),
    path("new/", views.new_case, name="new_case"),
    path("case/<str:number>/", desk.case_page, {"desk": DESK}, name="case"),
    path("case/<str:number>/check/<slug:action>/", views.check_payout, name="check_payout"),
    path("case/<str:number>/<slug:action>/", desk.case_action, {"desk": DESK}, name="case_action"),
]
