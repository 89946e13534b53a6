from django.urls import path

app_name = "qc"

urlpatterns: list = []
