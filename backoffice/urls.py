from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("cases/<str:number>/", views.case_by_number, name="case_by_number"),
    path("aftersales/", include("aftersales.urls")),
    path("api/v1/", include("aftersales.api_urls")),
    path("admin/", admin.site.urls),
    path("healthz", login_not_required(views.healthz), name="healthz"),
]
