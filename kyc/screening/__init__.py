"""Sanctions screening: list importers, name normalisation, the in-memory index and matcher.

`importer.import_sanctions_list` loads a published list as a new active version,
`matcher.get_matcher().match(name)` scores a name against the active list, and
`services.screen_merchant` turns the hits for one merchant into screening matches.
"""
