"""Evaluation set for sanctions screening, built from the real OFAC SDN list, and its scorer.

    .venv/bin/python bench/screening_eval.py [--seed 7] [--listed 2500] [--ordinary 6000]
                                             [--sweep] [--show N] [--smoke]

Reads the real SDN list from ../shared/data/sanctions/ (SHARED_DATA_DIR names another folder
holding sanctions/). --smoke (what CI runs, seconds): 60 listed names and 150 ordinary ones;
fails when recall at the default threshold falls under 90% or false positives exceed 5%
(bounds loose enough for the small sample: they catch a broken matcher, not a worse one).

How the set is made (reproducible: everything is drawn from one random.Random(seed)):

* Listed-name variants. A sample of the primary names and aliases of entities and individuals
  (vessels and aircraft, whose names are hull names and tail numbers, are left out). Each
  sampled name gives one variant of every kind that applies to it:
  case (lower / title / random case), punctuation (removed, or added: dots after words,
  commas, hyphens), word order (an individual's "SURNAME, Given" as "Given Surname"; an
  entity's words shuffled), legal form (Ltd<->Limited, Co<->Company, Corp<->Corporation,
  Inc<->Incorporated, S.A.<->SA, LLC<->L.L.C., JSC<->Joint Stock Company; added when the name
  has none), transliteration (a word swapped for another spelling from the matcher's variant
  groups, or one romanisation rule applied: kh/h, q/k, ou/u, -ov/-off, y/i, ph/f, w/v, ...),
  typo1 (one random insertion, deletion, substitution or transposition in a random word of
  five letters or more), typo2 (two such typos: in two different words of five letters or
  more, or both in one word of eight letters or more, since edit distance 2 is promised on
  long words only), and mixed (word order + case + one typo). A stress kind,
  typo2_anywhere (both typos may land in one short word, "SUNDUS" -> "SZUNDSUS"), is
  reported on its own and left out of the headline recall.
  A variant counts as found when the listed party it came from is among the matches at or
  above the threshold.
* Ordinary names, the false-positive side: merchant names made from word lists
  ("<place> <brand word> <product> <business word> <legal form>", e.g. "Ningbo Evergreen
  Textile Trading Co., Ltd.") and person names (common Western first and last names, some
  with a middle initial or as "Last, First"; Chinese pinyin names, surname + one- or
  two-syllable given name). A name that normalises to exactly the words of a listed name
  (the same words in any order) is a genuine match, not an ordinary name, and is left out.
  An ordinary name with any match at or above the threshold is a false positive.

The transliteration kind draws from the same tables the matcher uses (kyc/screening/
variants.py): it measures that the tables work end to end, not how well they cover spellings
they do not list.
"""

from __future__ import annotations

import argparse
import os
import random
import string
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from smoke_support import require_sdn, sdn_path  # noqa: E402

SDN_PATH = sdn_path()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from kyc.screening.importer import ParsedEntry, parse_sdn_csv  # noqa: E402
from kyc.screening.index import EntryRecord  # noqa: E402
from kyc.screening.matcher import DEFAULT_THRESHOLD, Matcher  # noqa: E402
from kyc.screening.normalize import LEGAL_WORDS, normalize_name  # noqa: E402
from kyc.screening.variants import VARIANT_GROUPS, VARIANT_SWAPS  # noqa: E402

KINDS = (
    "case",
    "punctuation",
    "word_order",
    "legal_form",
    "transliteration",
    "typo1",
    "typo2",
    "mixed",
)
# Reported on their own, outside the headline recall: harder than what the matcher promises.
STRESS_KINDS = ("typo2_anywhere",)


@dataclass(frozen=True)
class Query:
    name: str
    entity_type: str  # entity / individual
    kind: str  # a variant kind, or "ordinary"
    list_id: str | None = None  # the listed party a variant came from
    source: str = ""  # the listed name it was made from


