"""`scripts/catalogs`: extracting, merging, compiling and checking the gettext catalogs with
Babel's own commands (``pybabel extract/update/compile`` through `babel.messages.frontend`), so
what CI checks is exactly what a translator's tools produce.

The check fails on: a message in the code or templates missing from ``messages.pot`` or one the
code no longer has (stale: run ``scripts/catalogs update``), a shipped language with a message
untranslated, fuzzy or with a placeholder its English lacks, or a ``.mo`` that is not its
``.po`` compiled (run ``scripts/catalogs compile``)."""

import re
import sys
import tempfile
from gettext import GNUTranslations
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from omniorder.languages import SHIPPED, SOURCE_LANGUAGE

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "omniorder" / "translations"
TEMPLATE = CATALOGS / "messages.pot"
# `_l` is lazy_gettext (forms and module constants); the rest are Babel's defaults.
EXTRACT = ["extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--sort-output"]
EXTRACT += ["--omit-header", "--project", "OmniOrder"]


def pybabel(*arguments: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *arguments])


def translated_languages() -> list[str]:
    return [code for code in SHIPPED if code != SOURCE_LANGUAGE]


def po_path(language: str) -> Path:
    return CATALOGS / language / "LC_MESSAGES" / "messages.po"


def extract(target: Path) -> None:
    pybabel(*EXTRACT, "-o", str(target), ".")  # babel.cfg's patterns are relative to it


def update() -> None:
    CATALOGS.mkdir(exist_ok=True)
    extract(TEMPLATE)
    for language in translated_languages():
        if po_path(language).exists():
            pybabel(
                "update",
                "-i",
                str(TEMPLATE),
                "-d",
                str(CATALOGS),
                "-l",
                language,
                "--no-fuzzy-matching",
                "--ignore-obsolete",
            )
        else:
            pybabel("init", "-i", str(TEMPLATE), "-d", str(CATALOGS), "-l", language)
    compile_all()


def compile_all() -> None:
    pybabel("compile", "-d", str(CATALOGS), "--use-fuzzy")


def _ids(catalog) -> set:
    return {message.id for message in catalog if message.id}


def _problems_of(language: str, template) -> list[str]:
    path = po_path(language)
    if not path.exists():
        return [f"{language}: no catalog at {path.relative_to(ROOT)}"]
    with path.open("rb") as handle:
        catalog = read_po(handle)
    problems = []
    missing = _ids(template) - _ids(catalog)
    if missing:
        problems.append(f"{language}: {len(missing)} messages not merged (scripts/catalogs update)")
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(f"{language}: untranslated: {message.id!r}")
        elif message.python_format and any(
            _placeholders(each) - _placeholders(message.id) for each in strings
        ):
            problems.append(f"{language}: placeholder not in the English: {message.id!r}")
    mo = path.with_suffix(".mo")
    if not mo.exists() or _compiled(mo) != _expected(catalog):
        problems.append(f"{language}: {mo.relative_to(ROOT)} is stale (scripts/catalogs compile)")
    return problems


def _placeholders(text) -> set:
    ids = text if isinstance(text, tuple) else (text,)
    return {name for each in ids for name in re.findall(r"%\((\w+)\)", each)}


def _compiled(mo: Path) -> dict:
    with mo.open("rb") as handle:
        catalog = GNUTranslations(handle)._catalog
    return {key: value for key, value in catalog.items() if key != ""}


def _expected(catalog) -> dict:
    expected = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple):
            for index, text in enumerate(message.string):
                expected[(message.id[0], index)] = text
        else:
            expected[message.id] = message.string
    return expected


def check() -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        fresh = Path(folder) / "messages.pot"
        extract(fresh)
        with fresh.open("rb") as handle:
            template = read_po(handle)
    problems = []
    if not TEMPLATE.exists():
        return [f"no {TEMPLATE.relative_to(ROOT)} (scripts/catalogs update)"]
    with TEMPLATE.open("rb") as handle:
        committed = read_po(handle)
    if _ids(template) != _ids(committed):
        new = len(_ids(template) - _ids(committed))
        gone = len(_ids(committed) - _ids(template))
        problems.append(
            f"messages.pot is stale: {new} new, {gone} gone messages (scripts/catalogs update)"
        )
    for language in translated_languages():
        problems.extend(_problems_of(language, template))
    return problems


def main(arguments: list[str]) -> int:
    command = arguments[0] if arguments else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        problems = check()
        for problem in problems[:200]:
            print(problem, file=sys.stderr)
        if problems:
            print(f"catalogs: {len(problems)} problems", file=sys.stderr)
            return 1
        print(f"catalogs: {len(translated_languages())} languages complete and up to date")
    else:
        print("usage: scripts/catalogs update|compile|check", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
