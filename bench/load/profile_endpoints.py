"""Server-side cost of each endpoint of the load scenario, one request at a time.

    .venv/bin/python bench/load/profile_endpoints.py [--runs 30]

Runs after bench/run_load.py (it reads the `kyc_load` database and var/load/tokens.json), in
process through Django's test Client with production settings and eager tasks: for every read
of the locust mix, the median wall time, the CPU time of this process and the number of SQL
queries. Shows where a request's time goes when the load test misses its target.
LOAD_DATABASE_URL and LOAD_VAR_DIR point it at another run's database and files (run_load
--smoke runs it so, with --runs 1, against its own smoke database).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kyc")
os.environ["DATABASE_URL"] = os.environ.get("LOAD_DATABASE_URL") or urlunsplit(
    urlsplit(_url)._replace(path="/kyc_load")
)
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
os.environ.setdefault("SECRET_KEY", "load-test-only-secret-key-0123456789-abcdefghijklmnop")
os.environ["SECURE_SSL_REDIRECT"] = "false"
VAR = Path(os.environ.get("LOAD_VAR_DIR") or ROOT / "var" / "load")
os.environ["VAR_DIR"] = str(VAR)
os.environ["MEDIA_ROOT"] = str(VAR / "media")
os.environ.pop("CELERY_BROKER_URL", None)
os.environ["LOG_LEVEL"] = "ERROR"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from cases.models import ReviewCase  # noqa: E402
from kyc.models import QualificationDocument  # noqa: E402
from merchants.models import MerchantMembership  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["testserver"]
    tokens = json.loads((VAR / "tokens.json").read_text())
    seller_key = tokens["sellers"][0]["key"]
    reviewer_key = tokens["reviewers"][1]["key"]
    membership = MerchantMembership.objects.filter(
        user__username=tokens["sellers"][0]["username"]
    ).first()
    assert membership is not None, "run bench/run_load.py first"
    m = membership.merchant_id
    doc = QualificationDocument.objects.filter(merchant_id=m).values_list("pk", flat=True).first()
    case = ReviewCase.objects.order_by("-pk").values_list("pk", flat=True).first()
    api = "/api/v1"
    checks = [
        ("seller", f"{api}/merchants/"),
        ("seller", f"{api}/merchants/{m}/"),
        ("seller", f"{api}/merchants/{m}/requirements/"),
        ("seller", f"{api}/cases/"),
        ("seller", f"{api}/merchants/{m}/documents/"),
        ("seller", f"{api}/documents/{doc}/"),
        ("reviewer", f"{api}/queues/"),
        ("reviewer", f"{api}/queues/onboarding-standard/cases/"),
        ("reviewer", f"{api}/cases/{case}/"),
        ("anonymous", "/health/"),
    ]
    clients = {
        "seller": Client(HTTP_AUTHORIZATION=f"Token {seller_key}"),
        "reviewer": Client(HTTP_AUTHORIZATION=f"Token {reviewer_key}"),
        "anonymous": Client(),
    }
    print(
        f"{'who':<9} {'path':<48} {'median ms':>9} {'cpu ms':>7} {'min cpu':>7} "
        f"{'queries':>7} {'bytes':>7}"
    )
    for who, path in checks:
        client = clients[who]
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.content[:200])
        walls, cpus = [], []
        for _ in range(args.runs):
            w0, c0 = time.perf_counter(), time.process_time()
            client.get(path)
            walls.append((time.perf_counter() - w0) * 1000)
            cpus.append((time.process_time() - c0) * 1000)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        print(
            f"{who:<9} {path:<48} {statistics.median(walls):9.1f} "
            f"{statistics.median(cpus):7.1f} {min(cpus):7.1f} {len(ctx.captured_queries):7d} "
            f"{len(response.content):7d}"
        )


if __name__ == "__main__":
    main()
