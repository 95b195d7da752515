"""Restaurant themes: a preset, a primary colour and a font from an allow-list.

A theme is data rendered into CSS custom properties, so every value is checked against a
closed vocabulary: a hostile `theme_config` is refused when saved (`validate_theme`) and,
should one already be stored, its bad values are dropped when rendered (`theme_for_render`).
"""

import re

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import update

from omniorder.core.database import db
from omniorder.core.errors import Invalid
from omniorder.core.unit_of_work import after_commit
from omniorder.tenancy.models import Tenant
from omniorder.tenancy.registry import tenant_registry

PRESETS = {
    "light": {"bg": "#ffffff", "surface": "#f4f4f5", "text": "#18181b", "muted": "#52525b"},
    "dark": {"bg": "#111827", "surface": "#1f2937", "text": "#f9fafb", "muted": "#cbd5e1"},
    "bold": {"bg": "#fff7e6", "surface": "#ffe8b3", "text": "#1a1a1a", "muted": "#3f3f46"},
}
FONT_STACKS = {
    "system": "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
    "serif": "Georgia, Cambria, 'Times New Roman', Times, serif",
    "rounded": "ui-rounded, 'SF Pro Rounded', 'Hiragino Maru Gothic ProN', Quicksand, sans-serif",
    "mono": "ui-monospace, 'SFMono-Regular', Menlo, Consolas, 'Liberation Mono', monospace",
}
DEFAULT_THEME = {"preset": "light", "primary_color": "#c2410c", "font_family": "system"}
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")  # always with fullmatch: "$" lets "\n" through


def _one_of(value, allowed: dict) -> bool:
    """`value` is one of `allowed`'s keys; a list or an object is not (nor unhashable)."""
    return isinstance(value, str) and value in allowed


def _problems(config: dict) -> dict[str, str]:
    problems = {}
    for key in config.keys() - DEFAULT_THEME.keys():
        problems[str(key)[:40]] = _("is not a theme setting")
    if "preset" in config and not _one_of(config["preset"], PRESETS):
        problems["preset"] = _("must be one of %(choices)s", choices=", ".join(PRESETS))
    if "font_family" in config and not _one_of(config["font_family"], FONT_STACKS):
        problems["font_family"] = _("must be one of %(choices)s", choices=", ".join(FONT_STACKS))
    colour = config.get("primary_color")
    if "primary_color" in config and not (
        isinstance(colour, str) and _HEX_COLOUR.fullmatch(colour)
    ):
        problems["primary_color"] = _("must be a hex colour such as #d62300")
    return problems


def validate_theme(config) -> dict:
    """The theme to store, or `Invalid` naming every bad value."""
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise Invalid("theme_config", _("must be an object"))
    problems = _problems(config)
    if problems:
        raise Invalid(fields={f"theme_config.{key}": text for key, text in problems.items()})
    return dict(config)


def theme_for_render(config) -> dict:
    """Stored theme → safe values for the template; anything invalid falls back to the default."""
    config = config if isinstance(config, dict) else {}
    bad = _problems(config)
    theme = {key: value for key, value in config.items() if key in DEFAULT_THEME and key not in bad}
    merged = {**DEFAULT_THEME, **theme}
    return {
        **merged,
        **PRESETS[merged["preset"]],
        "font_stack": FONT_STACKS[merged["font_family"]],
        "on_primary": _text_on(merged["primary_color"]),
    }


def _text_on(colour: str) -> str:
    """Black or white, whichever reads better on `colour` (WCAG relative luminance)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if luminance > 0.179 else "#ffffff"


def theme_css(config) -> str:
    """The theme as CSS custom properties, built only from validated, allow-listed values."""
    theme = theme_for_render(config)
    return (
        ":root{"
        f"--primary:{theme['primary_color']};--on-primary:{theme['on_primary']};"
        f"--bg:{theme['bg']};--surface:{theme['surface']};--text:{theme['text']};"
        f"--muted:{theme['muted']};--font:{theme['font_stack']};"
        "}"
    )


def page_theme(tenant) -> dict:
    """The template variables for a page of `tenant` (None: no restaurant): its record and
    its CSS, marked safe because `theme_css` only emits validated, allow-listed values."""
    if tenant is None:
        return {"tenant": None, "theme_css": ""}
    return {"tenant": tenant, "theme_css": Markup(theme_css(tenant.theme_config))}


def update_theme(tenant_id, config) -> dict:
    """Validate and store a tenant's theme: this worker shows it from the next request once
    it has committed, every other worker within the registry interval."""
    theme = validate_theme(config)
    db.session.execute(update(Tenant).where(Tenant.id == tenant_id).values(theme_config=theme))
    after_commit(tenant_registry().invalidate)
    return theme
