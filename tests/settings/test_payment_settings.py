"""Online payments in the settings document: the mode, the restaurant's Stripe keys, and the two
secret ones kept sealed at rest and never shown again (the system API, `flask tenants settings`,
the admin page, an export, messages), rotated with `flask tenants rotate-secrets`."""

import json
import uuid
import zipfile

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from omniorder import create_app
from omniorder.core.secrets import SecretUnreadable
from omniorder.core.unit_of_work import unit_of_work
from omniorder.settings.document import current_settings
from omniorder.settings.payments import online_payment_mode, stripe_keys
from omniorder.tenancy.bind import tenant_context
from omniorder.tenancy.registry import tenant_registry
from tests.support.app import ENCRYPTION_KEY, SYS_TOKEN, make_app
from tests.support.settings import PAGE_FIELDS
from tests.support.staff import signed_in

AUTH = {"Authorization": f"Bearer {SYS_TOKEN}"}
PK = "pk_test_51PublishableKeyAbCd"
SK = "sk_test_51SecretKeyValueQz8f3Q"
WH = "whsec_WebhookSigningSecretMn7Kx2"
KEYS = {"publishable_key": PK, "secret_key": SK, "webhook_secret": WH}
MASKED = {
    "publishable_key": PK,
    "secret_key": {"set": True, "last4": "8f3Q"},
    "webhook_secret": {"set": True, "last4": "7Kx2"},
}
# What must never be read back: the secrets, and their parts before the last 4 characters.
NEVER_SHOWN = (SK, WH, SK[:-4], WH[:-4])


@pytest.fixture(autouse=True)
def _forget_failed_attempts():
    from omniorder.blueprints import sysapi

    sysapi._failures.clear()
    yield
    sysapi._failures.clear()


def url(tenant) -> str:
    return f"/api/v1/sys/tenants/{tenant.domain}/settings"


def patch(client, tenant, change):
    return client.patch(url(tenant), json=change, headers=AUTH)


def payments_row(db_connection, tenant) -> dict | None:
    """The stored ``payments`` as it is in the database."""
    document = db_connection.scalar(
        text(f'SELECT document FROM "{tenant.schema_name}".settings')  # noqa: S608
    )
    db_connection.rollback()
    return document.get("payments")


def is_holder(db_connection, tenant) -> bool:
    held = db_connection.scalar(
        text("SELECT count(*) FROM public.secret_holders WHERE schema_name = :s"),
        {"s": tenant.schema_name},
    )
    db_connection.rollback()
    return held == 1


def assert_hidden(text_read: str) -> None:
    for secret in NEVER_SHOWN:
        assert secret not in text_read


def configure(client, tenant, online="optional"):
    response = patch(client, tenant, {"payments": {"online": online, "stripe": KEYS}})
    assert response.status_code == 200, response.text
    return response


def keys_of(app, tenant):
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        settings = current_settings()
        return online_payment_mode(settings), stripe_keys(settings)


# --- on, off, and the keys it needs ---------------------------------------------------------


def test_payments_are_off_until_turned_on_with_all_three_keys(app, client, runner, tenant):
    assert keys_of(app, tenant) == ("off", None)
    missing = {f"payments.stripe.{name}" for name in KEYS}
    for online in ("optional", "required"):
        refused = patch(client, tenant, {"payments": {"online": online}})
        # well-formed, but the stored document lacks the keys: a rule no schema can state
        assert refused.status_code == 422, refused.text
        assert set(refused.json["fields"]) == missing
    refused = patch(
        client, tenant, {"payments": {"online": "required", "stripe": {"publishable_key": PK}}}
    )
    assert set(refused.json["fields"]) == missing - {"payments.stripe.publishable_key"}
    printed = runner.invoke(
        args=["tenants", "settings", tenant.domain, "--set", "payments.online=optional"]
    )
    assert printed.exit_code == 2 and "payments.stripe.secret_key" in printed.output
    assert keys_of(app, tenant) == ("off", None)  # nothing saved

    answer = configure(client, tenant).json["payments"]
    assert answer == {"online": "optional", "stripe": MASKED}
    mode, keys = keys_of(app, tenant)
    assert mode == "optional"
    assert (keys.publishable_key, keys.secret_key, keys.webhook_secret) == (PK, SK, WH)
    assert SK not in repr(keys) and WH not in repr(keys)
    assert patch(client, tenant, {"payments": {"online": "off"}}).status_code == 200
    assert keys_of(app, tenant)[0] == "off"


