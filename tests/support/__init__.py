"""Helpers the tests share: a customer's and a staff member's steps (storefront, staff), orders
written straight into a tenant's table (orders), a migrations tree with one more revision
(migrations), the app and the test databases (app), and more per room (mail, webhooks, kitchen,
settings, openapi, workers, localstripe: a fake Stripe for payments). Test modules import from
here and from harness/, never from each other, from conftest or from the benchmarks."""

from harness import REPOSITORY

__all__ = ["REPOSITORY"]
