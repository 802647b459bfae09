"""The random draw of 双随机一公开, method ``shanzhi-draw/1``: pure Python standard library, no
database, so that anyone holding a plan's seed and its published input (抽取底册) can run it
again and must get the same tasks. This file is published as it is on the public method page.

Input (``DrawInput``, one canonical UTF-8 text whose SHA-256 is recorded on the plan):
  entities   (key, level, unit): the eligible entities — key is the entity's number in the
             register (a whole number; the public results give it beside the name and the unified
             social credit code), level 1–4 the sampling level (risk adjusted by credit), unit the
             code of the unit that supervises it day to day ("-" for none);
  inspectors (code, unit): the eligible inspectors and their units;
  recusals   (code, key): declared conflicts — that inspector is never drawn for that entity;
  quotas     level → how many entities to draw at that level (see ``quotas``);
  team, cross: inspectors per task, and whether a team's members come from different units.

Method, with seed S (64 hex digits) and H(x) = the SHA-256 digest of the UTF-8 text x:
  1. Entities. At each level L, the level's entities in ascending order of key K[0..n-1] are
     shuffled in part (Fisher–Yates): for i = 0 … q-1 (q the level's quota), j = i + R(n-i) and
     K[i], K[j] swap places; K[0..q-1] are drawn. R(m), the i-th random number below m, is the
     first 8 bytes of H("S|L|L|i|c") as a big-endian integer v, for c = 0, 1, … until
     v < 2^64 - (2^64 mod m); then R(m) = v mod m. The drawn entities of all levels are then
     ordered by H("S|E|key") (keys in decimal; digests compared as big-endian numbers): that is
     the task order, and the first 16 hex digits of H("S|E|key") are shown as the random value.
  2. Inspectors. Inspectors wait in one queue. Whenever the queue holds no one who may take the
     task at hand, round r (1, 2, …) appends the inspectors not in the queue, ordered by
     H("S|I|r|code"). For each task in turn, the queue is read from its head and the first
     inspectors who may take it join the team and leave the queue, until the team is full. An
     inspector may take the task unless they belong to the entity's supervising unit, declared a
     conflict with it, or (cross) their unit already has a member in the team. Everyone thus
     inspects about as often as anyone else, and teams are mixed anew every round.
  3. Before anything is assigned, every drawn entity is checked to have enough inspectors who may
     take it; if one does not, the draw fails as a whole and nothing is drawn.
The order of the input lines does not matter: only the sets do.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter

METHOD = "shanzhi-draw/1"
LEVELS = (1, 2, 3, 4)
DEFAULT_WEIGHTS = {1: 50, 2: 100, 3: 200, 4: 300}  # % of the base ratio at each level
NO_UNIT = "-"


class DrawError(Exception):
    """The draw cannot be made as asked; nothing is drawn. ``keys`` names the entities concerned."""

    def __init__(self, code: str, message: str, keys: list[int] | None = None):
        super().__init__(message)
        self.code, self.message, self.keys = code, message, keys or []


@dataclass
class DrawInput:
    plan: str
    team: int
    cross: bool
    quotas: dict[int, int]
    entities: Sequence[tuple[int, int, str]] = ()
    inspectors: list[tuple[str, str]] = field(default_factory=list)
    recusals: list[tuple[str, int]] = field(default_factory=list)
    _ordered: tuple | None = field(default=None, repr=False, compare=False)

    def ordered(self) -> list[tuple[int, int, str]]:
        """The entities by level, then key: the order of the text and of step 1. Sorted once per
        entities object (give the input a new one, e.g. a tuple, rather than changing it)."""
        if self._ordered is None or self._ordered[0] is not self.entities:
            self._ordered = (self.entities, sorted(self.entities, key=itemgetter(1, 0)))
        return self._ordered[1]

    def canonical(self) -> str:
        lines = [METHOD, f"plan {self.plan}", f"team {self.team} {1 if self.cross else 0}"]
        lines += [f"quota {level} {self.quotas.get(level, 0)}" for level in LEVELS]
        lines += map("E %d %d %s".__mod__, self.ordered())
        lines += [f"I {c} {u}" for c, u in sorted(self.inspectors)]
        lines += [f"X {c} {k}" for c, k in sorted(set(self.recusals))]
        return "\n".join(lines) + "\n"

    def digest(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()


@dataclass(frozen=True)
class Assignment:
    key: int
    level: int
    rank: str  # the entity's random value: the first 16 hex digits of H("S|E|key")
    inspectors: tuple[str, ...]


def parse(text: str) -> DrawInput:
    """The canonical text back into an input (the public file, or the stored one)."""
    lines = text.splitlines()
    if not lines or lines[0] != METHOD:
        raise ValueError(f"not a {METHOD} input")
    inp = DrawInput(plan="", team=2, cross=True, quotas={})
    entities = []
    for line in lines[1:]:
        tag, _, rest = line.partition(" ")
        parts = rest.split(" ")
        if tag == "E":
            entities.append((int(parts[0]), int(parts[1]), parts[2]))
        elif tag == "I":
            inp.inspectors.append((parts[0], parts[1]))
        elif tag == "X":
            inp.recusals.append((parts[0], int(parts[1])))
        elif tag == "quota":
            inp.quotas[int(parts[0])] = int(parts[1])
        elif tag == "team":
            inp.team, inp.cross = int(parts[0]), parts[1] == "1"
        elif tag == "plan":
            inp.plan = rest
        elif line:
            raise ValueError(f"unknown line: {line[:40]}")
    inp.entities = tuple(entities)
    return inp


def quotas(counts: dict[int, int], *, mode: str, ratio_bp: int | None = None, count: int | None = None,
           weights: dict[int, int] | None = None) -> dict[int, int]:
    """How many entities to draw at each level, in integers only.

    ratio: level n = round-half-up(N × base ratio × weight), base ratio in 1/10,000 and weight
    in %, at most N. count: the count is shared among levels in proportion to N × weight by the
    largest remainder (ties to the higher level); a level never gets more than it has."""
    w = {level: int((weights or DEFAULT_WEIGHTS).get(level, DEFAULT_WEIGHTS[level])) for level in LEVELS}
    n = {level: int(counts.get(level, 0)) for level in LEVELS}
    if mode == "ratio":
        return {lv: min(n[lv], (n[lv] * int(ratio_bp or 0) * w[lv] + 500_000) // 1_000_000) for lv in LEVELS}
    remaining = int(count or 0)
    if remaining >= sum(n.values()):
        return dict(n)
    out = {lv: 0 for lv in LEVELS}
    open_levels = [lv for lv in LEVELS if n[lv] > 0]
    while open_levels and remaining > 0:
        total = sum(n[lv] * w[lv] for lv in open_levels)
        share = {lv: remaining * n[lv] * w[lv] for lv in open_levels}  # over ``total``
        full = [lv for lv in open_levels if share[lv] >= n[lv] * total]
        if full:
            for lv in full:
                out[lv] = n[lv]
                remaining -= n[lv]
                open_levels.remove(lv)
            continue
        base = {lv: share[lv] // total for lv in open_levels}
        left = remaining - sum(base.values())
        for lv in sorted(open_levels, key=lambda x: (-(share[x] % total), -x))[:left]:
            base[lv] += 1
        out.update(base)
        break
    return out


def _h(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _below(seed: str, level: int, i: int, m: int) -> int:
    """R(m): the i-th random number below m at a level, without modulo bias."""
    limit = (1 << 64) - (1 << 64) % m
    c = 0
    while True:
        v = int.from_bytes(hashlib.sha256(f"{seed}|L|{level}|{i}|{c}".encode()).digest()[:8], "big")
        if v < limit:
            return v % m
        c += 1


def select_entities(seed: str, inp: DrawInput) -> list[tuple[bytes, int, int, str]]:
    """Step 1: the drawn entities, in task order, as (H("S|E|key"), key, level, unit)."""
    ordered = inp.ordered()
    drawn, start = [], 0
    sizes = Counter(level for _k, level, _u in ordered)
    for level in sorted(sizes):
        n = sizes[level]
        pool = ordered[start:start + n]  # this level's entities, by key
        start += n
        for i in range(min(inp.quotas.get(level, 0), n)):
            j = i + _below(seed, level, i, n - i)
            pool[i], pool[j] = pool[j], pool[i]
            drawn.append(pool[i])
    prefix = hashlib.sha256(f"{seed}|E|".encode())
    out = []
    for key, level, unit in drawn:
        h = prefix.copy()
        h.update(b"%d" % key)
        out.append((h.digest(), key, level, unit))
    out.sort()
    return out


def check_coverage(inp: DrawInput, drawn) -> None:
    """Step 3: every drawn entity has enough inspectors who may take it, or nothing is drawn."""
    team = inp.team
    units = dict(inp.inspectors)
    if len(units) < team:
        raise DrawError("too_few_inspectors", f"only {len(units)} eligible inspectors, {team} needed per task")
    per_unit = Counter(units.values())
    if inp.cross and len(per_unit) < team:
        raise DrawError("too_few_units", f"inspectors come from {len(per_unit)} units, {team} needed per task")
    recused: dict[int, set[str]] = defaultdict(set)
    for code, key in inp.recusals:
        if code in units:
            recused[key].add(code)
    def enough(unit: str, out: set[str]) -> bool:
        if len(units) - per_unit.get(unit, 0) - len(out) < team:
            return False
        if not inp.cross:
            return True
        left = Counter(units[c] for c in out)
        return sum(1 for u, n in per_unit.items() if u != unit and n > left.get(u, 0)) >= team

    short, by_unit = [], {}
    for _value, key, _level, unit in drawn:
        barred = recused.get(key)
        if barred:
            ok = enough(unit, {c for c in barred if units[c] != unit})
        else:  # the same for every entity of the unit: worked out once
            if unit not in by_unit:
                by_unit[unit] = enough(unit, set())
            ok = by_unit[unit]
        if not ok:
            short.append(key)
    if short:
        raise DrawError("too_few_inspectors", f"{len(short)} drawn entities lack {team} eligible inspectors", short)


def assign_inspectors(seed: str, inp: DrawInput, drawn) -> list[Assignment]:
    """Step 2: a team for every drawn entity, from the queue of rounds."""
    units = dict(inp.inspectors)
    codes = sorted(units)
    recused: dict[int, set[str]] = defaultdict(set)
    for code, key in inp.recusals:
        recused[key].add(code)
    queue: list[str] = []
    queued: set[str] = set()
    rounds = 0

    def refill():
        nonlocal rounds
        rounds += 1
        prefix = f"{seed}|I|{rounds}|"
        for code in sorted((c for c in codes if c not in queued), key=lambda c: (_h(prefix + c), c)):
            queue.append(code)
            queued.add(code)

    out = []
    for value, key, level, unit in drawn:
        barred = recused.get(key, set())
        team: list[str] = []
        used: set[str] = set()
        i, refilled = 0, False
        while len(team) < inp.team:
            if i >= len(queue):
                if refilled:
                    raise DrawError("too_few_inspectors", f"{key}: not enough eligible inspectors", [key])
                refill()
                refilled = True
                continue
            code = queue[i]
            u = units[code]
            if u == unit or code in barred or code in team or (inp.cross and u in used):
                i += 1
                continue
            team.append(code)
            used.add(u)
            del queue[i]
            queued.discard(code)
        out.append(Assignment(key, level, value[:8].hex(), tuple(team)))
    return out


def run(seed: str, inp: DrawInput) -> list[Assignment]:
    """The whole draw: the same seed and the same input give the same tasks, everywhere."""
    drawn = select_entities(seed, inp)
    check_coverage(inp, drawn)
    return assign_inspectors(seed, inp, drawn)


def result_text(assignments: list[Assignment]) -> str:
    lines = [f"{METHOD} result"]
    lines += [f"T {n} {a.key} {','.join(a.inspectors)}" for n, a in enumerate(assignments, start=1)]
    return "\n".join(lines) + "\n"


def result_digest(assignments: list[Assignment]) -> str:
    return hashlib.sha256(result_text(assignments).encode()).hexdigest()
