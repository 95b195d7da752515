"""Security headers on every response, and a per-response CSP nonce for the theme's <style>.

The policy allows only this app's own scripts and styles. The one inline <style> (the theme's
CSS variables, built from validated values) carries the response's nonce; everything dynamic
that htmx swaps in is styled from app.js through the CSSOM, which the policy allows.
"""

import secrets

from flask import Flask, g
from werkzeug.middleware.proxy_fix import ProxyFix

POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; "
          "img-src 'self' https: http: data:; connect-src 'self'; object-src 'none'; "
          "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def security_headers(nonce: str) -> dict[str, str]:
    return {"Content-Security-Policy": POLICY.format(nonce=nonce),
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
            "X-Frame-Options": "DENY"}


def add_security_headers(response):
    response.headers.update(security_headers(csp_nonce()))
    return response


def init_app(app: Flask) -> None:
    hops = app.config.get("OMNIORDER_PROXY_HOPS", 0)
    if hops:  # trust exactly that many proxies: their X-Forwarded-* give scheme, host, client
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.after_request(add_security_headers)
    app.add_template_global(csp_nonce)
