"""Text answers compressed (Flask-Compress: Brotli or gzip, whichever the browser accepts),
for GET and HEAD only.

Why at all: the storefront of a restaurant with 40 items is about 60 KB of HTML and 6 KB
compressed, and with the stylesheet and scripts that is the difference a phone on a slow
link feels before its first paint (bench/lighthouse.py). A proxy in front that compresses
finds the answer already encoded and passes it on.

Why only GET and HEAD (BREACH): an observer who sees the length of a compressed answer that
holds a secret (the CSRF token in every form) and echoes what the request sent can guess the
secret byte by byte. Our GET pages echo nothing of the request; a form's answer does (the
checkout re-renders the name typed), so answers to POST are sent as they are.
Static files are streamed from disk, so streams are compressed as they go; nothing else
streamed is text of these types (the GDPR export is a zip).
"""

from flask import Flask, request
from flask_compress import Compress

compress = Compress()
TEXT_TYPES = [
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "image/svg+xml",
]


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_REGISTER", False)  # our hook below decides when
    app.config.setdefault("COMPRESS_MIMETYPES", TEXT_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_STREAMS", True)
    app.config.setdefault("COMPRESS_MIN_SIZE", 1024)
    compress.init_app(app)

    @app.after_request
    def compress_reads(response):
        # Other types keep their headers as they are (no "Vary: Accept-Encoding" on the menu
        # API's JSON, which the answer before Flask gives identically).
        if request.method in ("GET", "HEAD") and response.mimetype in TEXT_TYPES:
            return compress.after_request(response)
        return response
