"""The menu as GET /api/v1/menu shows it to customers and scripts."""


def api_menu(client, tenant) -> dict:
    response = client.get("/api/v1/menu", headers={"Host": tenant.domain})
    assert response.status_code == 200, response.data
    return response.get_json()


def api_item(client, tenant, name) -> dict:
    return next(item for item in api_menu(client, tenant)["items"] if item["name"] == name)
