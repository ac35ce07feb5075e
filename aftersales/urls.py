from django.urls import path

from . import views

app_name = "aftersales"
urlpatterns = [
    path("queue/<slug:queue>/", views.queue, name="queue"),
]
