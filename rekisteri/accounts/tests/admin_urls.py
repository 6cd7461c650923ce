"""A URL configuration with the Django admin mounted, as REKISTERI_ADMIN_ENABLED=true does."""

from django.contrib import admin
from django.urls import path

from rekisteri.urls import urlpatterns as base_patterns

urlpatterns = [*base_patterns, path("admin/", admin.site.urls)]
