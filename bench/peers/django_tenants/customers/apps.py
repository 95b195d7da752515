from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "bench.peers.django_tenants.customers"
    label = "customers"
