"""Staff who choose their own password: an admin's invitation by e-mail and "Forgot your
password?", on real PostgreSQL, with the mail going through the job engine to a real SMTP
server on loopback (aiosmtpd). The links work once, for a while, on their own restaurant only;
a reset answers the same for any address and is rate-limited."""

import re
import time

import pytest
from itsdangerous.timed import TimestampSigner

from tests.support.app import running_app
from tests.support.jobs import run_queue
from tests.support.mail import plain
from tests.support.staff import PASSWORD, Staff, add_staff, signed_in

LINK = re.compile(r"http://(?P<host>[^/\s]+)(?P<path>/login/(?:invitation|reset)/[A-Za-z0-9_.-]+)")
NEW_PASSWORD = "a brand new password"


@pytest.fixture
def app(database_url, inbox):
    """The app with its mail going to the test's SMTP server and the reset limits on."""
    with running_app(
        database_url,
        OMNIORDER_SMTP_URL=inbox.url,
        OMNIORDER_RESET_RATE_LIMIT_PER_CLIENT="10 per hour",
        OMNIORDER_RESET_RATE_LIMIT_PER_ADDRESS="3 per hour",
    ) as app:
        yield app


def link_in(message) -> tuple[str, str]:
    """(host, path) of the link in a staff e-mail."""
    found = LINK.search(plain(message))
    assert found, plain(message)
    return found.group("host"), found.group("path")


def mailed_link(app, inbox, address: str) -> str:
    """Send what the mail queue holds; the path of the one link mailed to `address`."""
    run_queue(app, "mail")
    messages = inbox.to(address)
    assert len(messages) == 1, [m["To"] for m in inbox.messages]
    return link_in(messages[0])[1]


def invite(admin, email, role="kitchen", **fields):
    return admin.post("/admin/staff", {"email": email, "role": role, **fields})


def choose(staff, path, password=NEW_PASSWORD, confirm=None):
    return staff.post(
        path, {"password": password, "confirm": password if confirm is None else confirm}
    )


def without_csrf(text: str) -> str:
    """A page without what every response makes anew: its CSRF token and CSP nonce."""
    text = re.sub(r'name="csrf-token" content="[^"]+"', "", text)
    text = re.sub(r'nonce="[^"]+"', "", text)
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", text)


def old_signatures(monkeypatch, hours: float):
    """Links minted from now on are signed as if `hours` ago."""
    then = int(time.time() - hours * 3600)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: then)


# --- invitations ------------------------------------------------------------------------------


def test_an_invitee_chooses_a_password_from_the_mailed_link_and_lands_in_the_back_office(
    app, tenant, inbox
):
    admin = signed_in(app, tenant, "admin")
    sent = invite(admin, "New.Chef@X.example", "manager", full_name="Nora Chef")
    assert sent.status_code == 201
    assert "Invitation sent to new.chef@x.example" in sent.text
    assert "<code" not in sent.text and "password (shown once)" not in sent.text
    invitations = re.search(
        r'<table class="admin-table" id="invitations">.*?</table>', sent.text, re.S
    )
    assert "new.chef@x.example" in invitations.group(0)
    assert "Resend the invitation to new.chef@x.example" in invitations.group(0)

    chef = Staff(app.test_client(), tenant.domain)
    assert chef.login("new.chef@x.example", "").status_code == 400
    assert chef.login("new.chef@x.example", "anything at all").status_code == 401  # not yet

    run_queue(app, "mail")
    (message,) = inbox.to("new.chef@x.example")
    assert message["Subject"] == "You are invited to Test Kitchen's staff"
    assert message["To"].addresses[0].display_name == "Nora Chef"
    assert "within 72 hours" in plain(message)
    host, path = link_in(message)
    assert host == tenant.domain  # on the restaurant's own host

    form = chef.get(path)
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    assert "Welcome to Test Kitchen" in form.text and 'value="new.chef@x.example"' in form.text
    short = choose(chef, path, "short")
    assert short.status_code == 400
    assert 'id="password-problem"' in short.text
    assert "New password must be at least 8 characters." in short.text
    both = choose(chef, path, "short", "shorter")
    assert both.status_code == 400
    assert 'id="password-problem"' in both.text and 'id="confirm-problem"' in both.text
    mismatch = choose(chef, path, NEW_PASSWORD, "something else")
    assert mismatch.status_code == 400
    assert "New password again does not match the password above." in mismatch.text

    joined = choose(chef, path)
    assert joined.status_code == 303 and joined.headers["Location"] == "/admin"
    assert chef.get("/admin/menu").status_code == 200  # signed in as the new manager

    fresh = Staff(app.test_client(), tenant.domain)
    assert fresh.login("new.chef@x.example", NEW_PASSWORD).status_code == 303

    again = Staff(app.test_client(), tenant.domain)
    reused = again.get(path)
    assert reused.status_code == 410
    assert "This invitation has been used already" in reused.text
    assert choose(again, path, "another password 2").status_code == 410
    assert again.login("new.chef@x.example", "another password 2").status_code == 401

    page = admin.get("/admin/staff").text
    assert "Resend the invitation to new.chef@x.example" not in page
    assert "Send a reset link to new.chef@x.example" in page


