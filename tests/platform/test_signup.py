"""Self-service sign-up on the platform's own host, on real PostgreSQL with the confirmation
mail going through the job engine to a real SMTP server on loopback (aiosmtpd): the link
opens an unpublished restaurant without a starter menu whose owner can log in; sign-up is off
by default, refused elsewhere than the platform host, by invitation when asked, keeps taken
and reserved names, weak passwords and floods out, and never tells whose address is whose."""

import re
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from werkzeug.datastructures import MultiDict

from omniorder.core.database import db
from omniorder.core.unit_of_work import unit_of_work
from omniorder.menu.models import MenuItem
from omniorder.platform.models import Signup, SignupInvite
from omniorder.platform.signup import forget_expired_signups
from omniorder.platform.tenants import drop_tenant
from omniorder.settings.document import read_settings
from omniorder.tenancy.bind import tenant_context
from omniorder.tenancy.registry import tenant_registry
from tests.support.app import make_app
from tests.support.hostile import hostile_text
from tests.support.jobs import run_queue
from tests.support.languages import translated
from tests.support.mail import plain
from tests.support.staff import Staff

PLATFORM = "app.test.localhost"
SUFFIX = "test.localhost"
PASSWORD = "plum tractor velvet 42"
LINK = re.compile(r"http://(?P<host>[^/\s]+)(?P<path>/signup/confirm/[A-Za-z0-9_.-]+)")


def signup_app(database_url, inbox, **config):
    return make_app(
        database_url,
        OMNIORDER_SMTP_URL=inbox.url,
        OMNIORDER_PLATFORM_HOST=PLATFORM,
        OMNIORDER_TENANT_DOMAIN_SUFFIX=SUFFIX,
        OMNIORDER_SIGNUP=config.pop("OMNIORDER_SIGNUP", "open"),
        OMNIORDER_SIGNUP_RATE_LIMIT=config.pop("OMNIORDER_SIGNUP_RATE_LIMIT", "off"),
        **config,
    )


@pytest.fixture
def opened(database_url):
    """The domains of the restaurants a test opened, dropped after it."""
    domains = []
    yield domains
    app = make_app(database_url)
    for domain in domains:
        with app.app_context(), unit_of_work():
            drop_tenant(domain)


@pytest.fixture
def app(database_url, inbox):
    app = signup_app(database_url, inbox)
    yield app
    with app.app_context():
        db.engine.dispose()


class Owner(Staff):
    """A browser on the platform host."""

    def __init__(self, app, address="127.0.0.1"):
        super().__init__(app.test_client(), PLATFORM, address)

    def token(self):
        page = self.get("/signup")
        return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)

    def sign_up(self, **fields):
        return self.post("/signup", signup_fields(**fields))


def unique_name() -> str:
    return "r" + uuid.uuid4().hex[:10]


def signup_fields(**fields) -> dict:
    base = {
        "restaurant_name": "Pizza Plum",
        "subdomain": unique_name(),
        "email": "owner@mail.example",
        "password": PASSWORD,
        "timezone": "Europe/Berlin",
        "currency": "EUR",
        "locale": "de_DE",
    }
    return {**base, **fields}


def mailed_link(app, inbox, address: str) -> str:
    """Send what the mail queue holds; the path of the newest sign-up link to `address`."""
    run_queue(app, "mail")
    messages = inbox.to(address)
    assert messages, [m["To"] for m in inbox.messages]
    found = LINK.search(plain(messages[-1]))
    assert found and found.group("host") == PLATFORM, plain(messages[-1])
    return found.group("path")


def pending_count(app, **where) -> int:
    with app.app_context():
        query = select(func.count()).select_from(Signup).filter_by(**where)
        return db.session.scalar(query)


def tenant_exists(app, domain: str) -> bool:
    with app.app_context():
        tenant_registry().invalidate()
        return tenant_registry().lookup(domain) is not None


# --- end to end -------------------------------------------------------------------------------


