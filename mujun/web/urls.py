from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from mujun.web import land, presets, scitech, views

urlpatterns = [
    path("", views.home, name="home"),
    path("overview/", views.overview, name="overview"),
    path("enterprises/", views.enterprises, name="enterprises"),
    path("enterprises/<str:uscc>/", views.profile, name="profile"),
    path("enterprises/<str:uscc>/explain/", views.explain, name="explain"),
    path("enterprises/<str:uscc>/object/", views.file_objection, name="file_objection"),
    path("map/", views.parcel_map, name="map"),
    path("map/data.json", views.map_data, name="map_data"),
    path("parcels/<path:parcel_id>/", views.parcel_detail, name="parcel"),
    path("data/", views.data, name="data"),
    path("data/<int:pk>/", views.version, name="version"),
    path("data/<int:pk>/report.xlsx", views.version_report, name="version_report"),
    path("runs/", views.runs, name="runs"),
    path("runs/<int:pk>/", views.run, name="run"),
    path("runs/<int:pk>/published.xlsx", views.run_xlsx, name="run_xlsx"),
    path("runs/<int:pk>/summary.pdf", views.run_pdf, name="run_pdf"),
    path("objections/", views.objections, name="objections"),
    path("objections/<int:pk>/", views.objection, name="objection"),
    path("audit/", views.audit, name="audit"),
    path("presets/", presets.presets, name="presets"),
    path("presets/<str:name>/edit/", presets.edit, name="preset_edit"),
    path("land/", land.land, name="land"),
    path("land/projects/", land.screen, name="screen"),
    path("scitech/", scitech.zone, name="scitech"),
    path("scitech/report.pdf", scitech.report_pdf, name="scitech_report"),
    path("scitech/tasks/<int:pk>/", scitech.task, name="task"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(
            template_name="web/password_change.html",
            success_url=reverse_lazy("password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="web/password_change_done.html"),
        name="password_change_done",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
