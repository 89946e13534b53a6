"""Adds up pytest's JUnit XML reports into one closing line: `Total: N passed, N failed, N skipped`.

Usage: junit_summary.py REPORT.xml [REPORT.xml ...]  (missing files count as nothing run)
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def counts(path: Path) -> tuple[int, int, int]:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    passed = failed = skipped = 0
    for suite in suites:
        tests = int(suite.get("tests", 0))
        bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skip = int(suite.get("skipped", 0))
        passed += tests - bad - skip
        failed += bad
        skipped += skip
    return passed, failed, skipped


def main(paths: list[str]) -> int:
    passed = failed = skipped = 0
    for name in paths:
        path = Path(name)
        if not path.exists():
            continue
        p, f, s = counts(path)
        passed, failed, skipped = passed + p, failed + f, skipped + s
    print(f"Total: {passed} passed, {failed} failed, {skipped} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
