"""Point → grid lookups with 1,600 and 100,000 grids (target ≤ 20 µs a point at 100,000).

Grids are Voronoi cells filling the real 江阴市 outline, two levels deep, as in the demo; points
are uniform over the county. Runs without a database: it measures the in-memory index itself.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.config.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from shapely.geometry import mapping  # noqa: E402

from bench._machine import describe  # noqa: E402
from shanzhi.demo.builder import county_outline, partition, random_points  # noqa: E402
from shanzhi.geo.spatial import GridIndex  # noqa: E402


def build(n_grids: int, rng) -> GridIndex:
    outline = county_outline()
    n1 = max(1, int(round(n_grids ** 0.5 / 2)))
    per = max(1, (n_grids - n1) // n1)
    rows, gid = [], 0
    for i, cell in enumerate(partition(outline, random_points(outline, n1, rng))):
        gid += 1
        rows.append((gid, f"A{i:05d}", 1, mapping(cell)))
        for j, sub in enumerate(partition(cell, random_points(cell, per, rng))):
            gid += 1
            rows.append((gid, f"A{i:05d}{j:05d}", 2, mapping(sub)))
    return GridIndex(rows)


def main():
    rng = np.random.default_rng(1)
    outline = county_outline()
    pts = np.array(random_points(outline, 200_000, rng))
    print(describe())
    for n in (1_600, 100_000):
        t = time.perf_counter()
        index = build(n, rng)
        built = time.perf_counter() - t
        t = time.perf_counter()
        found = index.locate_many(pts[:, 0], pts[:, 1])
        vec = (time.perf_counter() - t) / len(pts) * 1e6
        sample = pts[:20_000]
        t = time.perf_counter()
        for x, y in sample:
            index.locate_one(x, y)
        one = (time.perf_counter() - t) / len(sample) * 1e6
        hit = (found > 0).mean() * 100
        print(f"{len(index):>7} grids: index built in {built:.1f} s · vectorised {vec:.2f} µs/point · "
              f"one by one {one:.1f} µs/point · {hit:.1f} % of points found a grid"
              f" · target ≤ 20 µs/point at 100,000 → {'met' if n < 100_000 or one <= 20 else 'MISSED'}")


if __name__ == "__main__":
    main()
