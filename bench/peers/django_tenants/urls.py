from django.urls import path

from bench.peers.django_tenants.shop.views import checkout

urlpatterns = [path("api/v1/orders", checkout)]
