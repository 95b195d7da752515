"""The restaurant's logo and banner (admins): upload, replace, remove."""

from flask import redirect, render_template, url_for

from omniorder.blueprints.admin.base import bp
from omniorder.blueprints.admin.forms import BrandImageForm
from omniorder.core.errors import Invalid
from omniorder.core.unit_of_work import commit_step
from omniorder.media.photos import store_photo
from omniorder.settings.branding import set_brand_image
from omniorder.settings.document import IMAGE_KINDS, current_settings
from omniorder.staff.sessions import staff_required
from omniorder.web.input import accepts_upload

LABELS = {"logo": "Logo", "banner": "Banner"}


def render_branding(errors=None, status=200):
    return render_template(
        "admin/branding.html",
        images=current_settings()["images"],
        kinds=IMAGE_KINDS,
        labels=LABELS,
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
        return render_branding({kind: "the form expired; please try again"}, 400)
    if not form.image.data:
        return render_branding({kind: "choose a JPEG, PNG or WebP image"}, 400)
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
