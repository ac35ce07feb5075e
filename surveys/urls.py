from django.urls import path

from backoffice.desk import views as desk
from surveys import views
from surveys.desk import DESK

app_name = "surveys"
urlpatterns = [
    path("callbacks/", views.callbacks, {"desk": DESK}, name="callbacks"),
    path("callbacks/take-next/", desk.take_next, {"desk": DESK}, name="take_next"),
    path("callbacks/nav-counts/", desk.nav_counts, {"desk": DESK}, name="nav_counts"),
    path("callbacks/queue/<slug:queue>/", desk.queue, {"desk": DESK}, name="callback_queue"),
    path("callbacks/queue/<slug:queue>/live/", desk.queue_live, {"desk": DESK}, name="callback_queue_live"),
    path("callback/<str:number>/", desk.case_page, {"desk": DESK}, name="callback"),
    path("callback/<str:number>/<slug:action>/", desk.case_action, {"desk": DESK}, name="callback_action"),
    path("results/", views.results, name="results"),
]
