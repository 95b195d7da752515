"""The restaurant's settings (admins): one page, one fieldset per part of the settings
document, saved whole or not at all by the same `update_settings` as ``flask tenants
settings`` and the system API.

Each part is a `Section`: its subform of `SettingsForm`, how the stored document fills it
(`load`), how what the admin typed becomes a partial document (`change`, which raises
`Invalid` keyed by settings paths such as ``tax.rate_bp``) and which of its fields shows the
message about which path (`fields`, or `locate` when that depends on what was typed: the
weekly hours table, settings_hours.py).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.localedata import locale_identifiers
from babel.numbers import get_currency_name
from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from omniorder.blueprints.admin.base import bp
from omniorder.blueprints.admin.forms import SettingsForm
from omniorder.blueprints.admin.restaurant import settings_hours, settings_payments
from omniorder.core.errors import Invalid, check_fields
from omniorder.core.money import format_money
from omniorder.languages import NATIVE_NAMES, SHIPPED
from omniorder.ordering import pickup
from omniorder.settings.document import (
    MAX_RANGES_PER_DAY,
    current_currencies,
    current_settings,
    merged,
    percent_for_input,
    presets_from_text,
    rate_bp_from_percent,
    time_zone_names,
    update_settings,
    validate_settings,
)
from omniorder.settings.payments import webhook_url
from omniorder.staff.sessions import staff_required
from omniorder.tenancy.bind import current_tenant


@dataclass(frozen=True)
class Section:
    name: str  # the subform's name in SettingsForm
    load: Callable[[dict], dict]  # settings document → the subform's data
    change: Callable[[object, str], dict]  # (subform, locale) → a partial settings document
    fields: dict[str, str]  # settings path → the subform's field that shows its message
    locate: Callable[[object, str], str | None] | None = None  # (subform, path) → field name

    def field_for(self, subform, path: str):
        """The subform's field that shows the message about `path`, or None."""
        name = self.fields.get(path) or (self.locate(subform, path) if self.locate else None)
        return subform[name] if name is not None else None


def _load_region(document: dict) -> dict:
    region = {key: document[key] for key in ("timezone", "currency", "locale")}
    return {**region, "languages": ", ".join(document["languages"])}


def _languages_from_text(text) -> list[str]:
    """Codes as typed ("de, en" or "de en"), the default first; the settings check says
    which are wrong."""
    return [code.lower() for code in re.split(r"[\s,;]+", str(text or "")) if code]


def _change_region(form, locale: str) -> dict:
    """The languages only when they were changed: languages never chosen keep following the
    locale (settings/document.py, `merged`), and a form without the field keeps them."""
    region = {key: form[key].data for key in ("timezone", "currency", "locale")}
    typed = _languages_from_text(form.languages.data)
    if form.languages.raw_data and typed != _languages_from_text(form.languages.object_data):
        region["languages"] = typed
    return region


def _load_tax(document: dict) -> dict:
    tax = document["tax"]
    return {
        "rate_percent": percent_for_input(tax["rate_bp"], document["locale"]),
        "inclusive": "included" if tax["inclusive"] else "added",
    }


def _inclusive(choice) -> bool:
    if choice not in ("included", "added"):
        raise Invalid("tax.inclusive", _("choose whether menu prices include tax"))
    return choice == "included"


def _change_tax(form, locale: str) -> dict:
    """The rate typed as a percentage in the page's locale, kept in basis points."""
    tax = check_fields(
        {
            "rate_bp": lambda: rate_bp_from_percent(form.rate_percent.data, locale),
            "inclusive": lambda: _inclusive(form.inclusive.data),
        }
    )
    return {"tax": tax}


def _load_tips(document: dict) -> dict:
    tips = document["tips"]
    return {
        "enabled": tips["enabled"],
        "presets_percent": ", ".join(str(preset) for preset in tips["presets_percent"]),
    }


def _change_tips(form, locale: str) -> dict:
    presets = presets_from_text(form.presets_percent.data)
    return {"tips": {"enabled": bool(form.enabled.data), "presets_percent": presets}}


KITCHEN_FLAGS = ("expo", "pickup_screen_names")


def _load_kitchen(document: dict) -> dict:
    return {flag: document[flag] for flag in KITCHEN_FLAGS}


def _change_kitchen(form, locale: str) -> dict:
    return {flag: bool(form[flag].data) for flag in KITCHEN_FLAGS}