@pytest.mark.parametrize(
    "name, value",
    [
        ("secret_key", "pk_test_51WrongKindOfKeyValue"),
        ("secret_key", "sk_test 51 has spaces in it"),
        ("secret_key", "sk_short"),
        ("secret_key", "sk_" + "x" * 300),
        ("secret_key", 51),
        ("secret_key", ["sk_test_51SecretKeyValueQz8f3Q"]),
        ("webhook_secret", "sk_test_51NotAWebhookSecret"),
        ("webhook_secret", "whsec_\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"),
        ("publishable_key", "sk_test_51SecretKeyValueQz8f3Q"),
        ("publishable_key", ""),
    ],
)
def test_a_key_of_the_wrong_shape_is_400_naming_it_never_repeating_it(
    client, tenant, db_connection, name, value
):
    response = patch(client, tenant, {"payments": {"stripe": {name: value}}})
    assert response.status_code == 400, response.text
    assert list(response.json["fields"]) == [f"payments.stripe.{name}"]
    if isinstance(value, str) and len(value) > 12:
        assert value not in response.text and value[3:-4] not in response.text
    assert payments_row(db_connection, tenant) is None


def test_unknown_keys_and_modes_are_400(client, tenant):
    for change, paths in [
        ({"payments": {"online": "always"}}, {"payments.online"}),
        ({"payments": {"online": True}}, {"payments.online"}),
        ({"payments": "on"}, {"payments"}),
        ({"payments": {"stripe": None}}, {"payments.stripe"}),
        ({"payments": {"paypal": {}}}, {"payments.paypal"}),
        ({"payments": {"stripe": {"account": "acct_1"}}}, {"payments.stripe.account"}),
    ]:
        response = patch(client, tenant, change)
        assert response.status_code == 400, change
        assert set(response.json["fields"]) == paths, change


# --- sealed at rest, masked in every read ---------------------------------------------------


def test_secrets_are_stored_sealed_and_every_read_is_masked(
    app, client, runner, tenant, db_connection, tmp_path, caplog
):
    caplog.set_level("DEBUG")
    answer = configure(client, tenant)
    assert_hidden(answer.text)

    stored = payments_row(db_connection, tenant)
    assert_hidden(json.dumps(stored))
    assert stored["stripe"]["publishable_key"] == PK  # not a secret: stored as given
    fernet = Fernet(ENCRYPTION_KEY)
    for name, secret in (("secret_key", SK), ("webhook_secret", WH)):
        sealed = stored["stripe"][name]
        assert sealed["last4"] == secret[-4:]
        assert fernet.decrypt(sealed["sealed"].encode()).decode() == secret
    assert is_holder(db_connection, tenant)

    read = client.get(url(tenant), headers=AUTH)
    assert read.status_code == 200 and read.json["payments"]["stripe"] == MASKED
    assert_hidden(read.text)
    assert "sealed" not in read.text

    printed = runner.invoke(args=["tenants", "settings", tenant.domain])
    assert printed.exit_code == 0
    assert json.loads(printed.output)["payments"]["stripe"] == MASKED
    assert_hidden(printed.output)
    assert "sealed" not in printed.output

    out = tmp_path / "export.zip"
    assert (
        runner.invoke(args=["tenants", "export", tenant.domain, "--out", str(out)]).exit_code == 0
    )
    with zipfile.ZipFile(out) as archive:
        exported = b"".join(archive.read(name) for name in archive.namelist()).decode()
    assert_hidden(exported)
    assert stored["stripe"]["secret_key"]["sealed"] not in exported

    assert_hidden(caplog.text)