def load_entries(path: Path | None = None, *, smoke: bool = False) -> list[ParsedEntry]:
    """The parsed SDN list; without it a full run stops with the reason, a smoke run skips
    (outside CI) or fails (under CI=true)."""
    path = path or require_sdn(smoke)
    return parse_sdn_csv(path.read_bytes())


def records(entries: Sequence[ParsedEntry]) -> list[EntryRecord]:
    return [
        EntryRecord(
            pk=None,
            list_id=e.list_id,
            entry_type=e.entry_type,
            primary_name=e.primary_name,
            names=e.names,
        )
        for e in entries
    ]


# --------------------------------------------------------------------------- variants

_LEGAL_SWAPS = {
    "LTD": "LIMITED",
    "LIMITED": "LTD",
    "CO": "COMPANY",
    "COMPANY": "CO",
    "CORP": "CORPORATION",
    "CORPORATION": "CORP",
    "INC": "INCORPORATED",
    "INCORPORATED": "INC",
    "S.A.": "SA",
    "SA": "S.A.",
    "LLC": "L.L.C.",
    "JSC": "JOINT STOCK COMPANY",
    "PLC": "PUBLIC LIMITED COMPANY",
    "GMBH": "G.M.B.H.",
}
_ADDED_LEGAL = ("Ltd", "Limited", "Co., Ltd.", "LLC", "Inc.", "S.A.", "GmbH", "Corp.")
_GROUP_OF = {spelling: group for group in VARIANT_GROUPS for spelling in group}


def _words(name: str) -> list[str]:
    return name.replace(",", " ").split()


def _case(rng: random.Random, name: str) -> str:
    style = rng.choice(("lower", "title", "random"))
    if style == "lower":
        return name.lower()
    if style == "title":
        return name.title()
    return "".join(ch.upper() if rng.random() < 0.5 else ch.lower() for ch in name)


def _punctuation(rng: random.Random, name: str) -> str:
    if any(ch in string.punctuation for ch in name) and rng.random() < 0.6:
        hyphen = rng.choice(("", " "))
        out = name.replace("-", hyphen)
        return " ".join("".join(ch for ch in out if ch.isalnum() or ch == " ").split())
    words = _words(name)
    out = []
    for i, word in enumerate(words):
        mark = rng.choice(("", "", ".", ",", "-")) if i < len(words) - 1 else rng.choice(("", "."))
        out.append(word + mark)
    text = " ".join(out).replace("- ", "-")
    return text if text != name else name + "."


def _word_order(rng: random.Random, name: str, is_individual: bool) -> str | None:
    if is_individual and "," in name:
        surname, given = name.split(",", 1)
        return f"{given.strip()} {surname.strip()}"
    words = _words(name)
    if len(set(words)) < 2:
        return None
    shuffled = words[:]
    while shuffled == words:
        rng.shuffle(shuffled)
    return " ".join(shuffled)


def _legal_form(rng: random.Random, name: str) -> str:
    words = name.split()
    spots = [i for i, w in enumerate(words) if w.upper().strip(",.") in _LEGAL_SWAPS]
    spots += [i for i, w in enumerate(words) if w.upper().rstrip(",") in _LEGAL_SWAPS]
    if spots:
        i = rng.choice(spots)
        word = words[i]
        key = word.upper().strip(",.") if word.upper().strip(",.") in _LEGAL_SWAPS else None
        key = key or word.upper().rstrip(",")
        trail = "," if word.endswith(",") else ""
        words[i] = _LEGAL_SWAPS[key] + trail
        return " ".join(words)
    return f"{name.rstrip('.')} {rng.choice(_ADDED_LEGAL)}"