def test_sign_up_confirm_by_mail_and_log_in_to_an_unpublished_restaurant_without_a_menu(
    app, inbox, opened
):
    owner = Owner(app)
    form = owner.get("/signup")
    assert form.status_code == 200
    assert f".{SUFFIX}" in form.text and 'name="sample_menu"' in form.text
    assert 'name="invite_code"' not in form.text  # open sign-up: no code asked

    name = unique_name()
    sent = owner.sign_up(subdomain=name.upper(), email="Owner@Mail.Example")
    assert sent.status_code == 202, sent.text
    assert "Check your e-mail" in sent.text and "owner@mail.example" in sent.text
    domain = f"{name}.{SUFFIX}"
    assert not tenant_exists(app, domain)  # nothing until the owner confirms

    path = mailed_link(app, inbox, "owner@mail.example")
    (message,) = inbox.to("owner@mail.example")
    assert message["Subject"] == "Confirm your sign-up for Pizza Plum"
    assert "within 24 hours" in plain(message)

    page = owner.get(path)  # opening the link changes nothing (a mail scanner may)
    assert page.status_code == 200 and domain in page.text
    assert page.headers["Cache-Control"] == "no-store"
    # the button's redirect leads to the restaurant's own host, which the page's CSP allows
    assert f"form-action 'self' http://{domain}" in page.headers["Content-Security-Policy"]
    assert not tenant_exists(app, domain)

    opened.append(domain)
    done = owner.post(path)
    assert done.status_code == 303
    assert done.headers["Location"] == f"http://{domain}/login?next=/admin/setup"
    assert tenant_exists(app, domain)

    with app.app_context(), tenant_context(tenant_registry().lookup(domain)):
        document = read_settings()
        items = db.session.scalar(select(func.count()).select_from(MenuItem))
    assert document["published"] is False
    assert (document["timezone"], document["currency"], document["locale"]) == (
        "Europe/Berlin",
        "EUR",
        "de_DE",
    )
    assert items == 0  # no starter menu unless asked

    staff = Staff(app.test_client(), domain)
    login = staff.login("owner@mail.example", PASSWORD, next_page="/admin/setup")
    assert login.status_code == 303 and login.headers["Location"].endswith("/admin/setup")
    checklist = staff.get("/admin/setup")
    # a restaurant in de_DE speaks German to its staff until it chooses its languages
    assert checklist.status_code == 200 and translated("de", "Publish") in checklist.text

    again = owner.post(path)  # single use
    assert again.status_code == 410
    assert "used already" in again.text and f"http://{domain}/login" in again.text
    assert owner.get(path).status_code == 410


def test_a_sample_menu_only_when_asked(app, inbox, opened):
    owner = Owner(app)
    name = unique_name()
    assert owner.sign_up(subdomain=name, sample_menu="y").status_code == 202
    path = mailed_link(app, inbox, "owner@mail.example")
    opened.append(f"{name}.{SUFFIX}")
    assert owner.post(path).status_code == 303
    with app.app_context(), tenant_context(tenant_registry().lookup(f"{name}.{SUFFIX}")):
        assert db.session.scalar(select(func.count()).select_from(MenuItem)) > 0


def test_the_same_address_twice_gets_the_same_answer_and_the_same_link_again(app, inbox, opened):
    owner = Owner(app)
    name = unique_name()
    first = owner.sign_up(subdomain=name)
    second = owner.sign_up(subdomain=name, password="another long secret phrase 7")
    other = owner.sign_up(subdomain=unique_name())
    assert first.status_code == second.status_code == other.status_code == 202
    strip = lambda page: re.sub(r'content="[^"]+"|nonce="[^"]+"', "", page.text)  # noqa: E731
    assert strip(first) == strip(second) == strip(other)
    assert pending_count(app, subdomain=name) == 1
    # a stranger's sign-up of a fresh name answers exactly the same
    stranger = Owner(app, "10.0.0.9").sign_up(subdomain=unique_name(), email="x@y.example")
    assert strip(stranger).replace("x@y.example", "owner@mail.example") == strip(first)

    run_queue(app, "mail")
    found = [LINK.search(plain(m)).group("path") for m in inbox.to("owner@mail.example")]
    assert len(found) == 3  # the first name's link twice, the other name's once
    domain = f"{name}.{SUFFIX}"
    repeated = [path for path in found if domain in owner.get(path).text]
    assert len(repeated) == 2
    opened.append(domain)
    assert owner.post(repeated[-1]).status_code == 303
    # the second sign-up did not change the password: the first one logs in
    staff = Staff(app.test_client(), domain)
    assert staff.login("owner@mail.example", "another long secret phrase 7").status_code == 401
    assert staff.login("owner@mail.example", PASSWORD).status_code == 303


# --- refusals ---------------------------------------------------------------------------------


