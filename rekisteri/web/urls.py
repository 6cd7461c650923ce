from django.urls import path

from rekisteri.web import views

app_name = "web"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
