from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from backoffice import views
from backoffice.desk import live
from backoffice.staff import views as notification_views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Logged-out people can switch language too (the login page has the switch).
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("duty/", views.toggle_duty, name="toggle_duty"),
    path("notifications/<int:pk>/read/", notification_views.read_notification, name="notification_read"),
    path("cases/<str:number>/", views.case_by_number, name="case_by_number"),
    path("cases/<str:number>/phrases/", views.case_phrases, name="case_phrases"),
    path("cases/<str:number>/live/", live.case_live, name="case_live"),
    path("aftersales/", include("aftersales.urls")),
    path("logistics/", include("logistics.urls")),
    path("followups/", include("backoffice.followups.urls")),
    path("surveys/", include("surveys.urls")),
    path("s/", include("surveys.public_urls")),
    path("supervisor/", include("backoffice.supervisor.urls")),
    path("quality/", include("quality.urls")),
    path("imports/", include("backoffice.platform.urls")),
    path("api/v1/", include("aftersales.api_urls")),
    path("admin/", admin.site.urls),
    path("healthz", login_not_required(views.healthz), name="healthz"),
]
