"""What a kitchen tablet reads off the board."""

import re


def since_token(html):
    return re.search(r"/kitchen/board\?since=([0-9-]+)", html).group(1)


def place_named(client, app, tenant, name: str, items, language: str | None = None) -> dict:
    """Place an order over the API for `items` ((menu item name, quantity), …), by a customer
    reading `language` (Accept-Language) when given; its JSON."""
    from tests.support.storefront import menu

    found = menu(app, tenant)
    response = client.post(
        "/api/v1/orders",
        headers={"Host": tenant.domain, **({"Accept-Language": language} if language else {})},
        json={
            "customer_name": name,
            "items": [
                {"menu_item_id": str(found[item].id), "quantity": quantity}
                for item, quantity in items
            ],
        },
    )
    assert response.status_code == 201, response.text
    return response.json
