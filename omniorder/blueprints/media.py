"""GET /media/<name>: a rendition of one of the restaurant's photos, from its media store.

The restaurant is the Host's, as for every request (from the registry in memory); nothing
else touches the database. A name is a content hash and a width, so what it names never
changes: the answer may be cached for a year by browsers and CDNs alike.
"""

from flask import Blueprint, abort, request
from werkzeug.wrappers import Response

from omniorder.media.reference import NAME
from omniorder.media.storage import CACHE_CONTROL, CONTENT_TYPE, media_store
from omniorder.tenancy.bind import current_tenant

bp = Blueprint("media", __name__)


@bp.get("/media/<name>")
def file(name):
    if not NAME.fullmatch(name):
        abort(404)
    found = media_store().open(current_tenant().schema_name, name)
    if found is None:
        abort(404)
    chunks, length = found
    response = Response(chunks, mimetype=CONTENT_TYPE, direct_passthrough=True)
    response.content_length = length
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.set_etag(name)
    return response.make_conditional(request)