def test_reading_back_what_a_read_showed_keeps_the_secrets_and_null_removes_one(
    client, tenant, db_connection
):
    configure(client, tenant)
    before = payments_row(db_connection, tenant)
    shown = client.get(url(tenant), headers=AUTH).json
    # the whole document as read, sent back: nothing changes
    assert patch(client, tenant, shown).status_code == 200
    assert payments_row(db_connection, tenant) == before
    # a nested change keeps the stored secrets beside it
    new_pk = "pk_test_51AnotherPublishable0000"
    changed = patch(client, tenant, {"payments": {"stripe": {"publishable_key": new_pk}}})
    assert changed.json["payments"]["stripe"] == {**MASKED, "publishable_key": new_pk}
    assert (
        payments_row(db_connection, tenant)["stripe"]["secret_key"]
        == (before["stripe"]["secret_key"])
    )
    # while payments are on, a secret cannot go
    refused = patch(client, tenant, {"payments": {"stripe": {"webhook_secret": None}}})
    assert refused.status_code == 422
    assert list(refused.json["fields"]) == ["payments.stripe.webhook_secret"]
    # once off, null removes them; the restaurant no longer holds secrets
    cleared = patch(
        client,
        tenant,
        {"payments": {"online": "off", "stripe": {"secret_key": None, "webhook_secret": None}}},
    )
    assert cleared.status_code == 200
    assert cleared.json["payments"]["stripe"] == {**dict.fromkeys(KEYS), "publishable_key": new_pk}
    assert payments_row(db_connection, tenant)["stripe"]["secret_key"] is None
    assert not is_holder(db_connection, tenant)


def test_no_client_can_plant_a_sealed_token_of_its_own(client, tenant, db_connection):
    planted = Fernet(ENCRYPTION_KEY).encrypt(b"sk_test_51PlantedByTheClient").decode()
    attempts = [
        {"sealed": planted, "last4": "ient"},
        {"set": True, "last4": "ient"},  # nothing stored: there is nothing to keep
        {"set": True},
        {},
    ]
    for value in attempts:
        response = patch(client, tenant, {"payments": {"stripe": {"secret_key": value}}})
        assert response.status_code == 400, value
        assert list(response.json["fields"]) == ["payments.stripe.secret_key"]
    configure(client, tenant)
    before = payments_row(db_connection, tenant)
    for value in [
        {"sealed": planted, "last4": "8f3Q"},  # another token, the stored last 4
        {"set": True, "last4": "abcd"},  # not what a read shows
        {"set": True, "last4": "8f3Q", "sealed": planted},
        {**before["stripe"]["webhook_secret"]},  # the other secret's stored form
    ]:
        response = patch(client, tenant, {"payments": {"stripe": {"secret_key": value}}})
        assert response.status_code == 400, value
        assert planted not in response.text
    assert payments_row(db_connection, tenant) == before


# --- the admin page -------------------------------------------------------------------------


def page_fields(**payments) -> dict:
    return {**PAGE_FIELDS, **{f"payments-{key}": value for key, value in payments.items()}}