def _transliteration(rng: random.Random, name: str) -> str | None:
    words = name.split()
    table_spots = [
        i for i, w in enumerate(words) if len(_GROUP_OF.get(w.upper().strip(",.'"), ())) > 1
    ]
    if table_spots and rng.random() < 0.7:
        i = rng.choice(table_spots)
        word = words[i]
        core = word.upper().strip(",.'")
        choice = rng.choice([s for s in _GROUP_OF[core] if s != core])
        words[i] = word.upper().replace(core, choice)
        return " ".join(words)
    options = []
    for i, word in enumerate(words):
        upper = word.upper()
        if upper.strip(",.") in LEGAL_WORDS:
            continue  # a legal form is not a name to transliterate
        for old, new in VARIANT_SWAPS:
            if old in {"OV", "EV"}:
                core = upper.rstrip(",.")
                if core.endswith(old) and len(core) > 4:
                    options.append((i, core[: -len(old)] + new + upper[len(core) :]))
            elif old in upper and len(upper) >= 4:
                at = upper.index(old)
                options.append((i, upper[:at] + new + upper[at + len(old) :]))
    if not options:
        return None
    i, replacement = rng.choice(options)
    words[i] = replacement
    return " ".join(words)


def _letters(word: str) -> int:
    return sum(ch.isalpha() for ch in word)


def _typo(rng: random.Random, name: str, count: int, *, anywhere: bool = False) -> str | None:
    """`count` typos, each in a word of five letters or more. Two typos go into two different
    words, or both into one word of eight letters or more: edit distance 2 is what the
    matcher tolerates on long words only. With `anywhere`, any eligible word takes either."""
    words = name.split()
    spots = [i for i, w in enumerate(words) if _letters(w) >= 5]
    if not spots:
        return None
    if count == 1 or anywhere:
        targets = [rng.choice(spots) for _ in range(count)]
    else:
        long_words = [i for i in spots if _letters(words[i]) >= 8]
        choices: list[list[int]] = [[i, i] for i in long_words]
        choices += [[i, j] for i in spots for j in spots if i < j]
        if not choices:
            return None
        targets = rng.choice(choices)
    for i in targets:
        words[i] = _one_typo(rng, words[i])
    return " ".join(words)


def _one_typo(rng: random.Random, word: str) -> str:
    letters = [p for p, ch in enumerate(word) if ch.isalpha()]
    op = rng.choice(("insert", "delete", "substitute", "transpose"))
    p = rng.choice(letters)
    alphabet = string.ascii_uppercase if word[p].isupper() else string.ascii_lowercase
    if op == "insert":
        return word[:p] + rng.choice(alphabet) + word[p:]
    if op == "delete":
        return word[:p] + word[p + 1 :]
    if op == "substitute":
        return word[:p] + rng.choice([c for c in alphabet if c != word[p]]) + word[p + 1 :]
    pairs = [
        q for q in letters if q + 1 < len(word) and word[q + 1].isalpha() and word[q] != word[q + 1]
    ]
    if not pairs:
        return word[:p] + word[p + 1 :]
    q = rng.choice(pairs)
    return word[:q] + word[q + 1] + word[q] + word[q + 2 :]


def make_variants(rng: random.Random, name: str, is_individual: bool) -> dict[str, str]:
    out: dict[str, str | None] = {
        "case": _case(rng, name),
        "punctuation": _punctuation(rng, name),
        "word_order": _word_order(rng, name, is_individual),
        "legal_form": None if is_individual else _legal_form(rng, name),
        "transliteration": _transliteration(rng, name),
        "typo1": _typo(rng, name, 1),
        "typo2": _typo(rng, name, 2),
        "typo2_anywhere": _typo(rng, name, 2, anywhere=True),
    }
    reordered = out["word_order"]
    if reordered:
        mixed = _typo(rng, _case(rng, reordered), 1)
        out["mixed"] = mixed
    return {kind: text for kind, text in out.items() if text and text != name}


# --------------------------------------------------------------------------- ordinary names

