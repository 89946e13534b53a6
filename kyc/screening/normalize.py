"""Name normalisation shared by the index (listed names) and the queries (screened names).

A name becomes a tuple of tokens, each with the word as written (upper case, ASCII) and a
*key*: the spelling that transliteration variants share ("MOHAMED", "MUHAMMAD" and
"MOHAMMED" all have the key "MUHAMAD"). On the way, legal forms ("CO., LTD.", "S.A. DE C.V.",
"OOO", "有限公司") are removed and remembered, as are articles and titles, so that what is
compared is the part of a name that identifies someone. Everything is deterministic and the
same on both sides of a comparison.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii
from rapidfuzz.distance import OSA

from .variants import (
    ABBREVIATIONS,
    CJK_ADMIN_SUFFIXES,
    CJK_DOUBLE_SURNAMES,
    CJK_LEGAL_FORMS,
    HONORIFICS,
    LEGAL_FORM_PHRASES,
    SPELLING_RULES,
    STOPWORDS,
    VARIANT_GROUPS,
    WEAK_LEGAL_FORMS,
)

ENTITY = "entity"
INDIVIDUAL = "individual"

# Names longer than this are cut before normalising: nothing real is longer, and a hostile
# input must not cost more than a bounded amount of work.
MAX_NAME_CHARS = 300

_APOSTROPHES = re.compile(r"['`´‘’ʼʻ\"]")
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_SYLLABLE = re.compile(r"[A-Z][a-z]*|[a-z]+")
_ABD_JOINED = re.compile(r"^ABD(?:OUL|UL|EL|AL|OL)([A-Z]{3,})$")
_ABD_ASSIMILATED = re.compile(r"^ABD[AEOU]([RSNDTZ])\1([A-Z]{2,})$")
_DOUBLE_LETTERS = re.compile(r"([A-Z])\1+")
_DOTTED_INITIALS = re.compile(r"\b[A-Z](?:\.[A-Z])+\b\.?")


@dataclass(frozen=True, slots=True)
class NameToken:
    text: str  # the word as written, upper-case ASCII ("MOHAMED")
    key: str  # the spelling its variants share ("MUHAMAD")
    is_legal: bool = False  # a word of a legal form left in the name ("STOCK", "LIMTED")


@dataclass(frozen=True, slots=True)
class NormalizedName:
    original: str
    tokens: tuple[NameToken, ...]
    legal_forms: tuple[str, ...] = ()  # canonical classes removed ("CO LTD", "LLC")
    legal_words: tuple[str, ...] = ()  # the words that spelled them ("CO", "LTD")
    dropped: tuple[str, ...] = ()  # articles and titles removed ("AL", "DR")

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(token.key for token in self.tokens)

    @property
    def text(self) -> str:
        return " ".join(token.text for token in self.tokens)


# --------------------------------------------------------------------------- tables


def _variant_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for group in VARIANT_GROUPS:
        for spelling in group:
            table.setdefault(spelling, group[0])
    return table


VARIANTS: dict[str, str] = _variant_table()


def _legal_table() -> dict[tuple[str, ...], str]:
    table: dict[tuple[str, ...], str] = {}
    for form, phrases in LEGAL_FORM_PHRASES.items():
        for phrase in phrases:
            table.setdefault(tuple(phrase.split()), form)
    return table


LEGAL_PHRASES: dict[tuple[str, ...], str] = _legal_table()
# Every word that spells part of a legal form: when one is left in a name (a legal form
# written in an unusual order, "STOCK JOINT COMPANY"), it counts for little (index.py).
LEGAL_WORDS = frozenset(
    word for phrase in LEGAL_PHRASES for word in phrase if word not in STOPWORDS and word.isalpha()
)
_MAX_PHRASE = max(len(phrase) for phrase in LEGAL_PHRASES)
# Long words of legal forms, recognised with one typo ("LIMTED", "COMAPNY"), so a misspelt
# legal form does not count as a distinctive word of the name.
_LONG_LEGAL_WORDS = tuple(
    sorted({word for phrase in LEGAL_PHRASES for word in phrase if len(word) >= 5})
)


# --------------------------------------------------------------------------- tokens


@lru_cache(maxsize=262_144)
def token_key(word: str) -> str:
    """The spelling shared by the transliteration variants of one word (see SPELLING_RULES)."""
    if not word.isalpha():
        return word
    key = VARIANTS.get(word, word)
    for pattern, replacement, where in SPELLING_RULES:
        if where == "any" or where == "long":
            if pattern in key and (where == "any" or len(key) >= 5):
                key = key.replace(pattern, replacement)
        elif where == "start":
            if key.startswith(pattern) and len(key) > len(pattern) + 1:
                key = replacement + key[len(pattern) :]
        elif where == "end":
            if key.endswith(pattern) and len(key) > len(pattern) + 1:
                key = key[: -len(pattern)] + replacement
    key = _DOUBLE_LETTERS.sub(r"\1", key)
    return key or word


@lru_cache(maxsize=65_536)
def _legal_word(word: str, max_typos: int = 1) -> str:
    """The legal-form word a token spells, allowing a typo ("LIMTED", "JOIN" for "JOINT") and,
    with max_typos=2, two in words of eight letters or more ("LMIHITED")."""
    if len(word) < 4 or word in LEGAL_WORDS or not word.isalpha():
        return word
    limit = min(max_typos, 2 if len(word) >= 8 else 1)
    for legal in _LONG_LEGAL_WORDS:
        if abs(len(legal) - len(word)) <= limit:
            if OSA.distance(word, legal, score_cutoff=limit) <= min(limit, len(legal) // 4):
                return legal
    return word


def _cjk_to_latin(text: str, entity_type: str) -> tuple[str, list[str]]:
    """Chinese characters to pinyin words: a person's surname then the given name as one word
    ("王小明" -> "WANG XIAOMING", as lists write it); for a company, legal forms removed and the
    rest in two-syllable words, the usual length of a Chinese word ("深圳市光明贸易" ->
    "SHENZHEN GUANGMING MAOYI")."""
    legal: list[str] = []
    for form, canonical in CJK_LEGAL_FORMS:
        if form in text:
            text = text.replace(form, " ")
            legal.append(canonical)
    if entity_type != INDIVIDUAL:
        for suffix in CJK_ADMIN_SUFFIXES:
            text = re.sub(rf"(?<=[\u3400-\u9fff]{{2}}){suffix}", " ", text)

    def run(match: re.Match[str]) -> str:
        chars = match.group(0)
        syllables = [s.upper() for s in _SYLLABLE.findall(anyascii(chars))]
        if not syllables:
            return " "
        if entity_type == INDIVIDUAL and len(syllables) >= 2:
            cut = 2 if chars[:2] in CJK_DOUBLE_SURNAMES and len(syllables) >= 3 else 1
            return f" {''.join(syllables[:cut])} {''.join(syllables[cut:])} "
        words = ["".join(syllables[i : i + 2]) for i in range(0, len(syllables), 2)]
        return " " + " ".join(words) + " "

    return _CJK_RUN.sub(run, text), legal


def _words(text: str, entity_type: str) -> tuple[list[str], list[str]]:
    text = unicodedata.normalize("NFKC", text[:MAX_NAME_CHARS])
    cjk_legal: list[str] = []
    if _CJK.search(text):
        text, cjk_legal = _cjk_to_latin(text, entity_type)
    text = _APOSTROPHES.sub("", anyascii(text)).upper()
    text = _APOSTROPHES.sub("", text).replace("&", " AND ")
    text = _DOTTED_INITIALS.sub(lambda m: m.group(0).replace(".", "") + " ", text)
    raw = [w for w in _NON_ALNUM.split(text) if w]
    # Runs of single letters are initials of one word: "S.A." -> "SA", "J P MORGAN" -> "JP".
    words: list[str] = []
    run: list[str] = []
    for word in raw + [""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        if run:
            words.append("".join(run) if len(run) > 1 else run[0])
            run = []
        if word:
            words.append(word)
    return words, cjk_legal


def _strip_legal_forms(words: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Removes legal forms at the end and the start of a name (any form) and in the middle
    (unambiguous forms only). Returns (remaining words, classes, words removed)."""
    mapped = [_legal_word(w) for w in words]
    keep = [True] * len(words)
    classes: list[str] = []

    def phrase_at(start: int, end_limit: int) -> int:
        for size in range(min(_MAX_PHRASE, end_limit - start), 0, -1):
            if tuple(mapped[start : start + size]) in LEGAL_PHRASES:
                return size
        return 0

    # Trailing: "ACME TRADING CO., LTD." / "X SANAYI VE TICARET LIMITED SIRKETI".
    end = len(words)
    while end > 0:
        found = 0
        for size in range(min(_MAX_PHRASE, end), 0, -1):
            phrase = tuple(mapped[end - size : end])
            if phrase in LEGAL_PHRASES:
                found = size
                break
        if not found:
            break
        classes.append(LEGAL_PHRASES[tuple(mapped[end - found : end])])
        for i in range(end - found, end):
            keep[i] = False
        end -= found
    # Leading: "OOO ROMASHKA", "PT BANK X".
    start = 0
    while start < end:
        size = phrase_at(start, end)
        if not size:
            break
        phrase = tuple(mapped[start : start + size])
        if size == 1 and phrase[0] in WEAK_LEGAL_FORMS and phrase[0] not in {"PT", "AO", "TOO"}:
            break
        classes.append(LEGAL_PHRASES[phrase])
        for i in range(start, start + size):
            keep[i] = False
        start += size
    # Middle: "ACME CO LTD SHENZHEN BRANCH".
    i = start
    while i < end:
        size = phrase_at(i, end)
        phrase = tuple(mapped[i : i + size])
        if size and not (size == 1 and phrase[0] in WEAK_LEGAL_FORMS):
            classes.append(LEGAL_PHRASES[phrase])
            for j in range(i, i + size):
                keep[j] = False
            i += size
        else:
            i += 1
    if not any(keep):
        return words, [], []
    removed = [w for w, k in zip(words, keep, strict=True) if not k]
    return [w for w, k in zip(words, keep, strict=True) if k], classes, removed


