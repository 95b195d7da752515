"""Several gunicorn workers seen from outside: which one answered, and provisioning through
the system API."""

import http.client

from tests.support.app import SYS_TOKEN


def get_status(port: int, host: str, path: str = "/api/v1/menu") -> int:
    """One request on a fresh connection (so the sync workers share them out)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": host})
        return connection.getresponse().status
    finally:
        connection.close()


def provision(port: int, domain: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "POST",
            "/api/v1/sys/provision",
            headers={"Authorization": f"Bearer {SYS_TOKEN}", "Content-Type": "application/json"},
            body=f'{{"name": "Fresh Diner", "domain": "{domain}", "admin_email": "boss@{domain}"}}',
        )
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()
