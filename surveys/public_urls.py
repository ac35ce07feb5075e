"""The customer's survey page: public (no login), under a short prefix because the link goes out in a message."""

from django.urls import path

from surveys import views

app_name = "survey_public"
urlpatterns = [path("<str:token>/", views.answer, name="answer")]
