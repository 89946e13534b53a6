"""Hostile upload file names (path traversal, NUL, bidi and zero-width characters, homoglyphs,
very long names, dots and spaces only, Windows device names, header injection) through the
seller API, the seller page and EDD evidence: the storage key is always generated, nothing is
written outside the storage root, and the name shown or sent in Content-Disposition is the
sanitised one, RFC 6266-encoded."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import EddEvidence, ReviewCase
from kyc.models import DocumentType, QualificationDocument
from kyc.uploads import safe_display_name
from tests.factories import pdf_bytes
from tests.security.test_headers import _api, _client

pytestmark = pytest.mark.django_db

HOSTILE_NAMES = [
    "../../etc/passwd.pdf",
    "../../../../../../tmp/evil.pdf",
    "..\\..\\win.pdf",
    "/etc/passwd.pdf",
    "C:\\Windows\\System32\\evil.pdf",
    "\\\\server\\share\\evil.pdf",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd.pdf",
    "license\x00.exe.pdf",
    "invoice\u202efdp.exe",
    "in\u200bvoi\u200dce\ufeff.pdf",
    "\u0440\u0430\u0443\u0440\u0430l-invoice.pdf",  # Cyrillic "раура" looks like "paypa"
    "\uff45\uff56\uff49\uff4c\uff0e\uff50\uff44\uff46",  # fullwidth "evil.pdf"
    "a" * 5000 + ".pdf",
    ".",
    "..",
    "...",
    "   ",
    " . . ",
    "CON.pdf",
    "nul",
    "com1.pdf",
    '<script>alert(1)</script>".pdf',
    'a"; filename="evil.exe.pdf',
    "report\r\nX-Injected: 1.pdf",
    "许可证 扫描件.pdf",
]
STORED_KEY = re.compile(r"^documents/merchant-\d+/[0-9a-f]{8}-[0-9a-f-]{27}\.pdf$")
EVIDENCE_KEY = re.compile(r"^edd/[A-Za-z0-9/_-]+\.pdf$")
# RFC 6266: a quoted ASCII token or an RFC 5987 ext-value; nothing else in the header.
DISPOSITION = re.compile(
    r"^attachment; (filename=\"[\x20-\x21\x23-\x5b\x5d-\x7e]+\""
    r"|filename\*=utf-8''[A-Za-z0-9%!#$&+.^_`|~-]+)$"
)


def _files_in(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def assert_safe_display_name(shown: str) -> None:
    assert shown and shown not in {".", ".."}
    assert len(shown) <= 200
    assert not any(sep in shown for sep in ("/", "\\", "\x00", '"', ";", "<", ">", ":"))
    assert not any(unicodedata.category(ch)[0] in {"C", "Z"} for ch in shown), ascii(shown)
    assert not shown.startswith(".")  # never a hidden or relative name


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_the_display_name_is_always_safe(name: str) -> None:
    assert_safe_display_name(safe_display_name(name))


def test_what_the_display_name_keeps_and_drops() -> None:
    assert safe_display_name("../../etc/passwd.pdf") == "passwd.pdf"
    assert safe_display_name("..\\..\\win.pdf") == "win.pdf"
    assert safe_display_name("C:\\Windows\\System32\\evil.pdf") == "evil.pdf"
    assert safe_display_name("invoice\u202efdp.exe") == "invoicefdp.exe"  # bidi override gone
    assert safe_display_name("in\u200bvoi\u200dce\ufeff.pdf") == "invoice.pdf"
    assert safe_display_name("\uff45\uff56\uff49\uff4c\uff0e\uff50\uff44\uff46") == "evil.pdf"
    assert safe_display_name("license\x00.exe.pdf") == "license.exe.pdf"
    for only_dots_or_spaces in (".", "..", "   ", ""):
        assert safe_display_name(only_dots_or_spaces) == "document"
    assert len(safe_display_name("a" * 5000 + ".pdf")) == 200
    assert safe_display_name("许可证 扫描件.pdf") == "许可证_扫描件.pdf"
    assert safe_display_name("...") == safe_display_name(" . . ") == "document"
    assert safe_display_name(".htaccess") == "htaccess"
    assert safe_display_name("CON.pdf") == "_CON.pdf"
    assert safe_display_name("com1.pdf") == "_com1.pdf"
    assert safe_display_name("console.pdf") == "console.pdf"


BOUNDARY = "----kyc-hostile-name-boundary"
FIELDS = {
    "document_type": "business_license",
    "number": "91350100M000100Y43",
    "expiry_date": "2031-01-01",
}


def raw_multipart(name: str) -> bytes:
    """The body a hostile client writes by hand: the file name's bytes exactly as given
    (quotes, NUL, CR/LF and all), not what a well-behaved client library would send."""
    out = b""
    for key, value in FIELDS.items():
        out += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        ).encode()
    out += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{name}"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    return out + pdf_bytes() + f"\r\n--{BOUNDARY}--\r\n".encode()


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_api_upload_stores_under_a_generated_key_and_sends_a_safe_filename(
    name: str, draft_case: ReviewCase, seller: Any, reviewer: Any, tmp_path: Path
) -> None:
    media = tmp_path / "media"
    before = _files_in(tmp_path)
    api = _api(seller)
    response = api.generic(
        "POST",
        f"/api/v1/merchants/{draft_case.merchant_id}/documents/",
        raw_multipart(name),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )
    if name in {".", ".."} or len(name) > 1024:
        # Django's multipart parser drops a file part it cannot name, and refuses a part
        # header past its size limit: a 400, nothing stored.
        assert response.status_code == 400, response.content
        assert _files_in(tmp_path) == before
        assert not QualificationDocument.objects.exists()
        return
    assert response.status_code == 201, response.content
    document = QualificationDocument.objects.get(pk=response.json()["id"])

    # The key is ours; the only new file is that key, inside the storage root.
    assert STORED_KEY.match(document.file.name), document.file.name
    assert _files_in(tmp_path) - before == {media / document.file.name}
    assert (media / document.file.name).resolve().is_relative_to(media.resolve())
    if not any(ch in name for ch in '"\r\n'):  # those end or split the header line itself
        assert document.original_filename == safe_display_name(name)
    assert_safe_display_name(document.original_filename)
    assert response.json()["original_filename"] == document.original_filename

    download = api.get(f"/api/v1/documents/{document.pk}/file/")
    assert download.status_code == 200
    disposition = download["Content-Disposition"]
    assert DISPOSITION.match(disposition), disposition
    assert "\r" not in disposition and "\n" not in disposition
    assert download["X-Content-Type-Options"] == "nosniff"
    # The web view names the file after the row, never the upload.
    page = _client(reviewer).get(reverse("kyc:document_file", args=[document.pk]) + "?download=1")
    assert page["Content-Disposition"] == f'attachment; filename="document-{document.pk}.pdf"'


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.pdf",
        "..\\..\\win.pdf",
        "/etc/passwd.pdf",
        "invoice\u202efdp.exe",
        "in\u200bvoice.pdf",
        "CON.pdf",
        "...",
        "a" * 400 + ".pdf",
    ],
)
def test_page_upload_stores_under_a_generated_key(
    name: str, draft_case: ReviewCase, seller: Any, tmp_path: Path
) -> None:
    before = _files_in(tmp_path)
    response = _client(seller).post(
        reverse("cases:document_upload", args=[draft_case.merchant_id]),
        {
            "file": SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf"),
            "document_type": DocumentType.objects.get(code="business_license").pk,
            "number": "91350100M000100Y43",
            "expiry_date": "2031-01-01",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    document = QualificationDocument.objects.get(merchant=draft_case.merchant)
    assert STORED_KEY.match(document.file.name), document.file.name
    assert _files_in(tmp_path) - before == {tmp_path / "media" / document.file.name}
    assert_safe_display_name(document.original_filename)
    # Django's upload handling already drops any directory part before our code sees it.
    assert document.original_filename == safe_display_name(name)


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "..\\..\\x.pdf", "a\u202eb.pdf", ".."])
def test_edd_evidence_is_stored_under_a_generated_key(
    name: str, claimed_case: ReviewCase, reviewer: Any, senior: Any, tmp_path: Path
) -> None:
    from cases import edd, services

    services.case_escalate(actor=reviewer, case_id=claimed_case.pk, rationale="Opaque owners.")
    services.case_claim(actor=senior, case_id=claimed_case.pk)
    before = _files_in(tmp_path)
    edd.edd_evidence_add(
        actor=senior,
        case_id=claimed_case.pk,
        item="source_of_wealth",
        fileobj=SimpleUploadedFile("upload.pdf", pdf_bytes("Wealth")),
        filename=name,
        size=None,
        description="",
    )
    evidence = EddEvidence.objects.get()
    assert EVIDENCE_KEY.match(evidence.file.name), evidence.file.name
    assert ".." not in evidence.file.name
    assert _files_in(tmp_path) - before == {tmp_path / "media" / evidence.file.name}
    assert evidence.original_filename == safe_display_name(name)
    assert_safe_display_name(evidence.original_filename)
    response = _api(senior).get(f"/api/v1/edd-evidence/{evidence.pk}/file/")
    assert DISPOSITION.match(response["Content-Disposition"]), response["Content-Disposition"]
