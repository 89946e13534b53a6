from django.urls import path

from . import views

app_name = "merchants"

# Mounted under /seller/ (config/web_urls.py).
urlpatterns = [
    path("", views.merchant_list, name="list"),
    path("merchants/<int:merchant_id>/edit/", views.merchant_edit, name="edit"),
    path("merchants/<int:merchant_id>/people/add/", views.person_add, name="person_add"),
    path(
        "merchants/<int:merchant_id>/people/<int:person_id>/edit/",
        views.person_edit,
        name="person_edit",
    ),
    path(
        "merchants/<int:merchant_id>/people/<int:person_id>/remove/",
        views.person_remove,
        name="person_remove",
    ),
]
