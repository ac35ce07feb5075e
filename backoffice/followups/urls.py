from django.urls import path

from backoffice.followups import views

app_name = "followups"
urlpatterns = [
    path("", views.results, name="results"),
    path("outbox/", views.outbox_page, name="outbox"),
    path("outbox/retry-all/", views.retry_all, name="retry_all"),
    path("outbox/<int:pk>/retry/", views.retry_message, name="retry"),
]
