"""Lighthouse against Debian's chromium: a page's category scores and the audits that cost it
points, for tests/browser/test_lighthouse.py (accessibility, best practices, SEO) and
bench/lighthouse.py (performance, a timing, so a benchmark's).

Lighthouse is an npm package pinned in harness/lighthouse/package-lock.json and installed
beside it on first use with ``npm install``, which follows the lock (``npm ci`` refuses it:
one of its dependencies asks for another at "latest"); the npm registry is reachable where
PyPI is. It drives the chromium the browser tests use, never a downloaded one (CHROME_PATH).
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent / "lighthouse"
CLI = HERE / "node_modules" / "lighthouse" / "cli" / "index.js"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --no-first-run --disable-quic"


CATEGORY_NAMES = ("Starters", "Pizzas", "Pasta", "Desserts", "Drinks")
ALLERGEN_SETS = (["gluten"], ["gluten", "milk"], [], ["nuts"], ["eggs", "milk"], ["fish"])


def lighthouse_menu(items: int = 40) -> dict:
    """The menu Lighthouse is run on (a menu document, menu/document.py): `items` items over
    five categories, a third of them with a size choice, varied allergens and descriptions of
    a realistic length."""
    categories = [{"name": name, "items": []} for name in CATEGORY_NAMES]
    for index in range(items):
        category = categories[index % len(categories)]
        category["items"].append(
            {
                "name": f"{category['name'][:-1]} no. {index + 1}",
                "description": "Slow-cooked with tomatoes, basil and olive oil from our own "
                "grove; served with bread baked this morning.",
                "price": 450 + 75 * index,
                "allergens": ALLERGEN_SETS[index % len(ALLERGEN_SETS)],
                "option_groups": []
                if index % 3
                else [
                    {
                        "name": "Size",
                        "min": 1,
                        "max": 1,
                        "options": [
                            {"name": "Regular", "price_delta": 0},
                            {"name": "Large", "price_delta": 300},
                        ],
                    }
                ],
            }
        )
    return {"categories": categories}


def ensure_lighthouse() -> Path | None:
    """The Lighthouse CLI, installed if it is not yet; None without Node.js."""
    if CLI.exists():
        return CLI
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        return None
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=HERE,
        check=True,
        timeout=600,
    )
    return CLI


def lighthouse(
    url: str,
    chromium: str,
    categories: tuple[str, ...] = CATEGORIES,
    *,
    form_factor: str = "mobile",
    timeout: float = 240,
) -> dict:
    """Run Lighthouse once on `url` (mobile: a 412×823 screen, slow 4G and a 4× slower CPU,
    simulated): ``{"scores": {category: 0–100}, "losing": {category: [audit ids that cost
    points]}, "metrics": {…}}``."""
    cli = ensure_lighthouse()
    if cli is None:
        raise RuntimeError("Lighthouse needs Node.js and npm (apt-get install nodejs npm)")
    command = [
        shutil.which("node") or "node",
        str(cli),
        url,
        "--output=json",
        "--output-path=stdout",
        "--quiet",
        f"--chrome-flags={CHROME_FLAGS}",
        f"--only-categories={','.join(categories)}",
        f"--form-factor={form_factor}",
    ]
    if form_factor == "desktop":
        command.append("--preset=desktop")
    finished = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "CHROME_PATH": chromium},
        check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"lighthouse failed ({finished.returncode}): {finished.stderr[-2000:]}")
    report = json.loads(finished.stdout)
    if report.get("runtimeError"):
        raise RuntimeError(f"lighthouse: {report['runtimeError']}")
    return summary(report)


def summary(report: dict) -> dict:
    """Scores in whole points, and per category the weighted audits that scored below 1."""
    audits = report["audits"]
    scores, losing = {}, {}
    for name, category in report["categories"].items():
        scores[name] = None if category["score"] is None else round(category["score"] * 100)
        losing[name] = [
            ref["id"]
            for ref in category["auditRefs"]
            if ref.get("weight")
            and audits[ref["id"]]["score"] is not None
            and audits[ref["id"]]["score"] < 1
        ]
    metrics = {
        key: audits[key]["numericValue"]
        for key in (
            "first-contentful-paint",
            "largest-contentful-paint",
            "total-blocking-time",
            "cumulative-layout-shift",
            "speed-index",
        )
        if key in audits
    }
    return {"scores": scores, "losing": losing, "metrics": metrics}
