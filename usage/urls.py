from django.urls import path

from usage import views

urlpatterns = [
    path("", views.usage_index, name="usage-index"),
    path("export.csv", views.usage_export, name="usage-export"),
    path("requests/", views.request_log, name="usage-requests"),
    path("requests/<str:request_id>/", views.request_detail, name="usage-request"),
    path("profile/", views.profile, name="usage-profile"),
    path("staff/", views.staff_overview, name="usage-staff"),
]
