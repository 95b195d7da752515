"""The settings page's fields as a person fills them in."""

# What the page posts for a new restaurant: open all day every day (a closing time of 00:00
# is midnight at the end of the day), 15-minute preparation and slots, no cap.
PAGE_FIELDS = {
    "region-timezone": "UTC",
    "region-currency": "USD",
    "region-locale": "en_US",
    "tax-rate_percent": "0",
    "tax-inclusive": "added",
    "tips-presets_percent": "10, 15, 20",
    **{
        f"hours-{day}_0_{end}": "00:00"
        for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        for end in ("opens", "closes")
    },
    "closures-closed_dates": "",
    "pickup-prep_minutes": "15",
    "pickup-slot_minutes": "15",
    "pickup-max_orders_per_slot": "0",
    "payments-online": "off",
    "payments-publishable_key": "",
    "kitchen-expo": "y",
}
