from django.urls import path

from billing import views

urlpatterns = [
    path("", views.index, name="billing-index"),
    path("checkout/", views.checkout, name="billing-checkout"),
    path("redeem/", views.redeem, name="billing-redeem"),
    path("purchases/", views.purchases, name="billing-purchases"),
    path("purchases/<int:purchase_id>/", views.purchase, name="billing-purchase"),
    path(
        "purchases/<int:purchase_id>/cancel/", views.purchase_cancel, name="billing-purchase-cancel"
    ),
    path("stripe/webhook/", views.stripe_webhook, name="billing-stripe-webhook"),
]