SECTIONS = (
    Section(
        "region",
        _load_region,
        _change_region,
        {key: key for key in ("timezone", "currency", "locale", "languages")},
    ),
    Section(
        "tax",
        _load_tax,
        _change_tax,
        {"tax": "rate_percent", "tax.rate_bp": "rate_percent", "tax.inclusive": "inclusive"},
    ),
    Section(
        "tips",
        _load_tips,
        _change_tips,
        {"tips": "enabled", "tips.enabled": "enabled", "tips.presets_percent": "presets_percent"},
    ),
    Section(
        "hours",
        settings_hours.load_hours,
        settings_hours.change_hours,
        {},
        settings_hours.locate_hours,
    ),
    Section(
        "closures",
        settings_hours.load_closures,
        settings_hours.change_closures,
        {},
        settings_hours.locate_closures,
    ),
    Section(
        "pickup",
        settings_hours.load_pickup,
        settings_hours.change_pickup,
        {key: key for key in settings_hours.PICKUP_KEYS},
    ),
    Section(
        "payments",
        settings_payments.load_payments,
        settings_payments.change_payments,
        settings_payments.PAYMENTS_FIELDS,
    ),
    Section("kitchen", _load_kitchen, _change_kitchen, {flag: flag for flag in KITCHEN_FLAGS}),
)


def _currency_label(code: str) -> str:
    return f"{code} · {get_currency_name(code, locale='en')}"


@cache
def _currency_choices() -> tuple[tuple[str, str], ...]:
    """The currencies in use today (the settings check refuses any other as a new value)."""
    return tuple((code, _currency_label(code)) for code in sorted(current_currencies()))


def _currency_select(current: str) -> list[SelectChoice]:
    """The currencies in use, and the restaurant's own first when it is no longer in use (it
    keeps it until it changes it), so saving the page never changes it unasked."""
    listed = [SelectChoice(value, label) for value, label in _currency_choices()]
    if current not in current_currencies():
        listed.insert(
            0,
            SelectChoice(
                current, _("%(currency)s (no longer in use)", currency=_currency_label(current))
            ),
        )
    return listed


def _locale_names(code: str) -> tuple[str, str]:
    """A locale's language by its English name ("German" for de_AT) and its label on the page
    ("German (Austria) · de_AT"); the code itself for what Babel cannot name."""
    try:
        locale = Locale.parse(code)
    except (UnknownLocaleError, ValueError, TypeError):
        return code, code
    return locale.get_language_name("en") or code, f"{locale.get_display_name('en')} · {code}"


@cache
def _locale_groups() -> dict[str, tuple[tuple[str, str], ...]]:
    """The locales of a language in a country (728 with Babel 2.19), grouped by language.

    The country decides how amounts and dates are written (de_CH writes 1’234.50, de_DE
    1.234,50), so a language alone (de), a region (es_419, en_001) or a variant (en_US_POSIX)
    is not offered, though the settings check accepts every locale Babel knows; scripts are
    (sr_Latn_RS, zh_Hant_TW). A language Babel cannot name in English (apc_SY) is left out.
    Minority languages (br_FR, se_NO) and a language abroad (en_DE: English words, German
    numbers) stay: a restaurant may serve them, and the groups keep the list short to scan.
    Groups and locales are sorted by their English names."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code in locale_identifiers():
        locale = Locale.parse(code)
        if locale.variant or not (locale.territory or "").isalpha():
            continue
        language, label = _locale_names(code)
        if language != code:
            groups.setdefault(language, []).append((code, label))
    return {
        language: tuple(sorted(groups[language], key=lambda choice: choice[1].casefold()))
        for language in sorted(groups, key=str.casefold)
    }


def _locale_select(current: str) -> list[SelectChoice]:
    """The locales by language, the restaurant's language first with its own locale first,
    listed even when the page does not offer it (a locale set through the API, say)."""
    own, label = _locale_names(current)
    groups = _locale_groups()
    order = [own, *(language for language in groups if language != own)]
    listed = []
    for language in order:
        choices = groups.get(language, ())
        if language == own:
            choices = [(current, label), *(c for c in choices if c[0] != current)]
        listed += [SelectChoice(value, label, optgroup=language) for value, label in choices]
    return listed


def _with_current(choices, current: str) -> list[SelectChoice]:
    """The choices, with the stored value among them even when the list lacks it, so saving
    the page never changes it unasked."""
    listed = [SelectChoice(value, label) for value, label in choices]
    if all(choice.value != current for choice in listed):
        listed.insert(0, SelectChoice(current, current))
    return listed


def settings_form(document: dict) -> SettingsForm:
    form = SettingsForm(data={section.name: section.load(document) for section in SECTIONS})
    region = form.region.form
    region.timezone.choices = _with_current(
        ((z, z) for z in time_zone_names()), document["timezone"]
    )
    region.currency.choices = _currency_select(document["currency"])
    region.locale.choices = _locale_select(document["locale"])
    settings_hours.label_hours(form.hours.form, document["locale"])
    return form


def _field_problems(form: SettingsForm, problems: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Each problem (settings path → message) as field id → (label, message), for the field
    that shows it, in the page's order; a path no field shows (none expected) keeps its name."""
    shown: dict[str, tuple[str, str]] = {}
    for path, message in problems.items():
        field = next(
            (
                found
                for section in SECTIONS
                if (found := section.field_for(getattr(form, section.name).form, path))
            ),
            None,
        )
        key, label = (field.id, field.label.text) if field is not None else (path, path)
        if key in shown:
            message = f"{shown[key][1]}; {message}"
        shown[key] = (label, message)
    order = [field.id for section in SECTIONS for field in getattr(form, section.name).form]
    return dict(sorted(shown.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else -1))


