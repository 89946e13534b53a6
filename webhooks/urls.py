from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("new/", views.subscription_create, name="create"),
    path("<int:subscription_id>/", views.subscription_detail, name="detail"),
    path("<int:subscription_id>/rotate-secret/", views.subscription_rotate, name="rotate_secret"),
    path("<int:subscription_id>/deactivate/", views.subscription_deactivate, name="deactivate"),
    path("<int:subscription_id>/test/", views.subscription_test, name="test"),
    path("deliveries/<int:delivery_id>/", views.delivery_detail, name="delivery"),
    path("deliveries/<int:delivery_id>/redeliver/", views.delivery_redeliver, name="redeliver"),
    path("events/<int:event_id>/", views.event_detail, name="event"),
]
