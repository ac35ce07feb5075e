from django.urls import path

from quality import views

app_name = "quality"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("add/", views.add_case, name="add_case"),
    path("draw/", views.draw, name="draw"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/<int:pk>/", views.review_page, name="review"),
    path("reviews/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("reports/", views.reports_page, name="reports"),
    path("reports/<slug:report>.csv", views.report_csv, name="report_csv"),
    path("mine/", views.mine, name="mine"),
    path("mine/<int:pk>/", views.my_review, name="my_review"),
    path("phrases/check/", views.check_phrases, name="check_phrases"),
]
