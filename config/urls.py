from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from accounts import views as account_views
from config import health
from proxy import pages as proxy_pages
from usage import views as usage_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("dashboard/", usage_views.dashboard, name="dashboard"),
    path("account/switch/", account_views.switch_account, name="accounts-switch"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("docs/", include("config.guides.urls")),
    path("models/", proxy_pages.models_pricing, name="models-pricing"),
    path("billing/", include("billing.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("tokens/", include("tokens.urls")),
    path("api/tokens/", include("tokens.api")),
    path("usage/", include("usage.urls")),
    path("api/usage/", include("usage.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]

handler404 = "accounts.views.page_not_found"
handler500 = "accounts.views.server_error"
