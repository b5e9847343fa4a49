from django.urls import path

from config.guides import views

urlpatterns = [
    path("", views.index, name="docs-index"),
    path("<slug:slug>/", views.page, name="docs-page"),
]
