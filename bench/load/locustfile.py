"""Mixed load: sellers uploading and reading, reviewers working queues (issue 7, item 5).

Run through bench/run_load.py, which prepares the database, the API tokens (LOAD_TOKENS, a JSON
file written by bench/load/setup_data.py), gunicorn and the Celery workers. By hand:

    LOAD_TOKENS=var/load/tokens.json .venv/bin/locust -f bench/load/locustfile.py --headless \\
        -u 60 -r 10 -t 2m --host http://127.0.0.1:8765

Every user authenticates with its own API token (`Authorization: Token …`), as integrations do.
The users are locust's FastHttpUser (geventhttpclient, keep-alive): the generator shares the
two cores with the server, and requests' HttpUser cost it about 2.4 ms of CPU per request.

Users (class weights 3 : 2, plus one health probe):

- SellerUser (3), waits 0.05–0.35 s between tasks (LOAD_WAIT_MIN/MAX): 60 users offer about
  240 requests/s at 50 ms latency, so the target can be reached and a slow server shows.
  Task weights: merchant detail 4, requirements 3, own case list 3, document list 2,
  document detail 2, upload a ~50 KB PDF (multipart POST …/documents/, which enqueues the checks) 1.
- ReviewerUser (2), same waits. Task weights: queue counts 3, one queue's cases 4,
  case detail 4, work a case 2: POST /cases/next/ (claims the next case, SKIP LOCKED), an
  internal comment, then release it (18 in 20), reject it with a retry reason code (1 in 20)
  or approve it (1 in 20; approval builds a PDF report on the reports queue).
- HealthProbe (exactly one), GET /health/ once a second, like a load balancer.

Expected answers only count as successes: 201 for writes, 204 from /cases/next/ when no case
waits. Anything else is an error.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import secrets
from typing import Any

from locust import FastHttpUser, between, constant, task

API = "/api/v1"
WAIT_MIN = float(os.environ.get("LOAD_WAIT_MIN", "0.05"))
WAIT_MAX = float(os.environ.get("LOAD_WAIT_MAX", "0.35"))
QUEUES = ["onboarding-standard", "onboarding-high-risk", "second-approval", "edd"]


def _tokens() -> dict[str, list[dict[str, str]]]:
    path = os.environ.get("LOAD_TOKENS", "var/load/tokens.json")
    with open(path) as f:
        return json.load(f)


TOKENS = _tokens()
_seller_keys = itertools.cycle(TOKENS["sellers"])
_reviewer_keys = itertools.cycle(TOKENS["reviewers"])


def upload_pdf(nonce: str) -> bytes:
    """A valid one-page PDF of about 50 KB, unique per upload (the duplicate-file check)."""
    ops = [f"BT /F1 10 Tf 20 280 Td (Load upload {nonce}) Tj ET"]
    while sum(len(o) + 1 for o in ops) < 50_000:
        ops.append(f"BT /F1 4 Tf 20 {len(ops) % 200 + 5} Td (scan line {len(ops):06d}) Tj ET")
    content = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 300] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    trailer = f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    out += trailer.encode()
    return bytes(out)


def multipart(
    fields: dict[str, str], name: str, filename: str, body: bytes, ctype: str
) -> tuple[bytes, str]:
    """A multipart/form-data body (FastHttpUser has no `files=`) and its Content-Type."""
    boundary = secrets.token_hex(16)
    out = bytearray()
    for key, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    out += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"'
        f"\r\nContent-Type: {ctype}\r\n\r\n"
    ).encode()
    out += body + f"\r\n--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


class ApiUser(FastHttpUser):
    abstract = True
    wait_time = between(WAIT_MIN, WAIT_MAX)
    pool: Any = None

    def on_start(self) -> None:
        token = next(self.pool)
        self.auth = {"Authorization": f"Token {token['key']}"}

    def get_json(self, path: str, name: str) -> Any:
        with self.client.get(path, name=name, headers=self.auth, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return None
            return response.json()

    def post_json(self, path: str, name: str, body: dict[str, Any], ok: tuple[int, ...]) -> Any:
        with self.client.post(
            path, json=body, name=name, headers=self.auth, catch_response=True
        ) as response:
            if response.status_code not in ok:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return None
            return response.json() if response.content else {}


class SellerUser(ApiUser):
    weight = 3
    pool = _seller_keys

    def on_start(self) -> None:
        super().on_start()
        page = self.get_json(f"{API}/merchants/", "seller: merchant list")
        results = (page or {}).get("results", [])
        self.merchants = [m["id"] for m in results]
        self.numbers = {m["id"]: m.get("registration_number") or "" for m in results}
        self.documents: list[int] = []

    def merchant(self) -> int | None:
        return random.choice(self.merchants) if self.merchants else None

    @task(4)
    def merchant_detail(self) -> None:
        if (m := self.merchant()) is not None:
            self.get_json(f"{API}/merchants/{m}/", "seller: merchant detail")

    @task(3)
    def requirements(self) -> None:
        if (m := self.merchant()) is not None:
            self.get_json(f"{API}/merchants/{m}/requirements/", "seller: requirements")

    @task(3)
    def cases(self) -> None:
        self.get_json(f"{API}/cases/", "seller: case list")

    @task(2)
    def documents_list(self) -> None:
        if (m := self.merchant()) is None:
            return
        page = self.get_json(f"{API}/merchants/{m}/documents/", "seller: document list")
        ids = [d["id"] for d in (page or {}).get("results", [])]
        if ids:
            self.documents = ids[:20]

    @task(2)
    def document_detail(self) -> None:
        if self.documents:
            doc = random.choice(self.documents)
            self.get_json(f"{API}/documents/{doc}/", "seller: document detail")

    @task(1)
    def upload(self) -> None:
        if (m := self.merchant()) is None:
            return
        nonce = secrets.token_hex(8)
        body, content_type = multipart(
            {
                "document_type": "business_license",
                "number": self.numbers.get(m, ""),
                "expiry_date": "2031-01-01",
            },
            "file",
            f"licence-{nonce}.pdf",
            upload_pdf(nonce),
            "application/pdf",
        )
        with self.client.post(
            f"{API}/merchants/{m}/documents/",
            name="seller: upload document (50 KB PDF)",
            data=body,
            headers={**self.auth, "Content-Type": content_type},
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return
            self.documents.append(response.json()["id"])


class ReviewerUser(ApiUser):
    weight = 2
    pool = _reviewer_keys

    def on_start(self) -> None:
        super().on_start()
        self.case_ids: list[int] = []

    @task(3)
    def queues(self) -> None:
        self.get_json(f"{API}/queues/", "reviewer: queue counts")

    @task(4)
    def queue_cases(self) -> None:
        code = random.choice(QUEUES[:2]) if random.random() < 0.8 else random.choice(QUEUES)
        page = self.get_json(f"{API}/queues/{code}/cases/", "reviewer: queue cases")
        ids = [c["id"] for c in (page or {}).get("results", [])]
        if ids:
            self.case_ids = ids

    @task(4)
    def case_detail(self) -> None:
        if self.case_ids:
            case = random.choice(self.case_ids)
            self.get_json(f"{API}/cases/{case}/", "reviewer: case detail")

    @task(2)
    def work_case(self) -> None:
        case = self.post_json(f"{API}/cases/next/", "reviewer: next case (claim)", {}, (200, 204))
        if not case:  # 204: nothing waits for this reviewer
            return
        case_id = case["id"]
        self.post_json(
            f"{API}/cases/{case_id}/comments/",
            "reviewer: internal comment",
            {"body": "Checked the licence against the registry.", "visibility": "internal"},
            (201,),
        )
        roll = random.random()
        if roll < 0.05:
            self.post_json(
                f"{API}/cases/{case_id}/reject/",
                "reviewer: reject (retry)",
                {
                    "reason_codes": ["requirements_not_met"],
                    "rationale": "The licence scan is unreadable.",
                },
                (200,),
            )
        elif roll < 0.10:
            # An approval needs every document decided: accept the clean ones in one call; a
            # case with a warned document is refused (409 documents_undecided), as designed.
            self.post_json(
                f"{API}/cases/{case_id}/documents/accept-clean/",
                "reviewer: accept all clean documents",
                {},
                (200,),
            )
            self.post_json(
                f"{API}/cases/{case_id}/approve/",
                "reviewer: approve",
                {"reason_codes": ["approved_clean"], "rationale": "All documents verified."},
                (200, 409),
            )
        else:
            self.post_json(f"{API}/cases/{case_id}/release/", "reviewer: release", {}, (200,))


class HealthProbe(FastHttpUser):
    fixed_count = 1
    wait_time = constant(1)

    @task
    def health(self) -> None:
        self.client.get("/health/", name="health")
