"""The PDF carries no JavaScript (document open actions, /JS and /JavaScript anywhere,
additional actions on pages, annotations or fields, XFA forms) and no launch actions: a
qualification document is paper put in a file; nothing in it should run."""

from __future__ import annotations

from .base import CheckResult, failed, guarded, passed, warning
from .context import CheckContext
from .source import FileSource

NAME = "pdf_javascript"


@guarded(NAME)
def check(source: FileSource, ctx: CheckContext) -> CheckResult:
    scan = source.pdf(ctx.limits.max_pdf_objects)
    if not scan.readable or scan.needs_password or scan.too_complex:
        # pdf_structure fails such a file; without its objects nothing can be ruled out.
        return warning(
            NAME,
            "pdf_not_inspected",
            "The PDF could not be inspected for scripts; see the other checks of this file.",
            "无法检查此 PDF 是否含有脚本；请查看该文件的其他检查结果。",
            readable=scan.readable,
            needs_password=scan.needs_password,
        )
    if scan.javascript or scan.launch_actions:
        return failed(
            NAME,
            "pdf_javascript",
            "This PDF contains scripts or actions that run when it is opened, which we do not "
            "accept. Print it to a new PDF (or scan the paper document) and upload that.",
            "此 PDF 含有打开时会运行的脚本或动作，我们不予接受。请将其打印为新的 PDF"
            "（或扫描纸质文件）后上传。",
            javascript=list(scan.javascript),
            launch_actions=list(scan.launch_actions),
        )
    return passed(
        NAME,
        "pdf_no_javascript",
        "The PDF contains no scripts or launch actions.",
        "PDF 不含脚本或启动动作。",
        objects_inspected=scan.objects_visited,
    )