def test_an_expired_invitation_is_refused_with_a_clear_page(app, tenant, inbox, monkeypatch):
    admin = signed_in(app, tenant, "admin")
    assert invite(admin, "late@x.example").status_code == 201
    old_signatures(monkeypatch, hours=73)
    path = mailed_link(app, inbox, "late@x.example")
    monkeypatch.undo()
    late = Staff(app.test_client(), tenant.domain)
    expired = late.get(path)
    assert expired.status_code == 410
    assert "This invitation has expired. Ask an admin" in expired.text
    assert choose(late, path).status_code == 410
    assert late.login("late@x.example", NEW_PASSWORD).status_code == 401


def test_a_link_works_only_on_its_own_restaurants_host_and_untouched(app, make_tenant, inbox):
    pizza, sushi = make_tenant(name="Pizza"), make_tenant(name="Sushi")
    admin = signed_in(app, pizza, "admin")
    assert invite(admin, "cook@x.example").status_code == 201
    path = mailed_link(app, inbox, "cook@x.example")
    add_staff(app, sushi, "cook@x.example", "kitchen")  # same address at another restaurant

    elsewhere = Staff(app.test_client(), sushi.domain)
    assert elsewhere.get(path).status_code == 404
    assert choose(elsewhere, path).status_code == 404
    assert elsewhere.login("cook@x.example", NEW_PASSWORD).status_code == 401

    home = Staff(app.test_client(), pizza.domain)
    token = path.rsplit("/", 1)[1]
    for tampered in (token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), token[:20], "x"):
        refused = home.get(f"/login/invitation/{tampered}")
        assert refused.status_code == 400, tampered
        assert "This link is not valid" in refused.text
    as_reset = home.get(f"/login/reset/{token}")  # an invitation is no reset link
    assert as_reset.status_code == 400
    assert home.get(path).status_code == 200  # the genuine link still works


def test_resend_retires_the_earlier_link_and_cancel_every_link(app, tenant, inbox):
    admin = signed_in(app, tenant, "admin")
    assert invite(admin, "twice@x.example").status_code == 201
    first = mailed_link(app, inbox, "twice@x.example")
    page = admin.get("/admin/staff").text
    member = re.search(r"/admin/staff/([0-9a-f-]+)/resend", page).group(1)
    resent = admin.post(f"/admin/staff/{member}/resend")
    assert resent.status_code == 200 and "earlier links no longer work" in resent.text
    run_queue(app, "mail")
    second = link_in(inbox.to("twice@x.example")[-1])[1]
    invitee = Staff(app.test_client(), tenant.domain)
    assert invitee.get(first).status_code == 410
    assert invitee.get(second).status_code == 200

    assert admin.post(f"/admin/staff/{member}/cancel").status_code == 303
    assert "twice@x.example" not in admin.get("/admin/staff").text
    assert invitee.get(second).status_code == 410
    assert choose(invitee, second).status_code == 410
    assert invitee.login("twice@x.example", NEW_PASSWORD).status_code == 401


def test_the_invitation_form_shows_each_problem_beside_its_field(app, tenant):
    admin = signed_in(app, tenant, "admin")
    bad = invite(admin, "not an address")
    assert bad.status_code == 400
    assert 'id="email-problem"' in bad.text and "Email must be an email address." in bad.text
    assert 'aria-describedby="email-problem"' in bad.text
    bad_role = invite(admin, "ok@x.example", "owner")
    assert bad_role.status_code == 400 and 'id="role-problem"' in bad_role.text
    assert invite(admin, "ok@x.example").status_code == 201
    taken = invite(admin, "OK@x.example")
    assert taken.status_code == 409 and "already on the staff or invited" in taken.text


# --- "Forgot your password?" -------------------------------------------------------------------


def forgot(staff, email):
    return staff.post("/login/forgot", {"email": email})