PLACES = (
    "Shenzhen Guangzhou Dongguan Ningbo Yiwu Hangzhou Shanghai Beijing Xiamen Suzhou Qingdao "
    "Foshan Tianjin Chengdu Wuhan Taizhou Wenzhou Jinhua Zhuhai Changsha Nanjing Hefei Taipei "
    "Singapore Penang Bangkok Jakarta Manila Hanoi Mumbai Pune Bangalore Chennai Dhaka Karachi "
    "Lahore Istanbul Izmir Hamburg Munich Berlin Cologne Milan Turin Lyon Marseille Madrid "
    "Valencia Porto Rotterdam Antwerp London Manchester Leeds Dublin Toronto Vancouver Austin "
    "Chicago Seattle Denver Boston Atlanta Miami Phoenix Sydney Melbourne Auckland Lagos "
    "Nairobi Accra Cairo Casablanca Lima Bogota Santiago Quito Monterrey Guadalajara"
).split()
BRAND_WORDS = (
    "Bright Golden Silver Sunrise Evergreen Star Harmony Lucky Apex Summit Pioneer Vertex Nova "
    "Orchid Maple Cedar Lotus Phoenix Dragon Jade Pearl Crystal Rainbow Horizon Unity Prime "
    "Smart Happy Wonder Fortune Eagle Falcon Tiger Panda Willow River Mountain Sky Ocean Coral "
    "Amber Aurora Beacon Bluebird Compass Everbright Firefly Greenfield Hillside Ivy Keystone "
    "Lighthouse Meadow Northstar Oakwood Pinnacle Quartz Redwood Sapphire Trident Upland "
    "Velvet Westwind Zenith Huaxin Jinlong Tianyi Hengda Xinyuan Meida Kangning Ruifeng Haoyu "
    "Jiahe Yongsheng Hongda Shengtai Baili Dingxin Lumen Aoxiang Bofeng Chuangyi Deli Fuhua "
    "Guanghui Haitian Jiayuan Kaida Lianfa Minghui Nuoya Puhui Qianhe Runze Shunfeng Tengyu"
).split()
PRODUCTS = (
    "Electronics|Textile|Garment|Apparel|Toys|Furniture|Home Goods|Kitchenware|Cosmetics|"
    "Beauty|Lighting|Hardware|Tools|Auto Parts|Bags|Footwear|Shoes|Jewelry|Watches|Packaging|"
    "Plastics|Paper|Pet Supplies|Sporting Goods|Outdoor|Medical Supplies|Food|Tea|Coffee|"
    "Seafood|Machinery|Solar|Batteries|Cables|Printing|Ceramics|Glass|Bamboo|Crafts|Gifts|"
    "Stationery|Baby Products|Health Products|Fitness|Bicycles|Phone Accessories|Smart Home|"
    "Eyewear|Hair Products|Candles|Textiles|Leather Goods|Flooring|Garden|Ceramic Tiles"
).split("|")
BUSINESS = (
    "Trading|Technology|Industrial|Import & Export|E-Commerce|Manufacturing|International|"
    "Supply Chain|Commerce|Group|Store|Enterprise|Development|Industry|Products|Supplies|"
    "Solutions|Global|Online|Design"
).split("|")
LEGAL = (
    "Co., Ltd.|Co. Ltd|Company Limited|Limited|Ltd|LLC|Inc.|GmbH|S.A.|Pte. Ltd.|Sdn. Bhd.|"
    "Corp.|PLC|Pvt. Ltd.|B.V.|S.r.l.|S.L.|Pty Ltd|LLP|Corporation"
).split("|")
FIRST = (
    "James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel "
    "Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kevin Brian George Timothy Ronald "
    "Jason Edward Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott "
    "Brandon Benjamin Samuel Gregory Frank Patrick Raymond Jack Dennis Jerry Tyler Aaron "
    "Henry Adam Peter Nathan Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica "
    "Sarah Karen Nancy Lisa Betty Margaret Sandra Ashley Kimberly Emily Donna Michelle Carol "
    "Amanda Melissa Deborah Stephanie Rebecca Laura Sharon Cynthia Kathleen Amy Angela Anna "
    "Emma Olivia Sophia Charlotte Amelia Lucas Liam Noah Oliver Hans Klaus Jurgen Monika "
    "Sabine Pierre Jean Claire Camille Luca Marco Giulia Francesca Lars Ingrid Sven Astrid "
    "Sean Siobhan Hugo Chloe Lea"
).split()
LAST = (
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin "
    "Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott "
    "Hill Green Adams Baker Nelson Carter Mitchell Roberts Turner Phillips Campbell Parker "
    "Evans Edwards Collins Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson Reed Bailey "
    "Bell Kelly Howard Ward Cox Richardson Wood Watson Brooks Bennett Gray Hughes Price "
    "Sanders Myers Long Ross Foster Powell Jenkins Perry Russell Sullivan Fisher Henderson "
    "Muller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter "
    "Dubois Bernard Petit Durand Leroy Moreau Laurent Lefebvre Rossi Russo Ferrari Esposito "
    "Bianchi Romano Colombo Ricci Jensen Hansen Nielsen Larsen Andersson Johansson Karlsson "
    "Nilsson Obrien Byrne Walsh Oconnor Garcia Martinez Rodriguez Hernandez Lopez Gonzalez "
    "Perez Sanchez Ramirez Torres"
).split()
CN_SURNAMES = (
    "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao Zheng "
    "Liang Xie Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Pan Yuan Cai Jiang Yu Du "
    "Ye Cheng Wei Su Lu Ding Ren Shen Yao Lu Jiang Fan Fu Zhong Qian"
).split()
CN_SYLLABLES = (
    "wei fang min jing li qiang lei jun yang yong yan jie tao ming chao xiu ying hua hui ling "
    "xin hao yu bo peng hong gang ping dan na xia lan mei qing yun zhen kai rui xiang long "
    "jian feng hai bin lin ning shan tian xue yi zhi zi wen jia chen xuan yue han hang lu"
).split()


