"""What a reader of another language would spot: English messages of the catalog left on a
page. Compares the page's visible text (text nodes and the attributes people read or hear:
aria-label, title, placeholder, alt) with the English source of every message the language
translates differently (a word that is the same in both, "Menu" in French, is not English left
behind)."""

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po

CATALOGS = Path(__file__).resolve().parents[2] / "omniorder" / "translations"
READ_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")
_PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|%[sd]")


class _Visible(HTMLParser):
    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.texts.append(data)


def visible_texts(html: str) -> list[str]:
    parser = _Visible()
    parser.feed(html)
    return [" ".join(text.split()) for text in parser.texts]


@cache
def english_of(language: str) -> tuple[tuple[str, re.Pattern], ...]:
    """(English message, pattern that finds it in a text) for each message `language`
    translates into something else; a message with placeholders matches any value there."""
    path = CATALOGS / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    found = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for english in ids:
            words = re.findall(r"[A-Za-z]{2,}", _PLACEHOLDER.sub(" ", english))
            placeholders = bool(_PLACEHOLDER.search(english))
            if english in strings or not words or (placeholders and len(words) < 2):
                continue  # the same in both, or too little English of its own to tell
            literal = [re.escape(" ".join(part.split())) for part in _PLACEHOLDER.split(english)]
            pattern = r"(?:.+?)".join(literal)
            if len(english.split()) == 1 and "%" not in english:
                found.append(
                    (english, re.compile(rf"^{pattern}$"))
                )  # a single word: the whole text
            else:
                found.append((english, re.compile(rf"(?<![A-Za-z]){pattern}(?![A-Za-z])")))
    return tuple(found)


def english_left(html: str, language: str) -> list[str]:
    """The catalog's English messages a page served in `language` still shows."""
    texts = visible_texts(html)
    return sorted(
        {
            english
            for english, pattern in english_of(language)
            for text in texts
            if pattern.search(text)
        }
    )


def translated(language: str, message: str, **values) -> str:
    """`message` as the shipped catalog of `language` says it, with `values` filled in: what a
    page served in that language shows (tests of a German restaurant assert its German)."""
    from babel.support import Translations

    catalog = Translations.load(str(CATALOGS), [language], "messages")
    text = catalog.gettext(message)
    return text % values if values else text