def test_a_reset_answers_the_same_for_any_address_and_mails_only_an_account(app, tenant, inbox):
    add_staff(app, tenant, "cook@x.example", "kitchen")
    login = Staff(app.test_client(), tenant.domain).get("/login")
    assert 'href="/login/forgot"' in login.text and "Forgot your password?" in login.text
    assert Staff(app.test_client(), tenant.domain).get("/login/forgot").status_code == 200

    known = forgot(Staff(app.test_client(), tenant.domain, "198.51.100.1"), "cook@x.example")
    unknown = forgot(Staff(app.test_client(), tenant.domain, "198.51.100.1"), "cook@y.example")
    assert known.status_code == unknown.status_code == 200
    assert {k: v for k, v in known.headers if k != "Content-Security-Policy"} == {
        k: v for k, v in unknown.headers if k != "Content-Security-Policy"
    }
    assert without_csrf(known.text).replace("cook@x.example", "ADDRESS") == without_csrf(
        unknown.text
    ).replace("cook@y.example", "ADDRESS")
    assert "a link to choose a new password is on its way" in known.text

    run_queue(app, "mail")
    assert [str(m["To"]) for m in inbox.messages] == ["cook@x.example"]
    (message,) = inbox.messages
    assert message["Subject"] == "Choose a new password for Test Kitchen"
    assert "within 2 hours" in plain(message)


def test_a_reset_link_sets_a_new_password_and_ends_the_old_sessions(app, tenant, inbox):
    add_staff(app, tenant, "boss@x.example", "admin")
    old_session = Staff(app.test_client(), tenant.domain)
    assert old_session.login("boss@x.example").status_code == 303
    assert old_session.get("/admin/staff").status_code == 200

    assert forgot(Staff(app.test_client(), tenant.domain), "Boss@X.example").status_code == 200
    path = mailed_link(app, inbox, "boss@x.example")
    browser = Staff(app.test_client(), tenant.domain)
    assert "Choose a new password" in browser.get(path).text
    assert old_session.get("/admin/staff").status_code == 200  # opening the link changes nothing
    reset = choose(browser, path)
    assert reset.status_code == 303 and reset.headers["Location"] == "/admin"
    assert browser.get("/admin/staff").status_code == 200

    assert old_session.get("/admin/staff").status_code == 302  # logged out
    fresh = Staff(app.test_client(), tenant.domain)
    assert fresh.login("boss@x.example", PASSWORD).status_code == 401
    assert fresh.login("boss@x.example", NEW_PASSWORD).status_code == 303
    reused = Staff(app.test_client(), tenant.domain).get(path)
    assert reused.status_code == 410 and "This link has been used already" in reused.text


def test_a_reset_link_lasts_two_hours(app, tenant, inbox, monkeypatch):
    add_staff(app, tenant, "cook@x.example", "kitchen")
    old_signatures(monkeypatch, hours=1.5)
    assert forgot(Staff(app.test_client(), tenant.domain), "cook@x.example").status_code == 200
    recent = mailed_link(app, inbox, "cook@x.example")
    old_signatures(monkeypatch, hours=2.5)
    inbox.messages.clear()
    assert forgot(Staff(app.test_client(), tenant.domain), "cook@x.example").status_code == 200
    stale = mailed_link(app, inbox, "cook@x.example")
    monkeypatch.undo()
    staff = Staff(app.test_client(), tenant.domain)
    expired = staff.get(stale)
    assert expired.status_code == 410 and "This link has expired." in expired.text
    assert staff.get(recent).status_code == 200


def test_an_admin_sends_a_reset_link_and_never_sees_a_password(app, tenant, inbox):
    admin = signed_in(app, tenant, "admin")
    member = add_staff(app, tenant, "cook@x.example", "kitchen")
    sent = admin.post(f"/admin/staff/{member}/reset-password")
    assert sent.status_code == 200 and "is on its way to cook@x.example" in sent.text
    assert "<code" not in sent.text
    path = mailed_link(app, inbox, "cook@x.example")
    assert path.startswith("/login/reset/")


def test_resets_are_rate_limited_per_address_and_per_client(app, tenant, inbox):
    add_staff(app, tenant, "cook@x.example", "kitchen")
    for n in range(3):
        client = Staff(app.test_client(), tenant.domain, f"203.0.113.{n + 1}")
        assert forgot(client, "cook@x.example").status_code == 200
    flooded = forgot(Staff(app.test_client(), tenant.domain, "203.0.113.9"), "Cook@x.example")
    assert flooded.status_code == 429
    assert "Too many password reset requests" in flooded.text
    assert int(flooded.headers["Retry-After"]) > 0
    unknown = [forgot(Staff(app.test_client(), tenant.domain), "ghost@x.example") for _ in range(4)]
    assert [r.status_code for r in unknown] == [200, 200, 200, 429]  # the same for nobody

    spammer = Staff(app.test_client(), tenant.domain, "198.51.100.77")
    statuses = [forgot(spammer, f"person{n}@x.example").status_code for n in range(11)]
    assert statuses == [200] * 10 + [429]
    assert (
        forgot(Staff(app.test_client(), tenant.domain, "198.51.100.78"), "a@x.example").status_code
        == 200
    )
    run_queue(app, "mail")
    assert len(inbox.to("cook@x.example")) == 3
