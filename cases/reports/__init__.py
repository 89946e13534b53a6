"""PDF review reports: what an examiner reads years later (see docs/domain.md)."""
