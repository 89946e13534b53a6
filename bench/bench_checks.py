"""Document checks benchmark.

    .venv/bin/python bench/bench_checks.py [--runs 30] [--smoke]

1. All checks on a 5-page, ~2 MB scanned-style PDF (JPEG page images): streaming the file
   through SHA-256 into a spool file (as the pipeline does), then every file and metadata
   check, from a fresh FileSource each run (nothing cached between runs). Median and p95 of
   --runs runs (at least 20); target <= 300 ms. The first-page preview is timed apart (it is
   made in the same job but is not a check).
2. Memory: tracemalloc peak while streaming a 50 MB stored object through SHA-256 (the
   pipeline's stored_object_chunks + spool_and_hash), and while running every check on a
   50 MB PDF; both must stay far below the file size.

Prints the figures and the machine (CPU model, cores, Python).

--smoke (what CI runs, a few seconds): 3 runs, a 2-page PDF and 8 MB instead of 50 MB for the
memory part; it checks that every step works and that memory stays below the file size, and
prints figures that are not the benchmark's.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.core.files.storage import FileSystemStorage  # noqa: E402
from PIL import Image  # noqa: E402

from kyc.checks import (  # noqa: E402
    CheckContext,
    CheckLimits,
    FileSource,
    MerchantFacts,
    run_checks,
)
from kyc.checks.context import limits_from_settings  # noqa: E402
from kyc.previews import render_preview  # noqa: E402
from kyc.services import spool_and_hash, stored_object_chunks  # noqa: E402

MB = 1024 * 1024
TARGET_MS = 300


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{model}; {os.cpu_count()} logical cores; Python {platform.python_version()} "
        f"({platform.python_implementation()}) on {platform.system()} {platform.release()}"
    )


def scanned_pdf(pages: int = 5, target_bytes: int = 2 * MB) -> bytes:
    """A PDF like a phone scan: one JPEG per A4 page at 150 dpi, about target_bytes."""
    per_page = target_bytes // pages
    images = []
    for index in range(pages):
        noise = Image.effect_noise((1240, 1754), 40 + index).convert("RGB")
        paper = Image.new("RGB", noise.size, (246, 244, 238))
        page = Image.blend(paper, noise, 0.35)
        low, high, best = 20, 95, 60
        while low <= high:  # the JPEG quality that lands nearest the per-page size
            quality = (low + high) // 2
            out = io.BytesIO()
            page.save(out, format="JPEG", quality=quality)
            if out.tell() > per_page:
                high = quality - 1
            else:
                best, low = quality, quality + 1
        out = io.BytesIO()
        page.save(out, format="JPEG", quality=best)
        out.seek(0)
        images.append(Image.open(out))
    pdf = io.BytesIO()
    images[0].save(pdf, format="PDF", save_all=True, append_images=images[1:], resolution=150)
    return pdf.getvalue()


def big_pdf(path: Path, size: int) -> None:
    """A valid PDF of `size` bytes: one page whose image stream carries the bulk."""
    blob = os.urandom(size - 2048)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /XObject << /Im1 5 0 R >> >> >>",
        b"<< /Length 0 >>\nstream\n\nendstream",
        b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Length " + str(len(blob)).encode() + b" >>\nstream\n",
    ]
    with open(path, "wb") as out:
        out.write(b"%PDF-1.7\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(out.tell())
            out.write(f"{number} 0 obj\n".encode() + body)
            if number == 5:
                out.write(blob + b"\nendstream")
            out.write(b"\nendobj\n")
        xref = out.tell()
        out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
        for offset in offsets:
            out.write(f"{offset:010d} 00000 n \n".encode())
        trailer = f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\n"
        out.write(f"{trailer}startxref\n{xref}\n%%EOF\n".encode())


def context(sha256: str, limits: CheckLimits | None = None) -> CheckContext:
    return CheckContext(
        today=date.today(),
        document_type="business_license",
        family="entity",
        has_expiry=True,
        number="91350100M000100Y43",
        holder_name="Shenzhen Lumen Trading Company Limited",
        expiry_date=date(2031, 1, 1),
        sha256=sha256,
        merchant=MerchantFacts(
            id=1,
            legal_name="Shenzhen Lumen Trading Co., Ltd.",
            local_name="深圳市光明贸易有限公司",
            country="CN",
            registration_number="91350100M000100Y43",
            entity_type="company",
        ),
        limits=limits or limits_from_settings(),
    )


def all_checks(path: Path, sha256: str, limits: CheckLimits | None = None) -> list[Any]:
    """What the pipeline does per document, minus the database: stream + hash the file into
    a spool file, then run every check on the spool."""
    storage = FileSystemStorage(location=str(path.parent))
    with tempfile.NamedTemporaryFile(prefix="bench-") as spool:
        digest, _ = spool_and_hash(stored_object_chunks(storage, path.name), spool)
        ctx = context(sha256, limits)
        return run_checks(FileSource(path=spool.name), ctx, computed_sha256=digest)


def timed(func: Callable[[], Any], runs: int) -> list[float]:
    func()  # warm-up: imports, first-call caches of the libraries
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def peak_mb(func: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / MB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--smoke", action="store_true", help="a few seconds, for CI")
    args = parser.parse_args()
    runs = 3 if args.smoke else max(20, args.runs)
    big_mb = 8 if args.smoke else 50

    note = " (SMOKE run: sizes too small for figures)" if args.smoke else ""
    print(f"machine: {machine()}{note}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = scanned_pdf(pages=2, target_bytes=MB) if args.smoke else scanned_pdf()
        sha = hashlib.sha256(data).hexdigest()
        path = folder / "scan.pdf"
        path.write_bytes(data)

        results = all_checks(path, sha)
        assert results, "no check ran on the scanned PDF"
        failed = [r.code for r in results if r.outcome != "passed"]
        samples = timed(lambda: all_checks(path, sha), runs)
        median = statistics.median(samples)
        p95 = sorted(samples)[max(0, int(len(samples) * 0.95) - 1)]
        print(
            f"all checks, {'2' if args.smoke else '5'}-page {len(data) / MB:.2f} MB PDF: "
            f"{len(results)} checks "
            f"(not passed: {failed or 'none'}); median {median:.1f} ms, p95 {p95:.1f} ms, "
            f"min {min(samples):.1f} ms over {runs} runs "
            f"(target <= {TARGET_MS} ms: {'met' if median <= TARGET_MS else 'MISSED'})"
        )
        limits = limits_from_settings()
        preview_samples = timed(
            lambda: render_preview(FileSource(path=path), max_pixels=limits.max_image_pixels),
            2 if args.smoke else max(10, runs // 2),
        )
        preview = render_preview(FileSource(path=path), max_pixels=limits.max_image_pixels)
        assert preview is not None, "no preview of the scanned PDF"
        size = (
            f"{preview.width} x {preview.height} {preview.extension.upper()}, "
            f"{len(preview.data) / 1024:.0f} KB"
            if preview
            else "none"
        )
        print(
            f"first-page preview of the same PDF ({size}): "
            f"median {statistics.median(preview_samples):.1f} ms"
        )

        big = folder / "big.pdf"
        big_pdf(big, big_mb * MB)
        big_size = big.stat().st_size
        storage = FileSystemStorage(location=str(folder))

        def stream_hash() -> None:
            with tempfile.TemporaryFile() as sink:
                spool_and_hash(stored_object_chunks(storage, big.name), sink)

        started = time.perf_counter()
        hash_peak = peak_mb(stream_hash)
        hash_ms = (time.perf_counter() - started) * 1000
        print(
            f"streamed SHA-256 of a {big_size / MB:.0f} MB stored object: tracemalloc peak "
            f"{hash_peak:.2f} MB ({hash_ms:.0f} ms, under tracemalloc)"
        )
        big_sha = hashlib.sha256(big.read_bytes()).hexdigest()
        # The upload limit (10 MB by default) would stop at file_too_large: lift it here so
        # the PDF checks really run on the 50 MB file.
        roomy = replace(limits, max_bytes=(big_mb + 14) * MB)
        checks_peak = peak_mb(lambda: all_checks(big, big_sha, roomy))
        big_results = all_checks(big, big_sha, roomy)
        print(
            f"all checks on a {big_size / MB:.0f} MB PDF: tracemalloc peak {checks_peak:.2f} MB "
            f"({len(big_results)} checks; not passed: "
            f"{[r.code for r in big_results if r.outcome != 'passed'] or 'none'})"
        )
        # What the bench is about: memory bounded (the tests pin 4 MB), whatever the file size.
        for label, peak in (("hashing", hash_peak), ("checks", checks_peak)):
            assert peak < 4, f"{label}: tracemalloc peak {peak:.1f} MB, not bounded"
        assert "file_too_large" not in {r.code for r in big_results}
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
