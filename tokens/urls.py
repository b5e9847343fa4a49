from django.urls import path

from tokens import views

urlpatterns = [
    path("", views.token_list, name="tokens-list"),
    path("new/", views.token_create, name="tokens-create"),
    path("<int:pk>/", views.token_detail, name="tokens-detail"),
    path("<int:pk>/edit/", views.token_edit, name="tokens-edit"),
    path("<int:pk>/revoke/", views.token_revoke, name="tokens-revoke"),
    path("<int:pk>/rotate/", views.token_rotate, name="tokens-rotate"),
]
