"""Scores a name against every primary name and alias of a sanctions list, and explains why.

How a name is scored (0-100): both names are normalised (normalize.py) to token keys; each
screened word is paired with at most one listed word (same key; one typo when the longer
word has five letters or more, two from six letters, a vowel swapped in a short word never
counting as a typo (ZHANG/ZHENG); "AL ZAWAHIRI" written "ALZAWAHIRI"; two words written as
one), best pairs first. The score is the weighted share of both names that pairs
up, a typo counting as a partial pair:

    score = 100 * sum(2 * s * w for each pair) / (sum(2 * w for each pair)
                                                 + weight of unpaired screened words
                                                 + weight of unpaired listed words)

where s is the pair's similarity (1 for the same key, less per typo, rapidfuzz's OSA
distance) and w the listed word's weight (index.py: rare words weigh more than MUHAMMAD or
TRADING). Word order, case, punctuation, diacritics, legal forms and transliteration
variants therefore cost nothing; typos cost a little; a missing or extra distinctive word
costs a lot. A listed party of the other kind (an entity for a person, a person for a
company) costs CROSS_TYPE_PENALTY points unless the names are the same.

Speed: candidates come from the index, never from a scan of every name. A listed name that
shares no word (nor a typo neighbour of one) with the screened name cannot score above 0, and
the words a name must share to be able to reach the threshold are known before looking
(the rare ones: MaxScore pruning), so only names holding one of those are looked at, and only
while their upper bound can still beat the threshold.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from config.errors import DomainError

from .index import EntryRecord, IndexedName, ScreeningIndex, typo_distance
from .normalize import ENTITY, INDIVIDUAL, NormalizedName, normalize_name

# The score at or above which a listed name is a hit that a reviewer must dispose. Chosen on
# bench/screening_eval.py's evaluation set (see docs/performance.md, "Sanctions screening"):
# it keeps recall on listed-name variants above 98% and false positives on ordinary merchant
# and person names under 2%.
DEFAULT_THRESHOLD = 82
CROSS_TYPE_PENALTY = 10
# A listed name of four letters or fewer ("BNC", "ETA") hits only when nothing else is left.
SHORT_NAME_LETTERS = 4
SHORT_NAME_PENALTY = 20
ARTICLE_SIMILARITY = 0.95  # "ALZAWAHIRI" vs "ZAWAHIRI"
JOINED_SIMILARITY = 0.97  # "ALZOMOR" vs "AL ZOMOR"
# A typo costs distance / (length + TYPO_SOFTENING) of a word's similarity.
TYPO_SOFTENING = 2


class NoActiveSanctionsList(DomainError):
    code = "no_sanctions_list"


@dataclass(frozen=True, slots=True)
class Match:
    list_id: str  # the publisher's id (OFAC ent_num)
    entry_type: str
    listed_name: str  # the entry's primary name
    matched_name: str  # the primary name or alias that matched
    name_kind: str  # primary / aka / fka / nka
    score: int  # 0-100
    explanation: str
    entry_pk: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "list_id": int(self.list_id) if self.list_id.isdigit() else self.list_id,
            "listed_name": self.listed_name,
            "matched_name": self.matched_name,
            "score": self.score,
            "explanation": self.explanation,
        }


@dataclass(slots=True)
class _Pair:
    q: tuple[int, ...]  # positions in the screened name
    c: tuple[int, ...]  # positions in the listed name
    similarity: float
    weight: float
    how: str  # same / variant / typo1 / typo2 / article / joined


def token_similarity(a: str, b: str, a_text: str = "", b_text: str = "") -> tuple[float, str]:
    """How alike two words are, 0 to 1, and why, from their keys (and, for typos, the words
    as written too: a typo can move a key further than the word, TOOMAJ/TORMAJ)."""
    if a == b:
        return 1.0, "same"
    if not (a.isalpha() and b.isalpha()):
        return 0.0, ""
    if len(a) >= 6 and a[:2] in {"AL", "EL"} and a[2:] == b:
        return ARTICLE_SIMILARITY, "article"
    if len(b) >= 6 and b[:2] in {"AL", "EL"} and b[2:] == a:
        return ARTICLE_SIMILARITY, "article"
    spellings = [(a, b)]
    if a_text and b_text and (a_text, b_text) != (a, b):
        spellings.append((a_text, b_text))
    best, how = 0.0, ""
    for x, y in spellings:
        distance = typo_distance(x, y)
        if distance is not None:
            similarity = 1.0 - distance / (max(len(x), len(y)) + TYPO_SOFTENING)
            if similarity > best:
                best, how = similarity, f"typo{distance}"
    return best, how


class Matcher:
    """Screens names against one list version. Built once per process and list (get_matcher);
    read-only afterwards, so one instance serves every thread."""

    def __init__(self, index: ScreeningIndex, *, list_pk: int | None = None) -> None:
        self.index = index
        self.list_pk = list_pk

    @classmethod
    def from_records(cls, records: list[EntryRecord], *, list_pk: int | None = None) -> Matcher:
        return cls(ScreeningIndex(records), list_pk=list_pk)

    # ------------------------------------------------------------------ public

    def match(
        self,
        name: str,
        entity_type: str = ENTITY,
        threshold: int | None = None,
        limit: int = 10,
    ) -> list[Match]:
        """The listed parties whose best name scores at or above `threshold` (default
        DEFAULT_THRESHOLD), best first, at most `limit`; one Match per listed party."""
        threshold = DEFAULT_THRESHOLD if threshold is None else threshold
        is_individual = entity_type == INDIVIDUAL
        query = normalize_name(name, INDIVIDUAL if is_individual else ENTITY)
        if not query.tokens or limit <= 0:
            return []
        scored = self._search(query, is_individual, max(threshold, 1) / 100.0, limit)
        return [self._as_match(query, is_individual, *item) for item in scored]

    # ------------------------------------------------------------------ candidates

    def _search(
        self, query: NormalizedName, is_individual: bool, floor: float, limit: int
    ) -> list[tuple[float, IndexedName, list[_Pair]]]:
        index = self.index
        keys = query.keys
        q_weights = [index.token_weight(t) for t in query.tokens]
        # One slot per screened word: the posting sets that can pair with it, and the most a
        # pair can weigh; plus slots for two adjacent words written as one listed word.
        slots: list[tuple[tuple[int, ...], list[tuple[set[int], float]]]] = []
        typo_keys: list[frozenset[str]] = []
        for i, key in enumerate(keys):
            sources: list[tuple[set[int], float]] = []
            exact = index.postings.get(key)
            if exact:
                sources.append((exact, index.weight(key)))
            neighbours = index.neighbours(key, query.tokens[i].text)
            typo_keys.append(frozenset(neighbours))
            for neighbour in neighbours:
                sources.append((index.postings[neighbour], index.weight(neighbour)))
            if len(key) >= 6 and key[:2] in {"AL", "EL"} and key[2:] in index.postings:
                sources.append((index.postings[key[2:]], index.weight(key[2:])))
            if key in index.stripped:
                sources.append((index.stripped[key], 1.0))
            if key in index.joined:
                sources.append((index.joined[key], 2.0))
            slots.append(((i,), sources))
        for i in range(len(keys) - 1):
            joined = keys[i] + keys[i + 1]
            if joined in index.postings:
                slots.append(((i, i + 1), [(index.postings[joined], index.weight(joined))]))

        # MaxScore: the cheapest slots together cannot lift a name to the floor on their own,
        # so only names in the other (essential) slots are candidates.
        bounds = [max((w for _, w in sources), default=0.0) for _, sources in slots]
        order = sorted(
            (s for s in range(len(slots)) if len(slots[s][0]) == 1 and slots[s][1]),
            key=lambda s: bounds[s],
        )
        unpaired_essential = sum(q_weights)
        shared = 0.0
        optional: set[int] = set()
        for s in order:
            trial_shared = shared + bounds[s]
            trial_unpaired = unpaired_essential - q_weights[slots[s][0][0]]
            if 2 * trial_shared / (2 * trial_shared + trial_unpaired) >= floor:
                break
            shared, unpaired_essential = trial_shared, trial_unpaired
            optional.add(s)

        gathered: dict[int, float] = {}
        for s, (_, sources) in enumerate(slots):
            if s in optional or not sources:
                continue
            for postings, _ in sources:
                for name_id in postings:
                    gathered[name_id] = 0.0
        if not gathered:
            return []

        # Upper bound of each candidate's score from the slots it is in.
        bounded: list[tuple[float, int]] = []
        names = index.names
        total_q = sum(q_weights)
        for name_id in gathered:
            shared = 0.0
            paired_q = 0.0
            for positions, sources in slots:
                best = 0.0
                for postings, weight in sources:
                    if weight > best and name_id in postings:
                        best = weight
                if best:
                    shared += best
                    paired_q += sum(q_weights[p] for p in positions)
            candidate = names[name_id]
            unpaired = max(0.0, total_q - paired_q) + max(0.0, candidate.total_weight - shared)
            upper = 2 * shared / (2 * shared + unpaired) if shared else 0.0
            if upper >= floor:
                bounded.append((upper, name_id))
        bounded.sort(reverse=True)

        best_by_entry: dict[int, tuple[float, IndexedName, list[_Pair]]] = {}
        for upper, name_id in bounded:
            if len(best_by_entry) >= limit:
                kth = sorted((v[0] for v in best_by_entry.values()), reverse=True)[limit - 1]
                if upper < kth:
                    break
            candidate = names[name_id]
            score, pairs = self._score(query, q_weights, typo_keys, candidate, is_individual)
            if score < floor:
                continue
            current = best_by_entry.get(candidate.entry)
            if current is None or score > current[0]:
                best_by_entry[candidate.entry] = (score, candidate, pairs)
        ranked = sorted(
            best_by_entry.values(), key=lambda v: (-v[0], v[1].kind != "primary", v[1].entry)
        )
        return ranked[:limit]

    # ------------------------------------------------------------------ scoring

    def _score(
        self,
        query: NormalizedName,
        q_weights: list[float],
        typo_keys: list[frozenset[str]],
        candidate: IndexedName,
        is_individual: bool,
    ) -> tuple[float, list[_Pair]]:
        """The score of one listed name. A typo pairs a screened word only with the listed
        words the index found as its neighbours, so a score never exceeds the upper bound
        the pruning used."""
        q_keys, c_keys, c_weights = query.keys, candidate.keys, candidate.weights
        q_tokens, c_tokens = query.tokens, candidate.norm.tokens
        options: list[tuple[float, float, int, int, str]] = []
        for i, qk in enumerate(q_keys):
            for j, ck in enumerate(c_keys):
                similarity, how = token_similarity(qk, ck, q_tokens[i].text, c_tokens[j].text)
                if how.startswith("typo") and ck not in typo_keys[i]:
                    continue
                if similarity:
                    if how == "same" and query.tokens[i].text != candidate.norm.tokens[j].text:
                        how = "variant"
                    options.append((similarity * c_weights[j], similarity, i, j, how))
        options.sort(key=lambda o: (-o[0], o[2], o[3]))
        used_q: set[int] = set()
        used_c: set[int] = set()
        pairs: list[_Pair] = []
        for _, similarity, i, j, how in options:
            if i in used_q or j in used_c:
                continue
            used_q.add(i)
            used_c.add(j)
            pairs.append(_Pair((i,), (j,), similarity, c_weights[j], how))
        if len(used_q) < len(q_keys) or len(used_c) < len(c_keys):
            pairs.extend(self._joined_pairs(q_keys, c_keys, c_weights, used_q, used_c))

        numerator = sum(2 * p.similarity * p.weight for p in pairs)
        denominator = (
            sum(2 * p.weight for p in pairs)
            + sum(w for i, w in enumerate(q_weights) if i not in used_q)
            + sum(w for j, w in enumerate(c_weights) if j not in used_c)
        )
        score = numerator / denominator if denominator else 0.0
        if score < 0.995 and candidate.is_individual != is_individual:
            score -= CROSS_TYPE_PENALTY / 100
        if (
            len(used_q) < len(q_keys)
            and sum(len(k) for k in c_keys) <= SHORT_NAME_LETTERS
            and score < 0.995
        ):
            score -= SHORT_NAME_PENALTY / 100
        return max(score, 0.0), pairs

    @staticmethod
    def _joined_pairs(
        q_keys: tuple[str, ...],
        c_keys: tuple[str, ...],
        c_weights: tuple[float, ...],
        used_q: set[int],
        used_c: set[int],
    ) -> list[_Pair]:
        """Two adjacent words on one side written as one word on the other ("AL ZOMOR" /
        "ALZOMOR", "BIN LADIN" / "BINLADIN")."""
        pairs: list[_Pair] = []
        for i, qk in enumerate(q_keys):
            if i in used_q:
                continue
            for j in range(len(c_keys) - 1):
                if j in used_c or j + 1 in used_c:
                    continue
                if c_keys[j] + c_keys[j + 1] == qk:
                    used_q.add(i)
                    used_c.update((j, j + 1))
                    weight = c_weights[j] + c_weights[j + 1]
                    pairs.append(_Pair((i,), (j, j + 1), JOINED_SIMILARITY, weight, "joined"))
                    break
        for j, ck in enumerate(c_keys):
            if j in used_c:
                continue
            for i in range(len(q_keys) - 1):
                if i in used_q or i + 1 in used_q:
                    continue
                if q_keys[i] + q_keys[i + 1] == ck:
                    used_c.add(j)
                    used_q.update((i, i + 1))
                    pairs.append(_Pair((i, i + 1), (j,), JOINED_SIMILARITY, c_weights[j], "joined"))
                    break
        return pairs

    # ------------------------------------------------------------------ explaining

    def _as_match(
        self,
        query: NormalizedName,
        is_individual: bool,
        score: float,
        candidate: IndexedName,
        pairs: list[_Pair],
    ) -> Match:
        entry = self.index.entries[candidate.entry]
        return Match(
            list_id=entry.list_id,
            entry_type=entry.entry_type,
            listed_name=entry.primary_name,
            matched_name=candidate.name,
            name_kind=candidate.kind,
            score=min(100, max(0, round(score * 100))),
            explanation=explain(query, candidate, entry, pairs, is_individual),
            entry_pk=entry.pk,
        )


_KIND_LABELS = {
    "primary": "primary name",
    "aka": "alias",
    "fka": "former name",
    "nka": "new name",
}


def explain(
    query: NormalizedName,
    candidate: IndexedName,
    entry: EntryRecord,
    pairs: list[_Pair],
    is_individual: bool,
) -> str:
    """'alias 'X' of entry 123: same words after removing legal form 'LTD'; one-letter typo
    in 'TRADNG' (listed 'TRADING')'."""
    label = _KIND_LABELS.get(candidate.kind, candidate.kind)
    head = f"{label} '{candidate.name}' of entry {entry.list_id} ({entry.entry_type})"
    q_tokens, c_tokens = query.tokens, candidate.norm.tokens
    notes: list[str] = []
    paired_q = {i for p in pairs for i in p.q}
    paired_c = {j for p in pairs for j in p.c}
    complete = len(paired_q) == len(q_tokens) and len(paired_c) == len(c_tokens)
    exact = complete and all(p.how == "same" for p in pairs)
    if exact:
        notes.append("same words")
    elif complete:
        notes.append("every word pairs up")
    phrases = [
        " ".join(words) for words in (query.legal_words, candidate.norm.legal_words) if words
    ]
    if phrases:
        forms = " / ".join(f"'{p}'" for p in dict.fromkeys(phrases))
        label_forms = "legal forms" if len(set(phrases)) > 1 else "legal form"
        if notes:
            notes[-1] += f" after removing {label_forms} {forms}"
        else:
            notes.append(f"after removing {label_forms} {forms}")
        q_forms, c_forms = set(query.legal_forms), set(candidate.norm.legal_forms)
        if q_forms and c_forms and not (q_forms & c_forms):
            notes.append(
                f"legal forms differ ({'/'.join(sorted(q_forms))} vs {'/'.join(sorted(c_forms))})"
            )
    dropped = list(dict.fromkeys((*query.dropped, *candidate.norm.dropped)))
    if dropped:
        notes.append("ignoring " + ", ".join(f"'{w}'" for w in dropped))
    ordered = [p for p in pairs if len(p.q) == 1 and len(p.c) == 1]
    c_order = [p.c[0] for p in sorted(ordered, key=lambda p: p.q)]
    if c_order != sorted(c_order):
        notes.append("words in a different order")
    for pair in sorted(pairs, key=lambda p: p.q):
        screened = " ".join(q_tokens[i].text for i in pair.q)
        listed = " ".join(c_tokens[j].text for j in pair.c)
        if pair.how == "variant":
            notes.append(f"'{screened}' is a spelling variant of '{listed}'")
        elif pair.how == "typo1":
            notes.append(f"one-letter typo in '{screened}' (listed '{listed}')")
        elif pair.how == "typo2":
            notes.append(f"two-letter difference in '{screened}' (listed '{listed}')")
        elif pair.how == "article":
            notes.append(f"'{screened}' vs '{listed}' (article 'AL'/'EL')")
        elif pair.how == "joined":
            notes.append(f"'{screened}' written as '{listed}'")
    extra = [q_tokens[i].text for i in range(len(q_tokens)) if i not in paired_q]
    missing = [c_tokens[j].text for j in range(len(c_tokens)) if j not in paired_c]
    if extra:
        notes.append("not in the listed name: " + ", ".join(f"'{w}'" for w in extra))
    if missing:
        notes.append("listed name also has " + ", ".join(f"'{w}'" for w in missing))
    if candidate.is_individual != is_individual and not exact:
        listed_kind = "an individual" if candidate.is_individual else "an entity"
        screened_kind = "an individual" if is_individual else "an entity"
        notes.append(
            f"listed as {listed_kind}, screened as {screened_kind} (-{CROSS_TYPE_PENALTY})"
        )
    return f"{head}: " + "; ".join(notes) if notes else head


