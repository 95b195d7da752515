from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "bench.peers.django_tenants.shop"
    label = "shop"
