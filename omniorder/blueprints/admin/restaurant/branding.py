"""The restaurant's logo and banner (admins): upload, replace, remove."""

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from omniorder.blueprints.admin.base import bp
from omniorder.blueprints.admin.forms import BrandImageForm
from omniorder.core.errors import Invalid
from omniorder.core.unit_of_work import commit_step
from omniorder.media.photos import store_photo
from omniorder.settings.branding import set_brand_image
from omniorder.settings.document import IMAGE_KINDS, current_settings
from omniorder.staff.sessions import staff_required
from omniorder.web.input import accepts_upload

# Each image's words on the page, whole sentences per image (languages inflect "logo" and
# "banner" differently). `alt` takes the restaurant's name.
TEXTS = {
    "logo": {
        "title": _l("Logo"),
        "alt": _l("Logo of %(restaurant)s"),
        "remove": _l("Remove logo"),
        "none": _l("No logo yet."),
        "upload_label": _l("Upload logo (JPEG, PNG or WebP, up to 10 MB)"),
        "replace_label": _l("Replace logo (JPEG, PNG or WebP, up to 10 MB)"),
        "upload": _l("Upload logo"),
        "replace": _l("Replace logo"),
    },
    "banner": {
        "title": _l("Banner"),
        "alt": _l("Banner of %(restaurant)s"),
        "remove": _l("Remove banner"),
        "none": _l("No banner yet."),
        "upload_label": _l("Upload banner (JPEG, PNG or WebP, up to 10 MB)"),
        "replace_label": _l("Replace banner (JPEG, PNG or WebP, up to 10 MB)"),
        "upload": _l("Upload banner"),
        "replace": _l("Replace banner"),
    },
}


def render_branding(errors=None, status=200):
    return render_template(
        "admin/branding.html",
        images=current_settings()["images"],
        kinds=IMAGE_KINDS,
        texts=TEXTS,
        form=BrandImageForm(),
        errors=errors or {},
    ), status


@bp.get("/branding")
@staff_required("admin")
def branding():
    return render_branding()


@bp.post("/branding/<any(logo, banner):kind>")
@accepts_upload
@staff_required("admin")
def upload_brand_image(kind):
    """Store the upload, then save its reference in a new transaction (media/photos.py)."""
    form = BrandImageForm()
    if not form.validate():
        return render_branding({kind: _("the form expired; please try again")}, 400)
    if not form.image.data:
        return render_branding({kind: _("choose a JPEG, PNG or WebP image")}, 400)
    try:
        commit_step()  # no transaction open while the store is written
        set_brand_image(kind, store_photo(form.image.data.stream, kind))
    except Invalid as error:
        return render_branding({kind: next(iter(error.fields.values()), error.message)}, 400)
    return redirect(url_for("admin.branding"), code=303)


@bp.post("/branding/<any(logo, banner):kind>/remove")
@staff_required("admin")
def remove_brand_image(kind):
    set_brand_image(kind, None)
    return redirect(url_for("admin.branding"), code=303)
