from django.urls import path

from surveys import views

app_name = "surveys"
urlpatterns = [
    path("callbacks/", views.callbacks, name="callbacks"),
    path("callbacks/take-next/", views.take_next, name="take_next"),
    path("callbacks/queue/<slug:queue>/", views.callback_queue, name="callback_queue"),
    path("callback/<str:number>/", views.callback_page, name="callback"),
    path("callback/<str:number>/<slug:action>/", views.callback_action, name="callback_action"),
    path("results/", views.results, name="results"),
]
