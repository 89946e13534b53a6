"""Sanctions screening benchmark: speed of the matcher against the real OFAC SDN list, and a
plain rapidfuzz scan over every listed name as the baseline, on the evaluation set of
bench/screening_eval.py.

    .venv/bin/python bench/bench_screening.py [--names 10000] [--baseline 1500] [--seed N]
                                              [--smoke]

Prints the machine, the index build time, the latency of one name (median, p95, first call
of each name), the time for --names names on one core (the process is pinned to one CPU),
then recall and false positives of the matcher and of the baseline scans
(rapidfuzz.process.extract over all normalised names: WRatio, process.extract's default
scorer, and token_sort_ratio) on the same sub-sample, at several thresholds.

--smoke (what CI runs, seconds): 100 names, an evaluation set of 40 listed and 100 ordinary
names, 10 queries for the baseline scans; it checks every step runs and that the matcher finds
most variants, and prints figures that are not the benchmark's.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import screening_eval as se  # noqa: E402
from rapidfuzz import __version__ as rapidfuzz_version  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from kyc.screening.matcher import DEFAULT_THRESHOLD, Matcher  # noqa: E402
from kyc.screening.normalize import normalize  # noqa: E402


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"rapidfuzz {rapidfuzz_version}, {platform.system()} {platform.release()}"
    )


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


class BaselineScan:
    """The plain approach: every listed name normalised once, then for each query one
    rapidfuzz.process.extract over all of them."""

    def __init__(self, entries: Sequence[se.ParsedEntry], scorer: object) -> None:
        self.scorer = scorer
        self.choices: list[str] = []
        self.list_ids: list[str] = []
        for entry in entries:
            for item in entry.names:
                self.choices.append(normalize(item["name"], entry.entry_type))
                self.list_ids.append(entry.list_id)

    def screen(self, name: str, entity_type: str, floor: float = 60) -> list[tuple[str, float]]:
        found = process.extract(
            normalize(name, entity_type),
            self.choices,
            scorer=self.scorer,
            processor=None,
            limit=100,
            score_cutoff=floor,
        )
        best: dict[str, float] = {}
        for _, score, position in found:
            list_id = self.list_ids[position]
            best[list_id] = max(best.get(list_id, 0.0), score)
        return sorted(best.items(), key=lambda item: -item[1])


def latency(matcher: Matcher, queries: Sequence[se.Query]) -> list[float]:
    times = []
    for query in queries:
        start = time.perf_counter()
        matcher.match(query.name, query.entity_type, limit=100)
        times.append(time.perf_counter() - start)
    return times


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=1500, help="queries for the baseline")
    parser.add_argument("--seed", type=int, default=20240503)
    parser.add_argument("--smoke", action="store_true", help="seconds, for CI")
    args = parser.parse_args(argv)
    listed, ordinary, latency_names = 2500, 6000, 2000
    if args.smoke:
        args.names, args.baseline = 100, 10
        listed, ordinary, latency_names = 40, 100, 50

    print(f"machine: {machine()}; {pin_to_one_core()}{'; SMOKE run' if args.smoke else ''}")
    entries = se.load_entries(smoke=args.smoke)
    start = time.perf_counter()
    matcher = Matcher.from_records(se.records(entries))
    build = time.perf_counter() - start
    index = matcher.index
    print(
        f"index: {len(index.entries)} entries, {len(index.names)} distinct names, "
        f"{len(index.postings)} keys, built in {build:.2f} s"
    )

    evalset = se.build_eval_set(entries, seed=args.seed, listed=listed, ordinary=ordinary)
    rng = random.Random(args.seed)
    pool = evalset.variants + evalset.ordinary
    rng.shuffle(pool)

    # One name at a time, each name seen for the first time (the per-word caches start empty).
    fresh = Matcher(index)
    index._near.clear()
    sample = pool[:latency_names]
    times = latency(fresh, sample)
    times.sort()
    print(
        f"one name (first call for each of {len(sample)} names): median "
        f"{statistics.median(times) * 1000:.2f} ms, p95 {times[int(len(times) * 0.95)] * 1000:.2f}"
        f" ms, max {times[-1] * 1000:.1f} ms"
    )
    batch = (pool * (args.names // len(pool) + 1))[: args.names]
    index._near.clear()
    start = time.perf_counter()
    for query in batch:
        matcher.match(query.name, query.entity_type, limit=100)
    elapsed = time.perf_counter() - start
    print(
        f"{args.names} names on one core: {elapsed:.1f} s "
        f"({elapsed / args.names * 1000:.2f} ms a name, caches warm as in a batch)"
    )

    # Quality and speed against the baseline, on the same sub-sample of the evaluation set.
    headline = [q for q in evalset.variants if q.kind in se.KINDS]
    variants = rng.sample(headline, min(args.baseline, len(headline)))
    ordinary = rng.sample(evalset.ordinary, min(args.baseline, len(evalset.ordinary)))
    thresholds = sorted({70, 75, 80, DEFAULT_THRESHOLD, 85, 88, 90, 95})
    rows = []
    index._near.clear()
    ours = se.evaluate(se.matcher_screener(matcher, 70), variants, ordinary, thresholds)
    rows.append(("matcher", ours))
    scan = BaselineScan(entries, fuzz.WRatio)  # every listed name normalised once, for both
    for label, scorer in (
        ("WRatio scan", fuzz.WRatio),
        ("token_sort_ratio scan", fuzz.token_sort_ratio),
    ):
        scan.scorer = scorer
        rows.append((label, se.evaluate(scan.screen, variants, ordinary, thresholds)))
    print(
        f"sub-sample: {len(variants)} listed-name variants, {len(ordinary)} ordinary names "
        f"(seed {args.seed}); default threshold {DEFAULT_THRESHOLD}"
    )
    for label, results in rows:
        per_name = results[thresholds[0]].seconds / results[thresholds[0]].queries * 1000
        print(f"  {label}: {per_name:.2f} ms a name")
        for threshold in thresholds:
            r = results[threshold]
            print(
                f"    @{threshold}: recall {r.recall:.2%}, false positives "
                f"{r.false_positive_rate:.2%}"
            )
    if args.smoke:  # a broken matcher, not a slightly worse one
        assert ours[DEFAULT_THRESHOLD].recall >= 0.8, "the matcher misses most variants"


if __name__ == "__main__":
    main()
