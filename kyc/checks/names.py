"""Name comparison for the holder-name and brand-chain checks: case, width, punctuation and
legal-form words (Ltd/Limited, Co/Company, GmbH, 有限公司 …) do not count; word order does
not either. Scores are 0-100 (rapidfuzz)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from rapidfuzz import fuzz

LEGAL_FORM_WORDS = frozenset(
    """
    ltd limited co company corp corporation inc incorporated llc llp lp plc gmbh mbh ag kg
    ug sa sas sarl srl spa bv nv pte pty pvt private bhd sdn kk jsc pjsc ojsc oao zao ooo
    oy ab as aps se ltda cia
    """.split()
)
# Longest first, so 股份有限公司 goes before 有限公司 and 公司.
CJK_LEGAL_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "有限責任公司",
    "私人有限公司",
    "有限公司",
    "株式会社",
    "合同会社",
    "有限会社",
    "公司",
)
_REMOVED = re.compile(r"[.'’`]")  # S.A. -> sa, Co. -> co
_PUNCTUATION = re.compile(r"[^\w\s]|_")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def normalise(name: str) -> str:
    text = unicodedata.normalize("NFKC", name or "").casefold()
    for form in CJK_LEGAL_FORMS:
        text = text.replace(form, " ")
    text = _PUNCTUATION.sub(" ", _REMOVED.sub("", text))
    words = text.split()
    kept = [w for w in words if w not in LEGAL_FORM_WORDS]
    # A name that is nothing but legal-form words is compared as it is.
    return " ".join(kept or words)


def similarity(a: str, b: str) -> int:
    na, nb = normalise(a), normalise(b)
    if not na or not nb:
        return 0
    joined_a, joined_b = na.replace(" ", ""), nb.replace(" ", "")
    if _CJK.search(na) or _CJK.search(nb):
        # Chinese and Japanese names have no word breaks: compare characters.
        return round(fuzz.ratio(joined_a, joined_b))
    return round(max(fuzz.token_sort_ratio(na, nb), fuzz.ratio(joined_a, joined_b)))


def best_match(name: str, candidates: Iterable[str]) -> tuple[int, str]:
    """The best score of `name` against any candidate, and that candidate ("" if none)."""
    best = (0, "")
    for candidate in candidates:
        if not candidate.strip():
            continue
        score = similarity(name, candidate)
        if score > best[0]:
            best = (score, candidate)
    return best
