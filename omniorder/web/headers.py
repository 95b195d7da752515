"""Security headers on every response, and a per-response CSP nonce for the theme's <style>.

The policy allows only this app's own scripts and styles. The one inline <style> (the theme's
CSS variables, built from validated values) carries the response's nonce; everything dynamic
that htmx swaps in is styled from app.js through the CSSOM, which the policy allows.
"""

import secrets

from flask import Flask, g

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'{style_nonce}; "
    "img-src 'self' https: http: data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
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


def security_headers(nonce: str | None = None) -> list[tuple[str, str]]:
    """The headers every response carries; the policy names a nonce only when the response
    used one (a themed page), so JSON and empty answers skip making one."""
    style_nonce = f" 'nonce-{nonce}'" if nonce else ""
    return [("Content-Security-Policy", POLICY.format(style_nonce=style_nonce)), *OTHER_HEADERS]


def add_security_headers(response):
    for name, value in security_headers(g.get("csp_nonce")):
        response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.after_request(add_security_headers)
    app.add_template_global(csp_nonce)
