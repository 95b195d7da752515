"""The two demo restaurants of the README, provisioned by ``flask demo`` when missing."""

from omniorder.errors import Conflict
from omniorder.services.tenants import (
    PROVISIONING_FIELDS,
    StaffLogin,
    list_tenants,
    provision_tenant,
)

DEMO_TENANTS = [
    {
        "name": "Pizza Hut",
        "domain": "pizza.localhost",
        "schema_name": "tenant_pizzahut",
        "theme_config": {"preset": "bold", "primary_color": "#d62300", "font_family": "rounded"},
        "admin_email": "admin@pizza.localhost",
        "admin_password": "pizza-demo-admin",
        "kitchen_email": "kitchen@pizza.localhost",
        "kitchen_password": "pizza-demo-kitchen",
        "menu": [
            {"name": "Pizzas", "items": [
                {"name": "Margherita", "description": "Tomato, mozzarella, basil.",
                 "price": 1100},
                {"name": "Pepperoni", "description": "Tomato, mozzarella, spicy pepperoni.",
                 "price": 1350},
                {"name": "Quattro Formaggi", "description": "Four cheeses, no tomato.",
                 "price": 1450},
                {"name": "Veggie Supreme", "description": "Peppers, olives, onion, mushrooms.",
                 "price": 1300},
            ]},
            {"name": "Sides", "items": [
                {"name": "Garlic Bread", "description": "With herb butter.", "price": 500},
                {"name": "Chicken Wings", "description": "Six wings, smoky glaze.", "price": 750},
                {"name": "Caesar Salad", "description": None, "price": 800},
            ]},
            {"name": "Drinks & Dessert", "items": [
                {"name": "Cola", "description": "330 ml can.", "price": 250},
                {"name": "Lemonade", "description": "Freshly squeezed.", "price": 350},
                {"name": "Tiramisu", "description": "Dessert of the house.", "price": 600},
            ]},
        ],
    },
    {
        "name": "Sushi Zen",
        "domain": "sushi.localhost",
        "schema_name": "tenant_sushizen",
        "theme_config": {"preset": "dark", "primary_color": "#0ea5e9", "font_family": "serif"},
        "admin_email": "admin@sushi.localhost",
        "admin_password": "sushi-demo-admin",
        "kitchen_email": "kitchen@sushi.localhost",
        "kitchen_password": "sushi-demo-kitchen",
        "menu": [
            {"name": "Nigiri", "items": [
                {"name": "Salmon Nigiri", "description": "Two pieces.", "price": 600},
                {"name": "Tuna Nigiri", "description": "Two pieces.", "price": 700},
                {"name": "Eel Nigiri", "description": "Two pieces, sweet soy glaze.",
                 "price": 750},
            ]},
            {"name": "Rolls", "items": [
                {"name": "California Roll", "description": "Crab, avocado, cucumber.",
                 "price": 900},
                {"name": "Spicy Tuna Roll", "description": "Tuna, chili mayo, scallion.",
                 "price": 1050},
                {"name": "Dragon Roll", "description": "Eel, avocado, tobiko.", "price": 1400},
                {"name": "Cucumber Maki", "description": None, "price": 500},
            ]},
            {"name": "Drinks", "items": [
                {"name": "Green Tea", "description": "Hot, refillable.", "price": 300},
                {"name": "Ramune", "description": "Japanese lemon soda.", "price": 400},
                {"name": "Miso Soup", "description": "Tofu, wakame, scallion.", "price": 350},
            ]},
        ],
    },
]


def ensure_demo_tenants() -> list[tuple[dict, bool]]:
    """Provision each missing demo tenant with its kitchen login, all in the caller's unit of
    work (so a crash leaves no restaurant without its tablet login); (demo, created) pairs."""
    existing = {tenant.domain for tenant in list_tenants()}
    outcome = []
    for demo in DEMO_TENANTS:
        created = False
        if demo["domain"] not in existing:
            kitchen = StaffLogin(demo["kitchen_email"], "kitchen", "Kitchen tablet",
                                 demo["kitchen_password"])
            try:
                provision_tenant(**{key: demo[key] for key in PROVISIONING_FIELDS},
                                 menu=demo["menu"], staff=(kitchen,))
                created = True
            except Conflict:  # provisioned concurrently by another process: fine
                pass
        outcome.append((demo, created))
    return outcome
