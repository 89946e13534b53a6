"""The in-memory index of one sanctions list version, built once per process.

Every listed name (primary names and aliases) is normalised once; the index maps each token
key to the names holding it (an inverted index), each pair of adjacent tokens written as one
word ("ALZOMOR" for "AL ZOMOR") to its names, and groups the keys by length so that the keys
within a small edit distance of a query word are found without looking at every name. Token
weights come from how often a key occurs in the list: a word most listed names share (MUHAMMAD,
TRADING) says less about who someone is than a rare one.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .normalize import (
    INDIVIDUAL,
    LEGAL_WORDS,
    NameToken,
    NormalizedName,
    normalize_name,
    token_key,
)
from .variants import GENERIC_WORDS

# Weight of a word the list does not contain: as telling as the rarest listed word, except
# that one or two letters (an initial, a stray particle) tell less.
UNKNOWN_WEIGHT = 1.0
SHORT_UNKNOWN_WEIGHTS = {1: 0.5, 2: 0.5, 3: 0.8}
MIN_WEIGHT = 0.2
GENERIC_WEIGHT = 0.5
LEGAL_WORD_WEIGHT = 0.1
# Typos: the shortest word one is tolerated in, and the shortest word two are tolerated in.
ONE_TYPO_LENGTH = 5
TWO_TYPOS_LENGTH = 6
MIN_FUZZY_LENGTH = 3  # a deletion makes a four-letter word three
_NEIGHBOUR_CACHE_SIZE = 50_000
_VOWELS = frozenset("AEIOU")


def max_typos(length: int) -> int:
    """Edits tolerated between two words, by the longer word's length: none in short words,
    where one letter makes another name ("LI"/"LU", "WANG"/"HANG" are different people)."""
    if length < ONE_TYPO_LENGTH:
        return 0
    return 1 if length < TWO_TYPOS_LENGTH else 2


def typo_distance(a: str, b: str) -> int | None:
    """The typo distance between two keys (OSA: a transposition is one edit), or None when
    they are too far apart to be the same word. In words of five letters or fewer a
    different vowel is a different name (ZHANG/ZHENG, MARIA/MARIO), never a typo."""
    if min(len(a), len(b)) < MIN_FUZZY_LENGTH:
        return None
    if not (a.isalpha() and b.isalpha()):
        return None
    limit = max_typos(max(len(a), len(b)))
    if not limit or abs(len(a) - len(b)) > limit:
        return None
    distance = OSA.distance(a, b, score_cutoff=limit)
    if distance > limit:
        return None
    if distance == 1 and len(a) == len(b) <= 5:
        diff = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
        if len(diff) == 1 and diff[0][0] in _VOWELS and diff[0][1] in _VOWELS:
            return None
    return int(distance)


@dataclass(frozen=True, slots=True)
class EntryRecord:
    """What the index needs of a listed party (a SanctionsEntry or a parsed file row)."""

    pk: int | None
    list_id: str
    entry_type: str
    primary_name: str
    names: Sequence[dict[str, str]]


@dataclass(frozen=True, slots=True)
class IndexedName:
    entry: int  # position in ScreeningIndex.entries
    name: str  # as listed
    kind: str  # primary / aka / fka / nka
    norm: NormalizedName
    keys: tuple[str, ...]
    weights: tuple[float, ...]
    total_weight: float
    is_individual: bool


class ScreeningIndex:
    def __init__(self, entries: Iterable[EntryRecord]) -> None:
        self.entries: list[EntryRecord] = list(entries)
        self.names: list[IndexedName] = []
        pending: list[tuple[int, str, str, NormalizedName]] = []
        for position, entry in enumerate(self.entries):
            entry_type = INDIVIDUAL if entry.entry_type == INDIVIDUAL else "entity"
            seen: set[tuple[str, ...]] = set()
            for item in entry.names:
                norm = normalize_name(str(item.get("name", "")), entry_type)
                if not norm.tokens or norm.keys in seen:
                    continue  # an alias spelled like another name of the same entry
                seen.add(norm.keys)
                pending.append((position, str(item["name"]), str(item.get("kind", "aka")), norm))

        df: dict[str, int] = {}
        for _, _, _, norm in pending:
            for key in set(norm.keys):
                df[key] = df.get(key, 0) + 1
        total = max(len(pending), 2)
        log_total = math.log(total + 1)
        self.weights: dict[str, float] = {}
        for key, count in df.items():
            weight = max(MIN_WEIGHT, math.log((total + 1) / count) / log_total)
            if key in _GENERIC_KEYS:
                weight = min(weight, GENERIC_WEIGHT)
            if key in _LEGAL_KEYS:
                weight = LEGAL_WORD_WEIGHT
            self.weights[key] = round(weight, 4)

        self.postings: dict[str, set[int]] = {}
        self.joined: dict[str, set[int]] = {}  # "ALZOMOR" -> names with "AL ZOMOR"
        self.stripped: dict[str, set[int]] = {}  # "ZAWAHIRI" -> names with "ALZAWAHIRI"
        for name_id, (position, name, kind, norm) in enumerate(pending):
            keys = norm.keys
            weights = tuple(
                LEGAL_WORD_WEIGHT if t.is_legal else self.weights[t.key] for t in norm.tokens
            )
            self.names.append(
                IndexedName(
                    entry=position,
                    name=name,
                    kind=kind,
                    norm=norm,
                    keys=keys,
                    weights=weights,
                    total_weight=sum(weights),
                    is_individual=self.entries[position].entry_type == INDIVIDUAL,
                )
            )
            for key in dict.fromkeys(keys):
                self.postings.setdefault(key, set()).add(name_id)
                if key[:2] in {"AL", "EL"} and len(key) >= 6:
                    self.stripped.setdefault(key[2:], set()).add(name_id)
            for left, right in zip(keys, keys[1:], strict=False):
                self.joined.setdefault(left + right, set()).add(name_id)

        # Typo neighbours are looked for among every listed spelling, the keys and the words
        # as written (a typo can move a key further than the word: NACER/NAECR are one edit
        # apart, their keys NASIR/NAECR three), each pointing at the keys it stands for.
        # Symmetric deletion (a spelling and its one-letter deletions, on both sides) finds
        # every pair one edit apart and most pairs two apart in a few dictionary lookups; the
        # rest (two substitutions in one word, say) takes one bit-parallel pass over the
        # spellings of similar length, and is cached per spelling.
        self.spellings: dict[str, set[str]] = {}
        lengths: dict[tuple[str, int], list[str]] = {}
        for indexed in self.names:
            for token in indexed.norm.tokens:
                for kind, spelling in (("key", token.key), ("text", token.text)):
                    if spelling not in self.spellings and spelling.isalpha():
                        lengths.setdefault((kind, len(spelling)), []).append(spelling)
                    self.spellings.setdefault(spelling, set()).add(token.key)
        self._deletes: dict[str, list[str]] = {}
        for spelling in self.spellings:
            if len(spelling) >= MIN_FUZZY_LENGTH and spelling.isalpha():
                for variant in _deletions(spelling):
                    self._deletes.setdefault(variant, []).append(spelling)
        # Deleting up to two letters of the screened word and one of the listed word finds all
        # pairs two edits apart except those where the listed word needs two deletions: the
        # same length or one or two letters longer. Those are looked for by one bit-parallel
        # pass over the listed keys (or words) of these lengths.
        self._window: dict[tuple[str, int], list[str]] = {}
        longest = max((length for _, length in lengths), default=0)
        for kind in ("key", "text"):
            for length in range(TWO_TYPOS_LENGTH - 2, longest + 1):
                self._window[kind, length] = [
                    k for n in range(length, length + 3) for k in lengths.get((kind, n), ())
                ]
        self._near: OrderedDict[tuple[str, str], tuple[tuple[str, int], ...]] = OrderedDict()

    def weight(self, key: str) -> float:
        weight = self.weights.get(key)
        if weight is not None:
            return weight
        if key in _LEGAL_KEYS:
            return LEGAL_WORD_WEIGHT
        return SHORT_UNKNOWN_WEIGHTS.get(len(key), UNKNOWN_WEIGHT)

    def token_weight(self, token: NameToken) -> float:
        return LEGAL_WORD_WEIGHT if token.is_legal else self.weight(token.key)

    def neighbours(self, key: str, text: str = "") -> dict[str, int]:
        """Listed keys a screened word may be a typo of (its key `key`, written `text`), with
        the smallest distance found; the key itself is left out."""
        found: dict[str, int] = {}
        for kind, spelling in (("key", key), ("text", text or key)):
            for near, distance in self._near_spellings(kind, spelling):
                for listed_key in self.spellings[near]:
                    if listed_key != key and distance < found.get(listed_key, 3):
                        found[listed_key] = distance
        return found

    def _near_spellings(self, kind: str, spelling: str) -> tuple[tuple[str, int], ...]:
        cached = self._near.get((kind, spelling))
        if cached is not None:
            self._near.move_to_end((kind, spelling))
            return cached
        found: dict[str, int] = {}
        if len(spelling) >= MIN_FUZZY_LENGTH and spelling.isalpha():
            close: set[str] = set()
            once = _deletions(spelling)
            for variant in once:
                close.update(self._deletes.get(variant, ()))
            # A spelling the list holds is taken as spelt right: its neighbours two edits away
            # that deletion does not reach are not looked for (the matcher only pairs words the
            # index found, so this costs recall, never correctness of the pruning).
            if len(spelling) >= TWO_TYPOS_LENGTH - 2 and spelling not in self.spellings:
                for variant in once:
                    if len(variant) < len(spelling):
                        for twice in _deletions(variant):
                            close.update(self._deletes.get(twice, ()))
                window = self._window.get((kind, len(spelling)), [])
                close.update(
                    choice
                    for choice, _, _ in process.extract(
                        spelling, window, scorer=OSA.distance, score_cutoff=2, limit=None
                    )
                )
            for choice in close:
                if choice != spelling:
                    distance = typo_distance(spelling, choice)
                    if distance is not None:
                        found[choice] = distance
        result = tuple(found.items())
        self._near[kind, spelling] = result
        if len(self._near) > _NEIGHBOUR_CACHE_SIZE:
            self._near.popitem(last=False)
        return result


def _deletions(key: str) -> set[str]:
    """The key and every string one deletion away from it."""
    return {key, *(key[:i] + key[i + 1 :] for i in range(len(key)))}


_GENERIC_KEYS = frozenset(token_key(word) for word in GENERIC_WORDS if word.isalpha())
_LEGAL_KEYS = frozenset(token_key(word) for word in LEGAL_WORDS)
