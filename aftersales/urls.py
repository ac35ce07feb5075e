from django.urls import path

from aftersales import views

app_name = "aftersales"
urlpatterns = [
    path("queue/<slug:queue>/", views.queue, name="queue"),
    path("nav-counts/", views.nav_counts, name="nav_counts"),
    path("take-next/", views.take_next, name="take_next"),
    path("new/", views.new_case, name="new_case"),
    path("case/<str:number>/", views.case_page, name="case"),
    path("case/<str:number>/<slug:action>/", views.case_action, name="case_action"),
]
