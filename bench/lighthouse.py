"""Lighthouse's mobile run on the storefront a customer opens (issue 28): a restaurant with
40 items with photos, a logo and a banner, served by a real gunicorn (deploy/gunicorn.conf.py,
sync workers, 5 of them as on 2 cores) from the media folder, as production serves it without
a CDN. Performance is a timing (simulated slow 4G and a 4× slower CPU, from a trace of the
real page), so it is measured here, `runs` times, and reported as the median with each run's
scores and the metrics that make it; accessibility, best practices and SEO are audits, held at
100 by tests/browser/test_lighthouse.py as well.

    python -m bench lighthouse        # BENCH_RUNS runs (3)
"""

import statistics
import tempfile
import time
import urllib.request

from bench.common import REPOSITORY, bench_app, migrate_public, scratch_database
from bench.http import SECRET
from harness.lighthouse import CATEGORIES, furnish_with_photos, lighthouse, lighthouse_menu
from harness.processes import gunicorn

DOMAIN = "lighthouse.bench.localhost"
CHROMIUM = "/usr/bin/chromium"


def restaurant(url: str, media: str) -> None:
    """Provision the restaurant and give it its photos, logo and banner (harness/lighthouse)."""
    from omniorder.core.database import db
    from omniorder.core.unit_of_work import unit_of_work
    from omniorder.platform.tenants import provision_tenant

    app = bench_app(url, OMNIORDER_MEDIA_URI=media)
    migrate_public(app)
    with app.app_context():
        with unit_of_work():
            provision_tenant(
                name="Trattoria Lighthouse",
                domain=DOMAIN,
                schema_name="tenant_lighthouse",
                menu=lighthouse_menu(),
            )
        furnish_with_photos(DOMAIN)
        db.engine.dispose()


def run(runs: int = 3) -> dict:
    started = time.time()
    with scratch_database("lighthouse") as url, tempfile.TemporaryDirectory() as media:
        restaurant(url, media)
        environment = {
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET,
            "OMNIORDER_MEDIA_URI": media,
            "WEB_CONCURRENCY": "5",
        }
        config = REPOSITORY / "deploy" / "gunicorn.conf.py"
        with gunicorn("wsgi:app", environment, config=config) as port:
            page = f"http://{DOMAIN}:{port}/"
            # chromium resolves *.localhost to the loopback; Python's resolver does not.
            warm = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Host": DOMAIN})
            with urllib.request.urlopen(warm, timeout=10) as answer:  # warm the caches
                assert answer.status == 200 and b"srcset" in answer.read()
            samples = []
            for index in range(runs):
                samples.append(lighthouse(page, CHROMIUM))
                print(f"    run {index + 1}/{runs}: {samples[-1]['scores']}", flush=True)
    return {
        "page": "storefront, 40 items with photos, logo and banner; mobile (Lighthouse default)",
        "scores_median": {
            name: statistics.median(sample["scores"][name] for sample in samples)
            for name in CATEGORIES
        },
        "metrics_median_ms": {
            name: round(statistics.median(sample["metrics"][name] for sample in samples), 3)
            for name in samples[0]["metrics"]
        },
        "losing": sorted({audit for s in samples for ids in s["losing"].values() for audit in ids}),
        "runs": samples,
        "seconds": round(time.time() - started),
    }
