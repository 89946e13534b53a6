from django.urls import path

from . import api

urlpatterns = [
    path(
        "webhooks/subscriptions/",
        api.SubscriptionListView.as_view(),
        name="webhook-subscription-list",
    ),
    path(
        "webhooks/subscriptions/<int:subscription_id>/",
        api.SubscriptionDetailView.as_view(),
        name="webhook-subscription-detail",
    ),
    path(
        "webhooks/subscriptions/<int:subscription_id>/rotate-secret/",
        api.SubscriptionRotateSecretView.as_view(),
        name="webhook-subscription-rotate-secret",
    ),
    path(
        "webhooks/subscriptions/<int:subscription_id>/test/",
        api.SubscriptionTestView.as_view(),
        name="webhook-subscription-test",
    ),
    path("webhooks/deliveries/", api.DeliveryListView.as_view(), name="webhook-delivery-list"),
    path(
        "webhooks/deliveries/<int:delivery_id>/",
        api.DeliveryDetailView.as_view(),
        name="webhook-delivery-detail",
    ),
    path(
        "webhooks/deliveries/<int:delivery_id>/redeliver/",
        api.DeliveryRedeliverView.as_view(),
        name="webhook-delivery-redeliver",
    ),
    path("webhooks/event-types/", api.EventTypeListView.as_view(), name="webhook-event-types"),
]