def test_off_by_default_and_only_on_the_platform_host(database_url, inbox, tenant):
    off = make_app(database_url, OMNIORDER_PLATFORM_HOST=PLATFORM)
    assert Owner(off).get("/signup").status_code == 404
    assert off.test_client().post("/signup", base_url=f"http://{PLATFORM}").status_code == 404
    assert Owner(off).get("/signup/availability?subdomain=abc").status_code == 404

    on = signup_app(database_url, inbox)
    client = on.test_client()
    assert client.get("/signup", base_url=f"http://{tenant.domain}").status_code == 404
    assert client.get("/signup", base_url="http://elsewhere.example").status_code == 404
    assert client.get("/signup", base_url=f"http://{PLATFORM}").status_code == 200
    forged = Owner(on).post("/signup", signup_fields(email="forged@mail.example"), csrf=False)
    assert forged.status_code == 400 and "The form expired" in forged.text
    assert pending_count(on, email="forged@mail.example") == 0


def test_invite_codes_are_single_use_and_unknown_ones_refused(database_url, inbox, opened):
    app = signup_app(database_url, inbox, OMNIORDER_SIGNUP="invite")
    printed = app.test_cli_runner().invoke(args=["platform", "invite", "--count", "2"])
    assert printed.exit_code == 0, printed.output
    codes = printed.output.split()
    assert len(codes) == 2
    with app.app_context():  # only hashes are kept
        stored = db.session.scalars(select(SignupInvite.code_hash)).all()
    assert not set(codes) & set(stored)

    owner = Owner(app)
    assert 'name="invite_code"' in owner.get("/signup").text
    missing = owner.sign_up()
    assert missing.status_code == 400 and "Invite code is required" in missing.text
    unknown = owner.sign_up(invite_code="not-a-code")
    assert unknown.status_code == 400
    assert "Invite code is not a valid invite code, or it has been used" in unknown.text
    assert owner.sign_up(invite_code=codes[0]).status_code == 202
    used = owner.sign_up(invite_code=codes[0])
    assert used.status_code == 400 and "it has been used" in used.text
    # a refused sign-up does not spend its code
    weak = owner.sign_up(invite_code=codes[1], password="password1")
    assert weak.status_code == 400
    assert owner.sign_up(invite_code=codes[1]).status_code == 202


def test_a_taken_subdomain_is_refused_by_a_restaurant_or_a_pending_sign_up(app, tenant):
    owner = Owner(app)
    label = tenant.domain.removesuffix("." + SUFFIX)
    taken = owner.sign_up(subdomain=label)
    assert taken.status_code == 409 and f"{tenant.domain} is taken" in taken.text
    assert owner.get(f"/signup/availability?subdomain={label}").json == {
        "available": False,
        "message": f"{tenant.domain} is taken.",
    }

    name = unique_name()
    free = owner.get(f"/signup/availability?subdomain={name}")
    assert free.json["available"] is True and free.headers["Cache-Control"] == "no-store"
    assert owner.sign_up(subdomain=name, email="first@mail.example").status_code == 202
    assert owner.get(f"/signup/availability?subdomain={name}").json["available"] is False
    held = owner.sign_up(subdomain=name, email="second@mail.example")
    assert held.status_code == 409 and "is taken" in held.text
    assert pending_count(app, subdomain=name) == 1

    # a reservation lasts 24 hours
    with app.app_context(), unit_of_work():
        db.session.execute(
            text(
                "UPDATE public.signups SET created_at = now() - interval '25 hours' "
                "WHERE subdomain = :s"
            ),
            {"s": name},
        )
    assert owner.get(f"/signup/availability?subdomain={name}").json["available"] is True
    assert owner.sign_up(subdomain=name, email="second@mail.example").status_code == 202


def test_sign_ups_never_confirmed_are_forgotten_after_24_hours(app):
    owner = Owner(app)
    stale, fresh = unique_name(), unique_name()
    for name in (stale, fresh):
        assert owner.sign_up(subdomain=name, email="late@mail.example").status_code == 202
    with app.app_context(), unit_of_work():
        db.session.execute(
            text(
                "UPDATE public.signups SET created_at = now() - interval '25 hours' "
                "WHERE subdomain = :s"
            ),
            {"s": stale},
        )
    with app.app_context(), unit_of_work():
        assert forget_expired_signups() >= 1
    assert pending_count(app, subdomain=stale) == 0
    assert pending_count(app, subdomain=fresh) == 1


