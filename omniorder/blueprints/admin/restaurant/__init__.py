"""The back-office pages about the restaurant itself rather than its daily work: its setup
checklist and publishing, profile, logo and banner, theme, and settings (service, hours,
payments). Admins only; each module registers its pages on the back office's `bp`."""

from omniorder.blueprints.admin.restaurant import (  # noqa: F401  (each registers on `bp`)
    branding,
    profile,
    settings,
    setup,
    theme,
)
