"""The restaurant's theme, with a live preview (admins)."""

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from omniorder.blueprints.admin.base import bp
from omniorder.blueprints.admin.forms import ThemeForm
from omniorder.core.errors import Invalid
from omniorder.settings.theme import theme_for_render, update_theme
from omniorder.staff.sessions import staff_required
from omniorder.tenancy.bind import current_tenant


@bp.route("/theme", methods=["GET", "POST"])
@staff_required("admin")
def theme():
    current = theme_for_render(current_tenant().theme_config)
    form = ThemeForm(data={key: current[key] for key in ("preset", "primary_color", "font_family")})
    if not form.is_submitted():
        return render_template("admin/theme.html", form=form, preview=current, message=None)
    if not form.validate():
        return render_template(
            "admin/theme.html", form=form, preview=current, message=_("Please fill in every field.")
        ), 400
    try:
        update_theme(
            current_tenant().id,
            {
                "preset": form.preset.data,
                "primary_color": form.primary_color.data.strip(),
                "font_family": form.font_family.data,
            },
        )
    except Invalid as error:
        return render_template(
            "admin/theme.html", form=form, preview=current, message=error.message
        ), 400
    return redirect(url_for("admin.theme"), code=303)


@bp.get("/theme/preview")
@staff_required("admin")
def theme_preview():
    """The candidate theme on a sample card; invalid values fall back to the defaults."""
    candidate = {
        key: request.args.get(key)
        for key in ("preset", "primary_color", "font_family")
        if request.args.get(key)
    }
    return render_template("admin/_theme_preview.html", preview=theme_for_render(candidate))
