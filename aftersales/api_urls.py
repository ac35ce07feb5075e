from django.urls import path

from aftersales import api

urlpatterns = [
    path("messages", api.post_message, name="api_messages"),
    path("applications", api.post_application, name="api_applications"),
]
