"""Security headers on every response, and a per-response CSP nonce for the theme's <style>.

The policy allows only this app's own scripts and styles. The one inline <style> (the theme's
CSS variables, built from validated values) carries the response's nonce; everything dynamic
that htmx swaps in is styled from app.js through the CSSOM, which the policy allows.

A page that loads another origin's script (the payment page's Stripe.js) says so for its own
response only (`allow_sources`): every other response keeps the policy of our own origin alone.
"""

import secrets

from flask import Flask, g

DIRECTIVES = (
    ("default-src", "'self'"),
    ("script-src", "'self'"),
    ("style-src", "'self'"),
    ("img-src", "'self' https: http: data:"),
    ("connect-src", "'self'"),
    ("frame-src", None),  # left to default-src unless a response allows more
    ("object-src", "'none'"),
    ("base-uri", "'self'"),
    ("form-action", "'self'"),
    ("frame-ancestors", "'none'"),
)
OTHER_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)


def csp_nonce() -> str:
    """This response's nonce, made when a template first asks for it."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def allow_sources(sources: dict[str, tuple[str, ...]]) -> None:
    """Let this response's page use these origins, by directive (``{"script-src":
    ("https://js.stripe.com",)}``); each origin once, after what the policy allows already."""
    allowed = g.setdefault("csp_sources", {})
    for directive, origins in sources.items():
        kept = allowed.setdefault(directive, [])
        kept.extend(origin for origin in origins if origin not in kept)


def policy(nonce: str | None = None, sources: dict | None = None) -> str:
    extra = dict(sources or {})
    if nonce:
        extra["style-src"] = [f"'nonce-{nonce}'", *extra.get("style-src", ())]
    parts = []
    for directive, base in DIRECTIVES:
        added = extra.get(directive)
        if base is None and not added:
            continue  # default-src speaks for it
        parts.append(" ".join([directive, base or "'self'", *(added or ())]))
    return "; ".join(parts)


def security_headers(nonce: str | None = None, sources: dict | None = None):
    """The headers every response carries; the policy names a nonce only when the response
    used one (a themed page), so JSON and empty answers skip making one, and other origins
    only when the response allowed them (`allow_sources`)."""
    return [("Content-Security-Policy", policy(nonce, sources)), *OTHER_HEADERS]


def add_security_headers(response):
    for name, value in security_headers(g.get("csp_nonce"), g.get("csp_sources")):
        response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.after_request(add_security_headers)
    app.add_template_global(csp_nonce)
