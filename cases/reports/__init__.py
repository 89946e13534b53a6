"""PDF review reports: what an examiner reads years later (see docs/domain.md)."""

import logging

# WeasyPrint narrates every rendering step (and its own import) at INFO; a worker building
# reports does not need that in its log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
