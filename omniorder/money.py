"""Money is an int of cents everywhere; this is the one place it becomes text."""


def format_cents(cents: int) -> str:
    """1000 → "$10.00", -250 → "-$2.50"."""
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(int(cents)), 100)
    return f"{sign}${whole:,}.{fraction:02d}"
