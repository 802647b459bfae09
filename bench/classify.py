"""The class suggester, measured honestly: trained on the demo's training history
(`shanzhi/demo/data/reports_train.tsv`, the texts the demo's played history reports), evaluated on
`bench/data/classify_eval.tsv` — written separately, in other words, never trained on, at least
10 texts per class. Prints top-1 and top-3 accuracy (target ≥ 85 % and ≥ 95 %), the same for the
catalog's keywords alone, the classes most often confused, and what a suggestion costs per text
(target: adds < 2 ms to an intake).

With --from-db the model is trained as the worker trains it: from the registered cases of the
database in DATABASE_URL / SHANZHI_DATA_DIR (a built demo).

Usage: python bench/classify.py [--from-db] [--show-misses]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.config.settings")
os.environ.setdefault("SHANZHI_SEAL_KEY", "42" * 32)

ROOT = Path(__file__).resolve().parent.parent
TRAIN = ROOT / "shanzhi" / "demo" / "data" / "reports_train.tsv"
EVAL = ROOT / "bench" / "data" / "classify_eval.tsv"


def read(path: Path) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        code, _tab, text = line.partition("\t")
        if code.strip() and text.strip():
            labels.append(code.strip())
            texts.append(text.strip())
    return texts, labels


def keywords_top(text: str, k: int = 3) -> list[str]:
    from shanzhi.incidents.catalog import CATALOG

    hits = []
    for _code, _name, _kind, subs in CATALOG:
        for sub in subs:
            words = [w.strip() for w in sub[6].replace("，", ",").split(",") if w.strip()]
            found = [w for w in words if w in text]
            if found:
                hits.append(((len(found), sum(map(len, found))), sub[0]))
    ranked = [c for _s, c in sorted(hits, reverse=True)]
    return ranked[:k] or ["1401"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--from-db", action="store_true")
    ap.add_argument("--show-misses", action="store_true")
    args = ap.parse_args()
    import django

    django.setup()
    from bench._machine import describe
    from shanzhi.incidents import classify

    print(describe())
    if args.from_db:
        texts, labels = classify.examples()
        source = f"{len(texts):,} registered cases of the database"
    else:
        texts, labels = read(TRAIN)
        source = f"{len(texts):,} texts of {TRAIN.relative_to(ROOT)}"
    eval_texts, eval_labels = read(EVAL)
    overlap = set(texts) & set(eval_texts)
    per_class = Counter(eval_labels)
    print(f"training: {source} ({len(set(labels))} classes)")
    print(f"evaluation: {len(eval_texts)} texts of {EVAL.relative_to(ROOT)}, {min(per_class.values())}–"
          f"{max(per_class.values())} per class, {len(overlap)} also in the training texts")
    t = time.perf_counter()
    arrays, metrics = classify.fit(texts, labels)
    print(f"training took {time.perf_counter() - t:.1f} s; hold-out of the training texts: "
          f"top-1 {metrics.get('top1', 0):.1%}, top-3 {metrics.get('top3', 0):.1%}")
    model = classify.Model(arrays)

    top1 = top3 = kw1 = kw3 = 0
    confused = Counter()
    wrong_by_class = defaultdict(int)
    misses = []
    for text, code in zip(eval_texts, eval_labels, strict=True):
        ranked = [c for c, _p in model.top(text, 3)] or ["1401"]
        top1 += ranked[0] == code
        top3 += code in ranked
        if ranked[0] != code:
            confused[(code, ranked[0])] += 1
            wrong_by_class[code] += 1
            misses.append((code, ranked, text))
        kw = keywords_top(text)
        kw1 += kw[0] == code
        kw3 += code in kw
    n = len(eval_texts)
    print(f"\nlearnt model    top-1 {top1 / n:6.1%}  top-3 {top3 / n:6.1%}   (targets ≥ 85 % / ≥ 95 %: "
          f"{'met' if top1 / n >= 0.85 else 'NOT met'} / {'met' if top3 / n >= 0.95 else 'NOT met'})")
    print(f"keywords alone  top-1 {kw1 / n:6.1%}  top-3 {kw3 / n:6.1%}")
    print("\nmost confused (true → suggested first: count):")
    for (true, got), count in confused.most_common(10):
        print(f"  {true} → {got}: {count}")
    print("weakest classes (top-1 misses of their texts):",
          ", ".join(f"{c} {wrong_by_class[c]}/{per_class[c]}" for c in sorted(wrong_by_class, key=wrong_by_class.get,
                                                                              reverse=True)[:6]) or "none")
    if args.show_misses:
        for code, ranked, text in misses:
            print(f"  {code} ≠ {ranked}: {text}")

    # What a suggestion costs on the request path (the stored arrays, scored with numpy).
    for text in eval_texts[:50]:
        model.top(text, 3)
    times = []
    for _round in range(5):
        for text in eval_texts:
            t = time.perf_counter()
            model.top(text, 3)
            times.append((time.perf_counter() - t) * 1e6)
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"\nsuggestion per text: median {statistics.median(times):.0f} µs · p95 {p95:.0f} µs · "
          f"max {times[-1]:.0f} µs ({len(arrays['vocab']):,} n-grams × {len(arrays['classes'])} classes) — "
          f"target < 2 ms: {'met' if p95 < 2000 else 'NOT met'}")


if __name__ == "__main__":
    main()