def test_the_admin_page_takes_the_keys_and_never_shows_the_secrets(app, tenant, db_connection):
    admin = signed_in(app, tenant, "admin")
    page = admin.get("/admin/settings")
    assert f"https://{tenant.domain}/api/v1/payments/stripe/webhook" in page.text
    assert 'name="payments-secret_key"' in page.text and 'type="password"' in page.text

    # turning it on without keys: every missing one named, nothing saved
    refused = admin.post("/admin/settings", page_fields(online="required"))
    assert refused.status_code == 400
    for name in KEYS:  # each named in the summary and beside its input
        assert f'id="payments-{name}-problem"' in refused.text
        assert f'href="#payments-{name}"' in refused.text

    # a secret typed next to another field's mistake: refused, and not sent back in the page
    refused = admin.post(
        "/admin/settings",
        {
            **page_fields(online="optional", publishable_key=PK, secret_key=SK, webhook_secret=WH),
            "pickup-prep_minutes": "soon",
        },
    )
    assert refused.status_code == 400
    assert_hidden(refused.text)
    assert payments_row(db_connection, tenant) is None

    saved = admin.post(
        "/admin/settings",
        page_fields(online="optional", publishable_key=PK, secret_key=SK, webhook_secret=WH),
    )
    assert saved.status_code == 303, saved.text
    page = admin.get("/admin/settings")
    assert_hidden(page.text)
    assert "Set, ending in 8f3Q" in page.text and "Set, ending in 7Kx2" in page.text
    assert PK in page.text  # the publishable key is not secret
    stored = payments_row(db_connection, tenant)

    # saved again with the secret inputs left empty: the secrets stay as they were
    again = admin.post("/admin/settings", page_fields(online="optional", publishable_key=PK))
    assert again.status_code == 303
    assert payments_row(db_connection, tenant) == stored

    # a bad secret is named and not repeated
    bad = "sk_test with spaces SECRETLY"
    refused = admin.post(
        "/admin/settings", page_fields(online="optional", publishable_key=PK, secret_key=bad)
    )
    assert refused.status_code == 400 and bad not in refused.text and "SECRETLY" not in refused.text
    assert payments_row(db_connection, tenant) == stored

    # "remove" while on is refused; off, it removes the secret
    refused = admin.post(
        "/admin/settings",
        page_fields(online="optional", publishable_key=PK, remove_secret_key="y"),
    )
    assert refused.status_code == 400
    removed = admin.post(
        "/admin/settings", page_fields(online="off", publishable_key=PK, remove_secret_key="y")
    )
    assert removed.status_code == 303
    stripe = payments_row(db_connection, tenant)["stripe"]
    assert (
        stripe["secret_key"] is None
        and stripe["webhook_secret"] == stored["stripe"]["webhook_secret"]
    )
    assert "Set, ending in 8f3Q" not in admin.get("/admin/settings").text


# --- keys: rotation, and production's start ---------------------------------------------------


def test_rotate_secrets_reseals_with_the_first_key(
    app, database_url, client, tenant, db_connection
):
    configure(client, tenant)
    old_token = payments_row(db_connection, tenant)["stripe"]["secret_key"]["sealed"]
    new_key = Fernet.generate_key().decode()

    # a new key first, the old one still listed: what the old key sealed is read
    rotating = make_app(database_url, OMNIORDER_ENCRYPTION_KEYS=f"{new_key}, {ENCRYPTION_KEY}")
    assert keys_of(rotating, tenant)[1].secret_key == SK
    result = rotating.test_cli_runner().invoke(args=["tenants", "rotate-secrets"])
    assert result.exit_code == 0, result.output
    assert "re-sealed 2 secrets of 1 restaurants" in result.output
    assert_hidden(result.output)

    stripe = payments_row(db_connection, tenant)["stripe"]
    assert stripe["secret_key"]["sealed"] != old_token
    assert Fernet(new_key).decrypt(stripe["secret_key"]["sealed"].encode()).decode() == SK
    assert Fernet(new_key).decrypt(stripe["webhook_secret"]["sealed"].encode()).decode() == WH
    with pytest.raises(InvalidToken):
        Fernet(ENCRYPTION_KEY).decrypt(stripe["secret_key"]["sealed"].encode())

    # the old key removed: still readable
    rotated = make_app(database_url, OMNIORDER_ENCRYPTION_KEYS=new_key)
    mode, keys = keys_of(rotated, tenant)
    assert (mode, keys.secret_key, keys.webhook_secret) == ("optional", SK, WH)
    response = rotated.test_client().get(url(tenant), headers=AUTH)
    assert response.json["payments"]["stripe"] == MASKED

    # a key that never sealed them: one readable line, exit ≠ 0, no traceback
    lost = make_app(database_url, OMNIORDER_ENCRYPTION_KEYS=Fernet.generate_key().decode())
    with pytest.raises(SecretUnreadable, match="cannot be read with any key"):
        keys_of(lost, tenant)
    result = lost.test_cli_runner().invoke(args=["tenants", "rotate-secrets"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert f"{tenant.domain}: payments.stripe.secret_key cannot be read" in result.output
    assert payments_row(db_connection, tenant)["stripe"] == stripe  # nothing changed
    # the settings still show, and other settings still save, without reading the secrets
    lost_client = lost.test_client()
    assert lost_client.get(url(tenant), headers=AUTH).json["payments"]["stripe"] == MASKED
    assert (
        lost_client.patch(url(tenant), json={"prep_minutes": 20}, headers=AUTH).status_code == 200
    )
    for each in (rotating, rotated, lost):
        with each.app_context():
            each.extensions["sqlalchemy"].engine.dispose()


PRODUCTION = {
    "TESTING": False,
    "OMNIORDER_DEV": False,
    "SECRET_KEY": "p" * 48,
    "OMNIORDER_SYS_TOKEN": SYS_TOKEN,
    "OMNIORDER_ENCRYPTION_KEYS": None,
}


def production_app(database_url, **config):
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, **PRODUCTION, **config})


