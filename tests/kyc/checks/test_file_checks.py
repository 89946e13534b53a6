"""The checks the bytes alone decide: type, size, PDF structure and content, image decoding
and resolution. Every hostile file gets its own failed check and its own code."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from kyc.checks import (
    CheckLimits,
    image_decode,
    image_resolution,
    pdf_embedded_files,
    pdf_javascript,
    pdf_structure,
)
from kyc.checks import file_type as file_type_check
from kyc.checks.base import Outcome
from kyc.checks.runner import file_checks
from tests.factories import ELF_BYTES, pdf_bytes

from . import files
from .conftest import context, source


def _outcomes(data: bytes, **limits: int) -> dict[str, tuple[str, str]]:
    ctx = context(data, limits=CheckLimits(**limits))
    return {r.check_name: (r.outcome.value, r.code) for r in file_checks(source(data), ctx)}


# --------------------------------------------------------------------------- file type


@pytest.mark.parametrize(
    ("data", "sniffed"),
    [
        (files.pdf(), "application/pdf"),
        (files.image(fmt="PNG"), "image/png"),
        (files.image(fmt="JPEG"), "image/jpeg"),
    ],
)
def test_allowed_types_pass_on_their_bytes(data, sniffed):
    result = file_type_check.check(source(data), context(data))
    assert (result.outcome, result.code) == (Outcome.PASSED, "file_type_allowed")
    assert result.evidence == {"sniffed_type": sniffed, "size": len(data)}


def test_an_executable_named_pdf_fails_whatever_its_name():
    result = file_type_check.check(source(ELF_BYTES), context(ELF_BYTES))
    assert (result.outcome, result.code) == (Outcome.FAILED, "unsupported_file_type")
    assert result.evidence["sniffed_type"] == "application/x-executable"
    assert "ELF" in result.message_en and "whatever its name says" in result.message_en
    assert "ELF" in result.message_zh and "PDF" in result.message_zh


def test_html_is_not_a_recognised_document():
    data = b"<html><script>alert(1)</script></html>"
    result = file_type_check.check(source(data), context(data))
    assert result.code == "unsupported_file_type"
    assert result.evidence["sniffed_type"] == "unknown"
    assert "not a recognised document" in result.message_en


def test_an_empty_file_fails_as_empty():
    result = file_type_check.check(source(b""), context(b""))
    assert (result.outcome, result.code) == (Outcome.FAILED, "file_empty")


def test_a_file_over_the_size_limit_fails_with_both_sizes():
    data = files.pdf()
    result = file_type_check.check(source(data), context(data, limits=CheckLimits(max_bytes=100)))
    assert (result.outcome, result.code) == (Outcome.FAILED, "file_too_large")
    assert result.evidence == {"size": len(data), "max_bytes": 100}
    assert "100 bytes" in result.message_en


def test_a_failed_type_stops_the_other_file_checks():
    assert _outcomes(ELF_BYTES) == {"file_type": ("failed", "unsupported_file_type")}


# --------------------------------------------------------------------------- PDF


def test_a_clean_pdf_passes_every_pdf_check():
    assert _outcomes(pdf_bytes()) == {
        "file_type": ("passed", "file_type_allowed"),
        "pdf_structure": ("passed", "pdf_readable"),
        "pdf_javascript": ("passed", "pdf_no_javascript"),
        "pdf_embedded_files": ("passed", "pdf_no_embedded_files"),
    }


def test_an_encrypted_pdf_fails_as_encrypted_and_says_how_to_fix_it():
    data = files.pdf_encrypted()
    result = pdf_structure.check(source(data), context(data))
    assert (result.outcome, result.code) == (Outcome.FAILED, "pdf_encrypted")
    assert result.evidence == {"encrypted": True, "needs_password": True}
    assert "Remove the password" in result.message_en and "去除密码" in result.message_zh
    # Its content cannot be inspected: the other PDF checks say so instead of passing.
    outcomes = _outcomes(data)
    assert outcomes["pdf_javascript"] == ("warning", "pdf_not_inspected")
    assert outcomes["pdf_embedded_files"] == ("warning", "pdf_not_inspected")


def test_a_pdf_that_opens_without_password_but_restricts_copying_only_warns():
    data = files.pdf_restricted()
    result = pdf_structure.check(source(data), context(data))
    assert (result.outcome, result.code) == (Outcome.WARNING, "pdf_permissions_restricted")
    assert _outcomes(data)["pdf_javascript"] == ("passed", "pdf_no_javascript")


def test_a_damaged_pdf_fails_as_unreadable():
    data = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\ngarbage" + b"\x00" * 100
    result = pdf_structure.check(source(data), context(data))
    assert (result.outcome, result.code) == (Outcome.FAILED, "pdf_unreadable")
    assert result.evidence["error"]


def test_a_pdf_cut_in_half_fails_as_unreadable():
    data = files.pdf(3)[:200]
    assert _outcomes(data)["pdf_structure"] == ("failed", "pdf_unreadable")


def test_a_six_page_pdf_fails_a_five_page_limit():
    data = files.pdf(6)
    result = pdf_structure.check(source(data), context(data, limits=CheckLimits(max_pdf_pages=5)))
    assert (result.outcome, result.code) == (Outcome.FAILED, "too_many_pages")
    assert result.evidence == {"page_count": 6, "max_pages": 5}
    five = files.pdf(5)
    assert (
        pdf_structure.check(source(five), context(five, limits=CheckLimits(max_pdf_pages=5))).code
        == "pdf_readable"
    )


@pytest.mark.parametrize(
    "build",
    [files.pdf_with_open_action_js, files.pdf_with_page_aa_js, files.pdf_with_launch_action],
    ids=["open-action-javascript", "page-additional-action", "launch-action"],
)
def test_a_pdf_with_scripts_or_launch_actions_fails(build):
    data = build()
    result = pdf_javascript.check(source(data), context(data))
    assert (result.outcome, result.code) == (Outcome.FAILED, "pdf_javascript")
    assert result.evidence["javascript"] or result.evidence["launch_actions"]
    # It is its own check: structure and attachments are fine.
    outcomes = _outcomes(data)
    assert outcomes["pdf_structure"] == ("passed", "pdf_readable")
    assert outcomes["pdf_embedded_files"] == ("passed", "pdf_no_embedded_files")


def test_the_javascript_evidence_says_where_it_sits():
    data = files.pdf_with_page_aa_js()
    evidence = pdf_javascript.check(source(data), context(data)).evidence
    assert any("/JS" in where for where in evidence["javascript"])


def test_a_pdf_with_an_attachment_fails_as_embedded_files():
    data = files.pdf_with_attachment()
    result = pdf_embedded_files.check(source(data), context(data))
    assert (result.outcome, result.code) == (Outcome.FAILED, "pdf_embedded_files")
    assert any("EmbeddedFiles" in where for where in result.evidence["embedded_files"])
    assert _outcomes(data)["pdf_javascript"] == ("passed", "pdf_no_javascript")


def test_a_pdf_too_large_to_walk_fails_as_too_complex():
    data = files.pdf(30)
    outcomes = _outcomes(data, max_pdf_objects=10)
    assert outcomes["pdf_structure"] == ("failed", "pdf_too_complex")
    assert outcomes["pdf_javascript"] == ("warning", "pdf_not_inspected")


# --------------------------------------------------------------------------- images


def test_a_20000_by_20000_png_fails_fast_without_allocating_its_pixels():
    data = files.png_header_only(20_000, 20_000)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = image_decode.check(source(data), context(data))
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (result.outcome, result.code) == (Outcome.FAILED, "image_too_many_pixels")
    assert result.evidence["width"] == 20_000 and result.evidence["height"] == 20_000
    assert result.evidence["pixels"] == 400_000_000
    assert elapsed < 1.0
    assert peak < 5 * 1024 * 1024  # decoding would take 1.2 GB


def test_an_image_over_our_limit_but_under_pillows_fails_with_its_size():
    data = files.png_header_only(8_000, 6_000)  # 48 MP: Pillow would only warn
    result = image_decode.check(source(data), context(data))
    assert result.code == "image_too_many_pixels"
    assert (result.evidence["width"], result.evidence["height"]) == (8_000, 6_000)


def test_a_truncated_jpeg_fails_as_unreadable():
    data = files.truncated_jpeg()
    result = image_decode.check(source(data), context(data))
    assert (result.outcome, result.code) == (Outcome.FAILED, "image_unreadable")
    assert "truncated" in result.evidence["error"]
    assert _outcomes(data)["image_resolution"] == ("warning", "image_not_inspected")


def test_a_png_with_a_corrupt_chunk_fails_as_unreadable():
    data = bytearray(files.image((600, 600), "PNG"))
    data[40] ^= 0xFF  # inside the first data chunk: its CRC no longer matches
    result = image_decode.check(source(bytes(data)), context(bytes(data)))
    assert (result.outcome, result.code) == (Outcome.FAILED, "image_unreadable")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_sound_image_decodes_and_meets_the_resolution(fmt):
    data = files.image((1000, 700), fmt)
    assert _outcomes(data) == {
        "file_type": ("passed", "file_type_allowed"),
        "image_decode": ("passed", "image_readable"),
        "image_resolution": ("passed", "image_resolution_ok"),
    }


def test_a_tiny_image_fails_the_minimum_resolution():
    data = files.image((320, 200), "PNG")
    result = image_resolution.check(source(data), context(data))
    assert (result.outcome, result.code) == (Outcome.FAILED, "image_resolution_too_low")
    assert result.evidence == {"width": 320, "height": 200, "min_side": 500}
    assert "320 × 200" in result.message_en and "320 × 200" in result.message_zh


def test_a_truncated_jpeg_fails_even_after_weasyprint_is_imported() -> None:
    # WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES process-wide when it is imported (the
    # report builder runs in the same workers as the checks).
    import weasyprint  # noqa: F401
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = True
    data = files.truncated_jpeg()
    result = image_decode.check(source(data), context(data))
    assert (result.outcome, result.code) == (Outcome.FAILED, "image_unreadable")