# --------------------------------------------------------------------------- per process

_lock = threading.Lock()
_matchers: dict[int, Matcher] = {}


def _records_for(list_pk: int) -> list[EntryRecord]:
    from kyc.models import SanctionsEntry

    rows = (
        SanctionsEntry.objects.filter(sanctions_list_id=list_pk)
        .order_by("id")
        .values_list("pk", "list_id", "entry_type", "primary_name", "names")
    )
    return [
        EntryRecord(pk=pk, list_id=list_id, entry_type=kind, primary_name=name, names=names)
        for pk, list_id, kind, name, names in rows.iterator(chunk_size=5000)
    ]


def get_matcher(sanctions_list: Any = None) -> Matcher:
    """The matcher of `sanctions_list`, or of the active OFAC SDN list when None.

    Built once per process and list version and cached: a list version never changes after
    import, and a newly activated version has a new id, so the cache needs no invalidation
    beyond keeping the last two versions in memory.
    """
    if sanctions_list is None:
        from .importer import active_list

        sanctions_list = active_list()
        if sanctions_list is None:
            raise NoActiveSanctionsList(
                "No sanctions list has been imported: run `manage.py import_sanctions`."
            )
    list_pk = int(sanctions_list.pk)
    matcher = _matchers.get(list_pk)
    if matcher is not None:
        return matcher
    with _lock:
        matcher = _matchers.get(list_pk)
        if matcher is None:
            matcher = Matcher.from_records(_records_for(list_pk), list_pk=list_pk)
            while len(_matchers) >= 2:
                _matchers.pop(next(iter(_matchers)))
            _matchers[list_pk] = matcher
    return matcher


def clear_matcher_cache() -> None:
    with _lock:
        _matchers.clear()
