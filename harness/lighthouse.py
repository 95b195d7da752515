"""Lighthouse against Debian's chromium: a page's category scores and the audits that cost it
points, for tests/browser/test_lighthouse.py (accessibility, best practices, SEO) and
bench/lighthouse.py (performance, a timing, so a benchmark's).

Lighthouse is an npm package pinned in harness/lighthouse/package-lock.json and installed
beside it on first use with ``npm install``, which follows the lock (``npm ci`` refuses it:
one of its dependencies asks for another at "latest"); the npm registry is reachable where
PyPI is. It drives the chromium the browser tests use, never a downloaded one (CHROME_PATH).
"""

import io
import json
import os
import random
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


def photo_like(seed: int, size=(1600, 1200)) -> bytes:
    """A photo-like JPEG: a colour gradient with grain, so its WebP renditions weigh what a
    real dish's do (a flat colour would compress to nothing)."""
    from PIL import Image, ImageFilter

    rng = random.Random(seed)
    base = Image.linear_gradient("L").resize(size).convert("RGB")
    tint = Image.new("RGB", size, tuple(rng.randrange(60, 230) for _ in range(3)))
    grain = Image.effect_noise(size, 40).convert("RGB").filter(ImageFilter.GaussianBlur(1))
    image = Image.blend(Image.blend(base, tint, 0.6), grain, 0.25)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def furnish_with_photos(domain: str) -> None:
    """Give the restaurant at `domain` a photo per item, a logo and a banner, as the back
    office does: the files stored first with no transaction open, then the references written
    in one unit of work. Call inside the app's context."""
    from sqlalchemy import select

    from omniorder.core.database import db
    from omniorder.core.unit_of_work import unit_of_work
    from omniorder.media.photos import store_photo
    from omniorder.menu.models import MenuItem
    from omniorder.settings.document import update_settings
    from omniorder.tenancy.bind import tenant_context
    from omniorder.tenancy.registry import tenant_registry

    with tenant_context(tenant_registry().lookup(domain)):
        with unit_of_work():
            ids = list(db.session.scalars(select(MenuItem.id).order_by(MenuItem.name)))
        photos = [store_photo(io.BytesIO(photo_like(index))) for index in range(len(ids))]
        logo = store_photo(io.BytesIO(photo_like(1000, (512, 512))), "logo")
        banner = store_photo(io.BytesIO(photo_like(1001, (2400, 800))), "banner")
        with unit_of_work():
            for item_id, reference in zip(ids, photos, strict=True):
                db.session.get(MenuItem, item_id).photo = reference
            update_settings({"images": {"logo": logo, "banner": banner}})


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
