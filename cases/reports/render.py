"""Renders a review report to PDF bytes with WeasyPrint, offline.

Two rules keep a hostile merchant profile from reaching anything: the template is autoescaped
(a name like `<img src=http://…>` is text, never markup), and WeasyPrint's URL fetcher serves
only our own files under static/reports/ — every other URL (http, https, file outside that
folder, data:) is refused and recorded, so nothing is fetched from the network or the disk.
"""

from __future__ import annotations

import functools
import gc
import logging
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..models import ReviewReport
from .context import report_context

logger = logging.getLogger(__name__)

ASSETS_DIR = Path(settings.BASE_DIR) / "static" / "reports"
TEMPLATE = "reports/review_report.html"
LANGUAGES = ("en", "zh-hans")


class ReportFetchRefused(ValueError):
    """WeasyPrint asked for a URL outside static/reports/."""


class ReportURLFetcher(URLFetcher):  # type: ignore[misc]
    """Serves files under `root` (static/reports/) and refuses everything else.

    Refused URLs are kept in `refused` so the build can log them: a refusal means the
    template or the stylesheet asked for something it should not (user text never can)."""

    def __init__(self, root: Path = ASSETS_DIR) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False, fail_on_errors=False)
        self.root = root.resolve()
        self.requested: list[str] = []
        self.refused: list[str] = []

    def local_path(self, url: str) -> Path | None:
        """The file under the root that `url` names, or None."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            return None
        try:
            path = Path(unquote(parts.path)).resolve()
        except (OSError, RuntimeError, ValueError):
            return None
        # resolve() follows symlinks and "..", so a link or a traversal out of the folder
        # is caught here.
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path

    def fetch(self, url: str, headers: Any = None) -> Any:
        self.requested.append(url)
        path = self.local_path(url)
        if path is None:
            self.refused.append(url)
            raise ReportFetchRefused(f"refused to fetch {url[:200]!r}: not a report asset")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
        )


def css_string(text: str) -> str:
    """A CSS string literal of `text` with everything but ASCII letters, digits and spaces
    escaped, so no value can end the string or the <style> element."""
    out = []
    for char in text:
        if char.isascii() and (char.isalnum() or char == " "):
            out.append(char)
        else:
            # Six hex digits and a space: the space ends the escape, so a real space after
            # it survives.
            out.append(f"\\{ord(char):06x} ")
    return '"' + "".join(out) + '"'


def _counter_content(template: str) -> str:
    """ "Page %(page)s of %(pages)s" → `"Page " counter(page) " of " counter(pages)`."""
    pieces = re.split(r"(%\(pages?\)s)", template)
    tokens = []
    for piece in pieces:
        if piece == "%(page)s":
            tokens.append("counter(page)")
        elif piece == "%(pages)s":
            tokens.append("counter(pages)")
        elif piece:
            tokens.append(css_string(piece))
    return " ".join(tokens)


def page_css(report: ReviewReport) -> SafeString:
    """The running header and the page numbers, in the report's language. Built from our own
    labels and integers only, every string CSS-escaped: safe to put in <style> as is."""
    header = _("Case #%(case)s · review report v%(version)s") % {
        "case": report.case_id,
        "version": report.version,
    }
    footer = _counter_content(_("Page %(page)s of %(pages)s"))
    css = (
        f"@page {{ @top-left {{ content: {css_string(header)}; }} "
        f"@bottom-right {{ content: {footer}; }} "
        f"@bottom-left {{ content: {css_string(_('Confidential: KYC review record'))}; }} }}"
    )
    return mark_safe(css)  # noqa: S308 - no user text, and every string is escaped


@dataclass
class RenderedReport:
    pdf: bytes
    page_count: int
    html: str
    refused: list[str] = field(default_factory=list)


def report_html(report: ReviewReport) -> str:
    """The report's HTML in its language, times in UTC."""
    language = report.language if report.language in LANGUAGES else settings.LANGUAGE_CODE
    with translation.override(language), timezone.override("UTC"):
        context = report_context(report).as_dict()
        context["page_css"] = page_css(report)
        return render_to_string(TEMPLATE, context)


@functools.cache
def report_stylesheet() -> Any:
    """static/reports/report.css, parsed and its selectors compiled once per process: compiling
    them is a tenth of a build's time, and the file never changes while the process runs."""
    import weasyprint

    return weasyprint.CSS(filename=str(ASSETS_DIR / "report.css"), url_fetcher=ReportURLFetcher())


def report_render(
    report: ReviewReport, *, fetcher: ReportURLFetcher | None = None
) -> RenderedReport:
    """Renders the PDF. `fetcher` may be given to observe what WeasyPrint asked for."""
    import weasyprint

    html = report_html(report)
    fetcher = fetcher or ReportURLFetcher()
    # WeasyPrint allocates hundreds of thousands of short-lived objects; in a process holding
    # Django (and a worker's screening index) the cyclic collector's passes over that heap
    # cost a quarter of the build. Refcounting frees almost all of it; cycles wait until after.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        document = weasyprint.HTML(
            string=html, base_url=ASSETS_DIR.as_uri() + "/", url_fetcher=fetcher
        ).render(stylesheets=[report_stylesheet()])
        pdf = document.write_pdf()
    finally:
        if gc_was_enabled:
            gc.enable()
    if fetcher.refused:
        logger.warning(
            "report %s: refused to fetch %d URL(s): %s",
            report.pk,
            len(fetcher.refused),
            ", ".join(u[:120] for u in fetcher.refused[:5]),
        )
    return RenderedReport(
        pdf=bytes(pdf), page_count=len(document.pages), html=html, refused=list(fetcher.refused)
    )