def test_production_without_a_key_cannot_store_secrets_and_refuses_to_start_once_held(
    database_url, client, tenant, make_tenant, db_connection
):
    # no restaurant holds secrets: production starts, but cannot seal one (a clear 400)
    app = production_app(database_url)
    refused = app.test_client().patch(
        url(tenant), json={"payments": {"stripe": KEYS}}, headers=AUTH
    )
    assert refused.status_code == 400
    assert "OMNIORDER_ENCRYPTION_KEYS" in refused.json["fields"]["payments.stripe.secret_key"]
    assert_hidden(refused.text)
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()

    configure(client, tenant)  # sealed by the test key
    with pytest.raises(RuntimeError, match="OMNIORDER_ENCRYPTION_KEYS must be set"):
        production_app(database_url)
    with pytest.raises(RuntimeError, match="key 2 is not a Fernet key"):
        production_app(database_url, OMNIORDER_ENCRYPTION_KEYS=f"{ENCRYPTION_KEY},{SK}")
    started = production_app(database_url, OMNIORDER_ENCRYPTION_KEYS=ENCRYPTION_KEY)
    assert keys_of(started, tenant)[1].secret_key == SK
    with started.app_context():
        started.extensions["sqlalchemy"].engine.dispose()


def test_a_dropped_restaurant_leaves_no_holder(app, client, make_tenant, db_connection):
    from omniorder.platform.tenants import drop_tenant

    tenant = make_tenant()
    configure(client, tenant)
    assert is_holder(db_connection, tenant)
    with app.app_context(), unit_of_work():
        drop_tenant(tenant.domain)
    assert not is_holder(db_connection, tenant)


def test_production_starts_on_a_database_not_yet_migrated(database_url):
    """Before `flask db upgrade` there is no holders table: nothing can be held."""
    server = make_url(database_url)
    name = f"omniorder_empty_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        app = production_app(server.set(database=name).render_as_string(hide_password=False))
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


def test_development_derives_a_key_from_the_secret_key(database_url, tenant):
    """Debug, test and OMNIORDER_DEV runs without OMNIORDER_ENCRYPTION_KEYS seal with a key
    derived from SECRET_KEY (development only)."""
    app = make_app(database_url, OMNIORDER_ENCRYPTION_KEYS=None)
    response = app.test_client().patch(
        url(tenant), json={"payments": {"online": "required", "stripe": KEYS}}, headers=AUTH
    )
    assert response.status_code == 200, response.text
    assert keys_of(app, tenant)[1].webhook_secret == WH
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()
