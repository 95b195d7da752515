"""languages: which language a person is served, and the gettext catalogs (Flask-Babel).

The catalogs are `omniorder/translations/<language>/LC_MESSAGES/messages.po` (compiled to
``.mo`` beside them), extracted from the code and templates by ``pybabel`` through
``babel.cfg``; `scripts/catalogs` checks that every shipped language translates every message.
"""

# The languages OmniOrder ships a complete catalog for, English (the source) first.
SHIPPED = ("en", "de", "fr", "es", "it", "nl", "pt", "ar")
RIGHT_TO_LEFT = frozenset({"ar"})
# What a language is called in itself: the storefront's switcher and the staff's picker.
NATIVE_NAMES = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "it": "Italiano",
    "nl": "Nederlands",
    "pt": "Português",
    "ar": "العربية",
}
SOURCE_LANGUAGE = "en"
