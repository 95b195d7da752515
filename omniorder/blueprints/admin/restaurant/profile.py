"""The restaurant's profile (admins): who it is, where, how to reach it, and what its receipts
name. One form, saved whole by `update_settings` (the settings API's check), each message
beside its field. Logo and banner are images with their own page (/admin/branding)."""

from functools import cache

from babel import Locale
from flask import redirect, render_template, request, url_for

from omniorder.blueprints.admin.base import bp
from omniorder.blueprints.admin.forms import ProfileForm
from omniorder.core.errors import Invalid
from omniorder.settings.document import current_settings, update_settings
from omniorder.settings.profile import MAX_ADDRESS_LINES, SOCIAL_NETWORKS, country_codes
from omniorder.staff.sessions import staff_required

LINE_FIELDS = tuple(f"address_line{number}" for number in range(1, MAX_ADDRESS_LINES + 1))
# A settings path → the field that shows its message (address lines are mapped as typed).
FIELD_OF_PATH = {
    "profile.description": "description",
    "profile.address": "address_line1",
    "profile.address.lines": "address_line1",
    "profile.address.postal_code": "postal_code",
    "profile.address.city": "city",
    "profile.address.country": "country",
    "profile.phone": "phone",
    "profile.email": "email",
    "profile.website": "website",
    "profile.social": "instagram",
    **{f"profile.social.{network}": network for network in SOCIAL_NETWORKS},
    "profile.legal_name": "legal_name",
    "profile.vat_id": "vat_id",
}


@cache
def _country_choices() -> tuple[tuple[str, str], ...]:
    names = Locale("en").territories
    listed = sorted(((code, names[code]) for code in country_codes()), key=lambda c: c[1])
    return (("", "—"), *listed)


def _load(profile: dict) -> dict:
    lines = profile["address"]["lines"]
    return {
        "description": profile["description"],
        **{
            name: lines[index] if index < len(lines) else ""
            for index, name in enumerate(LINE_FIELDS)
        },
        "postal_code": profile["address"]["postal_code"],
        "city": profile["address"]["city"],
        "country": profile["address"]["country"],
        "phone": profile["phone"],
        "email": profile["email"],
        "website": profile["website"],
        **{network: profile["social"][network] for network in SOCIAL_NETWORKS},
        "legal_name": profile["legal_name"],
        "vat_id": profile["vat_id"],
    }


def _trimmed(field) -> str:
    return field.data.strip() if isinstance(field.data, str) else ""


def _link(field) -> str:
    """What was typed, with https:// put in front of an address typed without a scheme
    ("example.com"), as a browser's address bar would read it."""
    typed = _trimmed(field)
    if typed and "://" not in typed and "." in typed and " " not in typed:
        return f"https://{typed}"
    return typed


def _change(form: ProfileForm) -> tuple[dict, list[str]]:
    """The profile the form asks for, and the field of each address line sent (empty ones are
    left out, so the settings path's index is not the field's number)."""
    typed_lines = [(name, _trimmed(form[name])) for name in LINE_FIELDS]
    sent = [(name, line) for name, line in typed_lines if line]
    description = form.description.data if isinstance(form.description.data, str) else ""
    profile = {
        "description": description.strip().replace("\r\n", "\n"),
        "address": {
            "lines": [line for _, line in sent],
            "postal_code": _trimmed(form.postal_code),
            "city": _trimmed(form.city),
            "country": _trimmed(form.country).upper(),
        },
        "phone": _trimmed(form.phone),
        "email": _trimmed(form.email),
        "website": _link(form.website),
        "social": {network: _link(form[network]) for network in SOCIAL_NETWORKS},
        "legal_name": _trimmed(form.legal_name),
        "vat_id": _trimmed(form.vat_id),
    }
    return {"profile": profile}, [name for name, _ in sent]


def _field_problems(form, problems: dict[str, str], line_fields: list[str]) -> dict:
    """field id → (label, message), in the form's order."""
    shown: dict[str, tuple[str, str]] = {}
    for path, message in problems.items():
        name = FIELD_OF_PATH.get(path)
        if name is None and path.startswith("profile.address.lines["):
            index = int(path.removeprefix("profile.address.lines[").rstrip("]"))
            name = line_fields[index] if index < len(line_fields) else LINE_FIELDS[0]
        field = form[name] if name else None
        key, label = (field.id, field.label.text) if field else (path, path)
        shown[key] = (label, f"{shown[key][1]}; {message}" if key in shown else message)
    order = [field.id for field in form]
    return dict(sorted(shown.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else -1))


def _page(form, problems=None, line_fields=()):
    form.country.choices = list(_country_choices())
    return render_template(
        "admin/profile.html",
        form=form,
        problems=_field_problems(form, problems or {}, list(line_fields)),
        saved=request.args.get("saved") == "1" and not problems,
    )


@bp.route("/profile", methods=["GET", "POST"], endpoint="profile")
@staff_required("admin")
def edit_profile():
    """The app-wide CSRF protection has refused a POST without its token before this view."""
    form = ProfileForm(data=_load(current_settings()["profile"]))
    if not form.is_submitted():
        return _page(form)
    change, line_fields = _change(form)
    try:
        update_settings(change)
    except Invalid as error:  # a BrokenRule too: the page says what to fix either way
        return _page(form, error.fields, line_fields), 400
    return redirect(url_for("admin.profile", saved="1"), code=303)