def _service_now(document: dict) -> dict:
    """What the page says about service right now, from the stored settings: the ASAP ready
    estimate (pickup.ready_estimate's formula, in minutes from now) and the pause."""
    now = pickup.utc_now()
    ahead = pickup.orders_ahead(document, now)
    paused, resumes_at = pickup.pause_state(document, now)
    return {
        "ahead": ahead,
        "estimate_minutes": document["prep_minutes"] + ahead,
        "paused": paused,
        "resumes_at": resumes_at,
    }


def _page(
    form: SettingsForm,
    document: dict,
    problems: dict[str, str] | None = None,
    more_columns: int = 0,
    hours_notice: str | None = None,
):
    return render_template(
        "admin/settings.html",
        form=form,
        problems=_field_problems(form, problems or {}),
        saved=request.args.get("saved") == "1" and not problems,
        example_price=format_money(1100, document["currency"], document["locale"]),
        example_rate=percent_for_input(825, document["locale"]),
        available_languages=", ".join(f"{code} ({NATIVE_NAMES[code]})" for code in SHIPPED),
        days=settings_hours.weekday_names(document["locale"]),
        columns=settings_hours.columns(form.hours.form, more_columns),
        max_columns=MAX_RANGES_PER_DAY,
        hours_notice=hours_notice,
        service=_service_now(document),
        secrets=settings_payments.secret_states(document),
        webhook_url=webhook_url(current_tenant().domain),
    )


def _changes(form: SettingsForm, locale: str) -> tuple[dict, dict[str, str]]:
    """The partial document the form asks for, and the problems of what could not be read."""
    change, problems = {}, {}
    for section in SECTIONS:
        try:
            change.update(section.change(getattr(form, section.name).form, locale))
        except Invalid as error:
            problems.update(error.fields)
    return change, problems


HOURS_ACTIONS = ("copy_monday", "add_range")


def _hours_action(form: SettingsForm, document: dict, action: str):
    """The hours table's buttons without JavaScript: the page again as typed, with Monday
    copied to the weekdays, a range removed or one more range per day, and nothing saved."""
    if action == "copy_monday":
        settings_hours.copy_monday(form.hours.form)
        notice = _("Monday's hours were copied to Tuesday–Friday. Save the settings to keep them.")
        return _page(form, document, hours_notice=notice)
    if action.startswith("remove:"):
        day = settings_hours.remove_range(form.hours.form, action)
        if day is None:
            raise Invalid("hours_action", _("names no range of the table"))
        name = settings_hours.weekday_names(document["locale"])[day]
        notice = _("The range was removed from %(day)s. Save the settings to keep it.", day=name)
        return _page(form, document, hours_notice=notice)
    typed = request.form.get("hours_columns", "")
    shown = int(typed) if typed in {str(n) for n in range(MAX_RANGES_PER_DAY + 1)} else 0
    more = max(shown - settings_hours.columns(form.hours.form), 0) + 1
    return _page(form, document, more_columns=more, hours_notice=_("One more range per day."))


@bp.route("/settings", methods=["GET", "POST"], endpoint="settings")
@staff_required("admin")
def edit_settings():
    """The app-wide CSRF protection has refused a POST without its token before this view;
    every value is checked by the settings service."""
    document = current_settings()
    form = settings_form(document)
    if not form.is_submitted():
        return _page(form, document)
    action = request.form.get("hours_action", "")
    if action in HOURS_ACTIONS or action.startswith("remove:"):
        return _hours_action(form, document, action)
    change, problems = _changes(form, document["locale"])
    try:  # nothing is saved while anything is wrong; every problem is reported at once
        if problems:
            validate_settings(merged(document, change), document)
        else:
            update_settings(change)
    except Invalid as error:
        problems = {**error.fields, **problems}
    if problems:
        return _page(form, document, problems), 400
    return redirect(url_for("admin.settings", saved="1"), code=303)