@pytest.mark.parametrize("name", ["www", "app", "api", "admin", "mail", "signup", "Billing"])
def test_reserved_subdomains_are_refused_with_a_clear_message(app, name):
    owner = Owner(app)
    refused = owner.sign_up(subdomain=name)
    assert refused.status_code == 400
    assert f"“{name.lower()}” is reserved; please choose another name" in refused.text
    assert owner.get(f"/signup/availability?subdomain={name}").json["available"] is False


def test_a_weak_password_is_refused_with_advice(app):
    owner = Owner(app)
    for weak in ("short", "password1", "Pizza Plum", "qwertyuiop"):
        refused = owner.sign_up(password=weak, email="weak@mail.example")
        assert refused.status_code == 400, weak
        assert "Password" in refused.text and "aria-invalid" in refused.text
    assert "too easy to guess" in owner.sign_up(password="password1").text
    assert pending_count(app, email="weak@mail.example") == 0


def test_a_flood_of_sign_ups_from_one_address_is_429(database_url, inbox):
    app = signup_app(database_url, inbox, OMNIORDER_SIGNUP_RATE_LIMIT="3 per hour")
    flooder = Owner(app, "203.0.113.50")
    answers = [flooder.sign_up().status_code for _ in range(4)]
    assert answers == [202, 202, 202, 429]
    page = flooder.sign_up()
    assert page.status_code == 429 and "Too many sign-ups from your address" in page.text
    assert Owner(app, "203.0.113.51").sign_up().status_code == 202  # another client


def test_a_broken_or_expired_link_is_a_clear_page(app, inbox, monkeypatch):
    owner = Owner(app)
    bad = owner.get("/signup/confirm/not-a-token")
    assert bad.status_code == 400 and "This link is not valid" in bad.text
    assert owner.post("/signup/confirm/not-a-token").status_code == 400

    from itsdangerous.timed import TimestampSigner

    assert owner.sign_up(subdomain=unique_name(), email="late@mail.example").status_code == 202
    then = int(__import__("time").time() - 25 * 3600)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: then)
    path = mailed_link(app, inbox, "late@mail.example")
    monkeypatch.undo()
    expired = owner.get(path)
    assert expired.status_code == 410 and "This link has expired" in expired.text
    assert owner.post(path).status_code == 410


# --- hostile input ----------------------------------------------------------------------------

FIELDS = [
    "restaurant_name",
    "subdomain",
    "email",
    "password",
    "invite_code",
    "timezone",
    "currency",
    "locale",
    "sample_menu",
]
hostile = hostile_text("\x00", "xn--", "-a-", "a..b", "UTC\n", "../../etc", "www")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=st.lists(st.tuples(st.sampled_from(FIELDS), hostile), max_size=12))
def test_hostile_values_in_every_field_are_a_4xx_and_store_nothing(app, values):
    owner = Owner(app)
    before = pending_count(app)
    data = MultiDict([("csrf_token", owner.token()), *values])
    answer = owner.client.post("/signup", data=data, base_url=owner.base_url)
    assert answer.status_code in (400, 409), answer.status_code
    assert "<script>x</script>" not in answer.text
    assert pending_count(app) == before
    typed = {"subdomain": values[0][1]} if values else None
    query = owner.get("/signup/availability", query_string=typed)
    assert query.status_code == 200 and set(query.json) == {"available", "message"}


@pytest.mark.parametrize(
    "raw",
    [
        "subdomain=%ED%A0%80abc",  # a lone surrogate, as the bytes a browser would send
        "restaurant_name=%00&subdomain=abc",
        "email=a%ED%A0%80@x.example",
        "password=%ED%A0%80%ED%A0%80%ED%A0%80%ED%A0%80",
        "timezone=%ED%A0%80",
    ],
)
def test_undecodable_bytes_in_a_field_are_a_400(app, raw):
    owner = Owner(app)
    body = f"csrf_token={owner.token()}&{raw}"
    answer = owner.client.post(
        "/signup",
        data=body,
        content_type="application/x-www-form-urlencoded",
        base_url=owner.base_url,
    )
    assert answer.status_code == 400
    check = owner.client.get(f"/signup/availability?{raw}", base_url=owner.base_url)
    assert check.status_code == 200 and set(check.json) == {"available", "message"}
