"""The tenant app: menu items and orders, in every tenant schema."""

import uuid

from django.db import models
from django.db.models.functions import Now


class MenuItem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    price = models.IntegerField()  # minor units
    is_available = models.BooleanField(default=True)


class Order(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # An identity column from 1001 (migration 0001 turns the default into one, as ours is);
    # `db_default` makes Django leave it to the database and read it back with RETURNING.
    number = models.IntegerField(unique=True, db_default=0, editable=False)
    customer_name = models.CharField(max_length=200)
    items = models.JSONField()  # the snapshot of what was bought (jsonb)
    subtotal = models.BigIntegerField()
    total = models.BigIntegerField()
    created_at = models.DateTimeField(db_default=Now())
