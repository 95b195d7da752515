"""Menu import and export from the back office (managers and admins, as the menu pages): the
JSON document and a CSV of items to download; an upload shown as a preview of its changes,
applied only by "Apply" (menu/transfer.py says why that applies exactly what was shown)."""

import json

from flask import Response, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from omniorder.blueprints.admin.base import bp
from omniorder.core.errors import DomainError, Invalid
from omniorder.menu import transfer
from omniorder.menu.catalog import amount_as_typed, field_label, parse_typed_amount
from omniorder.menu.document import export_menu, validate_menu_document
from omniorder.settings.templating import money
from omniorder.staff.sessions import staff_required
from omniorder.tenancy.bind import current_tenant
from omniorder.web.input import accepts_upload


def _page(problems: dict | None = None, status: int = 200, message: str | None = None):
    return render_template(
        "admin/menu_transfer.html",
        problems=problems or {},
        message=message,
        imported=request.args.get("imported") == "1",
        max_megabytes=transfer.MAX_FILE_BYTES // (1024 * 1024),
        columns=transfer.CSV_COLUMNS,
    ), status


def _seal_args() -> tuple[str, str]:
    return current_app.config["SECRET_KEY"], current_tenant().schema_name


def _attachment(body: str, mimetype: str, name: str) -> Response:
    filename = f"menu-{current_tenant().domain.split('.')[0]}-{name}"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/menu/transfer")
@staff_required("manager")
def menu_transfer():
    return _page()


@bp.get("/menu/transfer/menu.json")
@staff_required("manager")
def export_menu_json():
    text = json.dumps(export_menu(), indent=2, ensure_ascii=False) + "\n"
    return _attachment(text, "application/json", "menu.json")


@bp.get("/menu/transfer/items.csv")
@staff_required("manager")
def export_items_csv():
    """Small (at most MAX_ITEMS lines), so built whole: one snapshot of the menu."""
    body = "".join(transfer.items_csv(export_menu(), amount_as_typed))
    return _attachment(body, "text/csv", "items.csv")


def _incoming(current: dict) -> dict:
    """The clean document the upload asks for: a JSON document as it is, a CSV merged into
    the current menu (menu/transfer.py's CSV rules)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid("file", _("choose a menu file (.json or .csv)"))
    text = transfer.read_upload(upload.stream.read(transfer.MAX_FILE_BYTES + 1))
    if transfer.is_json(text):
        return transfer.incoming_json(text)
    rows = transfer.rows_from_csv(text, lambda typed: parse_typed_amount(typed, "price"))
    merged = transfer.merge_csv(current, rows, replace=request.form.get("replace") == "yes")
    return validate_menu_document(merged)


@bp.post("/menu/transfer/preview")
@accepts_upload
@staff_required("manager")
def preview_menu_import():
    """Nothing is written: the preview and its sealed document for "Apply"."""
    current = export_menu()
    try:
        incoming = _incoming(current)
    except Invalid as error:
        return _page(error.fields, error.status_code)
    return render_template(
        "admin/menu_import_preview.html",
        preview=transfer.preview(current, incoming),
        token=transfer.seal(incoming, current, *_seal_args()),
        describe=transfer.describe,
        field_label=field_label,
        show_amount=money,
        filename=request.files["file"].filename,
    )


@bp.post("/menu/transfer/apply")
@accepts_upload  # the sealed document may be larger than an ordinary form
@staff_required("manager")
def apply_menu_import():
    try:
        transfer.apply_sealed(request.form.get("preview"), *_seal_args())
    except Invalid as error:
        return _page(error.fields, error.status_code)
    except DomainError as error:  # the menu changed since the preview (409)
        return _page(status=error.status_code, message=error.message)
    return redirect(url_for("admin.menu_transfer", imported="1"), code=303)
