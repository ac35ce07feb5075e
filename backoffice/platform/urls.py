from django.urls import path

from backoffice.platform import views

app_name = "imports"
urlpatterns = [
    path("", views.jobs, name="jobs"),
    path("<int:pk>/", views.job, name="job"),
    path("<int:pk>/import/", views.run, name="run"),
    path("<int:pk>/resume/", views.resume, name="resume"),
]