def _merge_particles(words: list[str]) -> list[str]:
    """'ABD AL RAHMAN', 'ABDEL RAHMAN' and 'ABDULRAHMAN' are one name: 'ABDUL RAHMAN'."""
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if word == "ABD" and nxt:
            if nxt in {"ALLAH", "ULLAH", "ALLA"}:
                out.append("ABDULLAH")
                i += 2
                continue
            if nxt in {"AL", "EL", "UL", "OL", "U", "E"} and i + 2 < len(words):
                out.append("ABDUL")
                i += 2
                continue
            out.append("ABDUL")
            i += 1
            continue
        if word.startswith("ABD") and word not in VARIANTS:
            joined = _ABD_JOINED.match(word)
            if joined and not joined.group(1).startswith("LA"):
                out.extend(("ABDUL", joined.group(1)))
                i += 1
                continue
            assimilated = _ABD_ASSIMILATED.match(word)
            if assimilated:
                out.extend(("ABDUL", assimilated.group(1) + assimilated.group(2)))
                i += 1
                continue
        out.append(word)
        i += 1
    return out


def normalize_name(text: str, entity_type: str = ENTITY) -> NormalizedName:
    """Normalises one name for matching (see the module docstring)."""
    words, cjk_legal = _words(text, entity_type)
    words, classes, legal_words = _strip_legal_forms(words)
    classes = cjk_legal + classes
    words = _merge_particles(words)
    kept = [w for w in words if w not in STOPWORDS and w not in HONORIFICS]
    dropped: list[str] = []
    if kept:
        dropped = [w for w in words if w in STOPWORDS or w in HONORIFICS]
        words = kept
    tokens = tuple(
        NameToken(
            text=word,
            key=token_key(ABBREVIATIONS.get(word, word)),
            is_legal=_legal_word(word, 2) in LEGAL_WORDS,
        )
        for word in words
    )
    return NormalizedName(
        original=text,
        tokens=tokens,
        legal_forms=tuple(dict.fromkeys(classes)),
        legal_words=tuple(legal_words),
        dropped=tuple(dropped),
    )


def normalize(text: str, entity_type: str = ENTITY) -> str:
    """The normalised keys of a name as one string, e.g. for display or a plain fuzzy scan:
    'Anglo-Caribbean Co., Ltd.' -> 'ANGLO KARIBEAN'."""
    return " ".join(normalize_name(text, entity_type).keys)