def _merchant_name(rng: random.Random) -> str:
    place, brand, brand2 = rng.choice(PLACES), rng.choice(BRAND_WORDS), rng.choice(BRAND_WORDS)
    product, business, legal = rng.choice(PRODUCTS), rng.choice(BUSINESS), rng.choice(LEGAL)
    pattern = rng.randrange(6)
    if pattern == 0:
        return f"{place} {brand} {product} {business} {legal}"
    if pattern == 1:
        return f"{brand} {product} {legal}"
    if pattern == 2:
        return f"{place} {brand} {business} {legal}"
    if pattern == 3:
        return f"{brand} {brand2} {product} {legal}"
    if pattern == 4:
        return f"{place} {product} {business} {legal}"
    return f"{brand} {business} {legal}"


def _western_name(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    style = rng.randrange(5)
    if style == 0:
        return f"{first} {rng.choice(string.ascii_uppercase)}. {last}"
    if style == 1:
        return f"{last}, {first}"
    if style == 2:
        return f"{first} {rng.choice(FIRST)} {last}"
    return f"{first} {last}"


def _chinese_name(rng: random.Random) -> str:
    given = "".join(rng.choice(CN_SYLLABLES) for _ in range(rng.choice((1, 2, 2))))
    return f"{rng.choice(CN_SURNAMES)} {given.capitalize()}"


def ordinary_names(
    rng: random.Random, count: int, listed_keys: set[tuple[str, ...]]
) -> tuple[list[Query], int]:
    """`count` ordinary names, half merchants and half people; returns them and how many
    generated names were left out because they genuinely equal a listed name."""
    out: list[Query] = []
    seen: set[str] = set()
    excluded = 0
    attempts = 0
    while len(out) < count and attempts < count * 50:
        attempts += 1
        roll = rng.random()
        if roll < 0.5:
            name, kind = _merchant_name(rng), "entity"
        elif roll < 0.75:
            name, kind = _western_name(rng), "individual"
        else:
            name, kind = _chinese_name(rng), "individual"
        if name in seen:
            continue
        seen.add(name)
        if tuple(sorted(normalize_name(name, kind).keys)) in listed_keys:
            excluded += 1
            continue
        out.append(Query(name=name, entity_type=kind, kind="ordinary"))
    return out, excluded


# --------------------------------------------------------------------------- the set


@dataclass
class EvalSet:
    seed: int
    variants: list[Query]
    ordinary: list[Query]
    sampled_names: int
    excluded_ordinary: int


def build_eval_set(
    entries: Sequence[ParsedEntry], *, seed: int, listed: int, ordinary: int
) -> EvalSet:
    rng = random.Random(seed)
    pool = [
        (entry, item["name"])
        for entry in entries
        if entry.entry_type in {"entity", "individual"}
        for item in entry.names
        if sum(ch.isalnum() for ch in item["name"]) >= 3
    ]
    sample = rng.sample(pool, min(listed, len(pool)))
    variants: list[Query] = []
    for entry, name in sample:
        is_individual = entry.entry_type == "individual"
        for kind, text in make_variants(rng, name, is_individual).items():
            variants.append(
                Query(
                    name=text,
                    entity_type="individual" if is_individual else "entity",
                    kind=kind,
                    list_id=entry.list_id,
                    source=name,
                )
            )
    listed_keys = {
        tuple(sorted(normalize_name(item["name"], e.entry_type).keys))
        for e in entries
        for item in e.names
    }
    names, excluded = ordinary_names(rng, ordinary, listed_keys)
    return EvalSet(
        seed=seed,
        variants=variants,
        ordinary=names,
        sampled_names=len(sample),
        excluded_ordinary=excluded,
    )


# --------------------------------------------------------------------------- scoring

# A screener under evaluation: (name, entity type) -> [(list_id, score)], best first.
Screener = Callable[[str, str], list[tuple[str, float]]]


@dataclass
class Scores:
    threshold: float
    recall: float
    recall_by_kind: dict[str, tuple[int, int]]
    top1: float
    false_positive_rate: float
    false_positives: list[tuple[Query, tuple[str, float]]]
    misses: list[Query]
    seconds: float
    queries: int


def evaluate(
    screener: Screener,
    variants: Sequence[Query],
    ordinary: Sequence[Query],
    thresholds: Sequence[float],
) -> dict[float, Scores]:
    """Runs every query once (at the lowest threshold) and scores each threshold."""
    start = time.perf_counter()
    v_results = [screener(q.name, q.entity_type) for q in variants]
    o_results = [screener(q.name, q.entity_type) for q in ordinary]
    seconds = time.perf_counter() - start
    out: dict[float, Scores] = {}
    for threshold in thresholds:
        by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        found = top1 = counted = 0
        misses: list[Query] = []
        for query, result in zip(variants, v_results, strict=True):
            hits = [(lid, s) for lid, s in result if s >= threshold]
            hit = any(lid == query.list_id for lid, _ in hits)
            by_kind[query.kind][1] += 1
            by_kind[query.kind][0] += hit
            if query.kind in STRESS_KINDS:
                continue
            counted += 1
            if hit:
                found += 1
                top1 += hits[0][0] == query.list_id
            else:
                misses.append(query)
        fps = []
        for query, result in zip(ordinary, o_results, strict=True):
            hits = [(lid, s) for lid, s in result if s >= threshold]
            if hits:
                fps.append((query, hits[0]))
        out[threshold] = Scores(
            threshold=threshold,
            recall=found / max(counted, 1),
            recall_by_kind={k: (v[0], v[1]) for k, v in sorted(by_kind.items())},
            top1=top1 / max(found, 1),
            false_positive_rate=len(fps) / max(len(ordinary), 1),
            false_positives=fps,
            misses=misses,
            seconds=seconds,
            queries=len(variants) + len(ordinary),
        )
    return out


def matcher_screener(matcher: Matcher, floor: int) -> Screener:
    def screen(name: str, entity_type: str) -> list[tuple[str, float]]:
        matches = matcher.match(name, entity_type, threshold=floor, limit=100)
        return [(m.list_id, m.score) for m in matches]

    return screen


def describe(evalset: EvalSet) -> str:
    kinds = Counter(q.kind for q in evalset.variants)
    headline = sum(kinds[k] for k in KINDS)
    people = sum(q.entity_type == "individual" for q in evalset.ordinary)
    return (
        f"seed {evalset.seed}: {evalset.sampled_names} sampled listed names -> "
        f"{headline} variants ({', '.join(f'{k} {kinds[k]}' for k in KINDS)}) + "
        f"{len(evalset.variants) - headline} stress variants "
        f"({', '.join(f'{k} {kinds[k]}' for k in STRESS_KINDS)}); "
        f"{len(evalset.ordinary)} ordinary names ({len(evalset.ordinary) - people} merchants, "
        f"{people} people; {evalset.excluded_ordinary} generated names left out as genuine "
        "listed names)"
    )


def report(scores: Scores, label: str) -> str:
    kinds = ", ".join(
        f"{kind} {found / total:.1%} ({found}/{total})"
        for kind, (found, total) in scores.recall_by_kind.items()
    )
    return (
        f"{label} @ {scores.threshold:g}: recall {scores.recall:.2%}, false positives "
        f"{scores.false_positive_rate:.2%} ({len(scores.false_positives)}), "
        f"listed party ranked first when found {scores.top1:.1%}, "
        f"{scores.seconds / max(scores.queries, 1) * 1000:.2f} ms/name\n  per kind: {kinds}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20240503)
    parser.add_argument("--listed", type=int, default=2500)
    parser.add_argument("--ordinary", type=int, default=6000)
    parser.add_argument("--sweep", action="store_true", help="scores at several thresholds")
    parser.add_argument("--show", type=int, default=0, help="print N misses and false positives")
    parser.add_argument("--smoke", action="store_true", help="a small set in seconds, for CI")
    args = parser.parse_args(argv)
    if args.smoke:
        args.listed, args.ordinary = 60, 150

    entries = load_entries(smoke=args.smoke)
    evalset = build_eval_set(entries, seed=args.seed, listed=args.listed, ordinary=args.ordinary)
    print(describe(evalset))
    matcher = Matcher.from_records(records(entries))
    thresholds = [70, 75, 80, 82, 85, 88, 90] if args.sweep else [DEFAULT_THRESHOLD]
    results = evaluate(
        matcher_screener(matcher, int(min(thresholds))),
        evalset.variants,
        evalset.ordinary,
        thresholds,
    )
    for threshold in thresholds:
        print(report(results[threshold], "matcher"))
    chosen = results[DEFAULT_THRESHOLD] if DEFAULT_THRESHOLD in results else None
    if chosen and args.show:
        print("misses:")
        for query in chosen.misses[: args.show]:
            print(f"  [{query.kind}] {query.name!r} <- {query.source!r} ({query.list_id})")
        print("false positives:")
        for query, (list_id, score) in chosen.false_positives[: args.show]:
            print(f"  {query.name!r} -> {list_id} ({score})")
    if args.smoke:
        smoke = results.get(DEFAULT_THRESHOLD) or results[thresholds[0]]
        print(f"SMOKE run (a small sample, not the figures): {len(evalset.variants)} variants")
        assert smoke.recall >= 0.90, f"recall {smoke.recall:.2%} on the smoke sample"
        assert smoke.false_positive_rate <= 0.05, f"{smoke.false_positive_rate:.2%} false positives"


if __name__ == "__main__":
    main()
