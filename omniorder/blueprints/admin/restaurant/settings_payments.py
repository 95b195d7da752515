"""The settings page's "Online payments" part: the mode, the publishable key, and the two
secrets as password inputs that are always empty. An empty secret input keeps the stored one;
its "remove" box removes it; what is stored is shown only as "set, ending in abcd"
(`public_payments`)."""

from omniorder.settings.payments import SECRET_FIELDS, path_of, public_payments

PAYMENTS_FIELDS = {
    "payments": "online",
    "payments.online": "online",
    "payments.stripe": "online",
    **{path_of(name): name for name in ("publishable_key", *SECRET_FIELDS)},
}


def load_payments(document: dict) -> dict:
    payments = public_payments(document["payments"])
    return {
        "online": payments["online"],
        "publishable_key": payments["stripe"]["publishable_key"] or "",
    }


def _typed(field) -> str:
    return field.data.strip() if isinstance(field.data, str) else ""


def change_payments(form, locale: str) -> dict:
    """A typed secret replaces the stored one; none typed keeps it, unless its box says remove.
    An empty publishable key removes it (it is not secret: the input shows it)."""
    stripe = {"publishable_key": _typed(form.publishable_key) or None}
    for name in SECRET_FIELDS:
        typed = _typed(form[name])
        if typed:
            stripe[name] = typed
        elif form[f"remove_{name}"].data:
            stripe[name] = None
    return {"payments": {"online": form.online.data, "stripe": stripe}}


def secret_states(document: dict) -> dict[str, dict | None]:
    """What the page says of each stored secret: ``{"set": true, "last4": …}`` or None."""
    return {name: public_payments(document["payments"])["stripe"][name] for name in SECRET_FIELDS}
