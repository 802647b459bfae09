"""Plans: made (草拟), drawn once by the published method, verified by running the draw again on
its frozen input (复核抽取), published once every task has its result, or cancelled while a draft.

The draw reads the registers in one pass each (``values_list`` rows, no model instances), runs
``draw.run`` in memory and writes the tasks in bulk, all in one transaction: a draw that cannot be
made (too few eligible inspectors, nothing to draw) raises before anything is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from operator import itemgetter

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.cases.errors import Conflict
from shanzhi.cases.transition import open_move
from shanzhi.common import audit, counters, references
from shanzhi.geo.models import Region

from .. import credit, draw
from ..kind import PLAN, may_organise
from ..models import (
    EntityProfile,
    Grade,
    Inspector,
    Plan,
    PlanInput,
    PlanStep,
    Relation,
    Risk,
    Sector,
    Task,
    TaskMember,
)
from ..selectors import departments_for, matters_for, organiser_departments, plan_regions
from ..states import PlanAction, PlanStatus, TaskStatus

MAX_TEAM, MAX_COUNT, MAX_RECENT_DAYS, MAX_PERIOD_DAYS = 5, 100_000, 1095, 366
TOKEN = re.compile(r"^\S+$")


def _bad(field_: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field_: ValidationError(message, code=code)})


def _text(value, field_: str, label: str, *, max_length: int, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise _bad(field_, _("请填写%(l)s") % {"l": label}, "required")
    if len(text) > max_length:
        raise _bad(field_, _("%(l)s不能超过 %(n)d 字") % {"l": label, "n": max_length}, "too_long")
    if any(ch < " " and ch not in "\n\t\r" for ch in text):
        raise _bad(field_, _("%(l)s含有非法字符") % {"l": label})
    return text


def _int(value, field_: str, label: str, lo: int, hi: int) -> int:
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()):
        raise _bad(field_, _("%(l)s应为整数") % {"l": label})
    number = int(text)
    if not lo <= number <= hi:
        raise _bad(field_, _("%(l)s应在 %(a)d 至 %(b)d 之间") % {"l": label, "a": lo, "b": hi}, "out_of_range")
    return number


def _ratio_bp(value) -> int:
    try:
        percent = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _bad("ratio", _("抽查比例应为数字（百分比），如 5 或 2.5")) from None
    if not percent.is_finite() or not Decimal("0.01") <= percent <= Decimal(100):
        raise _bad("ratio", _("抽查比例应在 0.01% 至 100% 之间"), "out_of_range")
    if percent != percent.quantize(Decimal("0.01")):
        raise _bad("ratio", _("抽查比例最多两位小数"))
    return int(percent * 100)


def _weights(value) -> dict[str, int]:
    if not value:
        return {str(k): v for k, v in draw.DEFAULT_WEIGHTS.items()}
    out = {}
    for level in draw.LEVELS:
        raw = value.get(str(level), value.get(level, draw.DEFAULT_WEIGHTS[level]))
        out[str(level)] = _int(raw, "weights", _("分级抽查系数"), 1, 1000)
    return out


@transaction.atomic
def plan_create(*, actor, name: str, region, department, units, matters, period_start: dt.date,
                period_end: dt.date, mode: str = Plan.Mode.RATIO, ratio=None, count=None, sectors=(),
                weights: dict | None = None, team_size=2, cross_units: bool = True, recent_days=180,
                description: str = "", at: dt.datetime | None = None) -> Plan:
    """A plan in draft. Every reference — the area, the organising department, the units taking
    part, the matters — is resolved through the actor's reach; the organising department must be
    of the plan's area or above it."""
    at = at or timezone.now()
    if not may_organise(actor):
        raise PermissionDenied(_("只有执法部门或镇（街道）、县级领导可以制定抽查计划"))
    name = _text(name, "name", _("计划名称"), max_length=120, required=True)
    description = _text(description, "description", _("说明"), max_length=2000)
    region = references.resolve(plan_regions(actor), field="region", label=_("抽查范围"), pk=region)
    department = references.resolve(organiser_departments(actor), field="department", label=_("组织实施部门"),
                                    pk=department)
    if not region.path.startswith(department.region.path):
        raise _bad("department", _("%(d)s不能组织%(r)s范围的抽查") % {"d": department.name, "r": region.name},
                   "out_of_area")
    unit_refs = list(units or [])
    if not unit_refs:
        raise _bad("units", _("请选择参加抽取的执法单位"), "required")
    units = references.resolve_many(departments_for(actor), unit_refs, field="units", label=_("执法单位"))
    matter_refs = list(matters or [])
    if not matter_refs:
        raise _bad("matters", _("请从抽查事项清单中选择本次抽查的事项"), "required")
    matters = references.resolve_many(matters_for(actor), matter_refs, field="matters", label=_("抽查事项"))
    sectors = sorted({str(s) for s in (sectors or [])}) or sorted({m.sector for m in matters})
    if any(s not in Sector.values for s in sectors):
        raise _bad("sectors", _("检查对象类别无效"))
    if mode not in Plan.Mode.values:
        raise _bad("mode", _("请选择按比例或按数量抽取"))
    ratio_bp = _ratio_bp(ratio) if mode == Plan.Mode.RATIO else None
    count = _int(count, "count", _("抽取数量"), 1, MAX_COUNT) if mode == Plan.Mode.COUNT else None
    team_size = _int(team_size, "team_size", _("每组检查人员"), 2, MAX_TEAM)
    recent_days = _int(recent_days, "recent_days", _("不重复抽取天数"), 0, MAX_RECENT_DAYS)
    if not isinstance(period_start, dt.date) or not isinstance(period_end, dt.date):
        raise _bad("period_start", _("请填写检查期间"), "required")
    if period_end < period_start:
        raise _bad("period_end", _("检查结束日期不能早于开始日期"), "out_of_range")
    if (period_end - period_start).days > MAX_PERIOD_DAYS:
        raise _bad("period_end", _("一个计划的检查期间不超过一年"), "out_of_range")
    if period_end < timezone.localtime(at).date():
        raise _bad("period_end", _("检查期间已经结束"), "out_of_range")
    year = timezone.localtime(at).year
    plan = Plan.objects.create(
        number=f"CCJH{year}{counters.next_value(f'inspection-plan:{year}'):04d}", name=name, region=region,
        department=department, sectors=sectors, mode=mode, ratio_bp=ratio_bp, count=count,
        weights=_weights(weights), team_size=team_size, cross_units=bool(cross_units), recent_days=recent_days,
        period_start=period_start, period_end=period_end, description=description, created_by=actor)
    plan.units.set(units)
    plan.matters.set(matters)
    PlanStep.objects.create(plan=plan, action=PlanAction.CREATE, at=at, actor=actor, actor_label=str(actor)[:100],
                            to_status=PlanStatus.DRAFT, note=name[:200])
    audit.record(actor=actor, action="create", obj=plan, at=at, region_id=region.pk,
                 after={"number": plan.number, "region": region.name, "department": department.name,
                        "units": [u.code for u in units], "matters": [m.code for m in matters], "sectors": sectors,
                        "mode": mode, "ratio_bp": ratio_bp, "count": count, "team_size": team_size})
    return plan


# --------------------------------------------------------------------------- the draw's input
@dataclass
class Frozen:
    """What the draw runs on, and how to get from its codes back to rows."""

    input: draw.DrawInput
    inspector_by_code: dict[str, int] = field(default_factory=dict)
    stats: dict = field(default_factory=dict)


def _period_end(plan: Plan) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(plan.period_end, dt.time(23, 59, 59)))


def _unit(code: str) -> str:
    return code if code and TOKEN.match(code) else draw.NO_UNIT


def _fetch(qs) -> list[tuple]:
    """A values_list queryset's rows in one fetch: the ORM builds the query (filters, joins,
    parameters), the rows come back as the driver gives them — what a 200,000-row read needs
    (the ORM's row-by-row iteration costs about as much again as the query)."""
    from django.db import connections

    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _in_area(plan: Plan):
    """The organisations of the plan's area (a subquery: the register is read in one pass)."""
    from shanzhi.registry.models import Organisation

    if plan.region.level == Region.Level.TOWN:
        return Organisation.objects.filter(region__parent_id=plan.region_id).values("pk")
    villages = Region.objects.filter(path__startswith=plan.region.path, level=Region.Level.VILLAGE).values("pk")
    return Organisation.objects.filter(region_id__in=villages).values("pk")


def _as_drawn(ids: list[int]) -> dict[int, tuple[str, str, int | None]]:
    """id → (name, unified social credit code, town) of the drawn organisations, what their tasks
    record. The ids are our own integers, written into the statement: ten thousand of them as
    query parameters cost more than the draw itself."""
    from django.db import connection

    from shanzhi.registry.models import Organisation

    q = connection.ops.quote_name
    org, region = Organisation._meta.db_table, Region._meta.db_table
    out = {}
    select = (f"SELECT o.{q('id')}, o.{q('name')}, o.{q('uscc')}, r.{q('parent_id')} FROM {q(org)} o "
              f"LEFT JOIN {q(region)} r ON r.{q('id')} = o.{q('region_id')} WHERE o.{q('id')} ")
    with connection.cursor() as cursor:
        for i in range(0, len(ids), 10_000):
            chunk = [int(pk) for pk in ids[i:i + 10_000]]
            if connection.vendor == "postgresql":  # one array parameter
                cursor.execute(select + "= ANY(%s)", [chunk])
            else:
                cursor.execute(select + f"IN ({','.join(map(str, chunk))})")
            for pk, name, uscc, town in cursor.fetchall():
                out[pk] = (name[:120], uscc, town)
    return out


def freeze(plan: Plan, at: dt.datetime) -> Frozen:
    """The eligible entities, inspectors and recusals now, in the draw's terms.

    Entities: the active profiles of the plan's sectors in its area, less those with a task of
    another live plan on one of the same matters that is open or was done within
    ``recent_days``. Level = risk moved by credit grade. Inspectors: active, of the units taking
    part, with a certificate valid from today through the end of the plan's period."""
    from shanzhi.accounts.models import Department

    from ..models import CreditRecord

    profiles = EntityProfile.objects.filter(is_active=True, organisation_id__in=_in_area(plan))
    if plan.sectors and set(plan.sectors) != set(Sector.values):
        profiles = profiles.filter(sector__in=plan.sectors)
    # No ORDER BY: the method does not depend on the order, and sorting 200,000 rows costs.
    rows = _fetch(profiles.order_by().values_list("organisation_id", "risk", "supervisor_id"))
    # Grades other than B (the default, also of an organisation nobody has graded yet).
    grades = dict(CreditRecord.objects.exclude(grade=Grade.B).order_by().values_list("organisation_id", "grade")) \
        if rows else {}
    matter_ids = list(plan.matters.values_list("pk", flat=True))
    recent: set[int] = set()
    if plan.recent_days and rows:
        cutoff = at - dt.timedelta(days=plan.recent_days)
        recent = set(Task.objects.filter(plan__matters__in=matter_ids).exclude(plan_id=plan.pk)
                     .exclude(plan__status__in=[PlanStatus.CANCELLED, PlanStatus.DRAFT])
                     .filter(Q(done_at__gte=cutoff) | Q(status=TaskStatus.PENDING))
                     .order_by().values_list("entity_id", flat=True).distinct())
    supervisors = {r[2] for r in rows}
    units = {pk: _unit(code) for pk, code in Department.objects.filter(pk__in=supervisors - {None})
             .values_list("pk", "code")}
    units[None] = draw.NO_UNIT
    # The level of every (risk, grade) pair once, not once per entity.
    levels = {(risk, grade): credit.sampling_level(risk, grade or Grade.B) for risk in Risk.values
              for grade in (*Grade.values, None)}
    get = grades.get
    entities = tuple((o, levels[risk, get(o)], units[sup]) for o, risk, sup in rows if o not in recent)
    eligible = set(map(itemgetter(0), entities))
    level_counts = dict.fromkeys(draw.LEVELS, 0) | Counter(map(itemgetter(1), entities))
    today = timezone.localtime(at).date()
    end = max(plan.period_end, today)
    unit_ids = list(plan.units.values_list("pk", flat=True))
    in_units = Inspector.objects.filter(department_id__in=unit_ids)
    valid = in_units.filter(is_active=True, user__is_active=True).filter(
        Q(officer__isnull=True, certificate_valid_until__gte=end) |
        Q(officer__isnull=False, officer__is_active=True, officer__certificate_issued__lte=today,
          officer__certificate_valid_until__gte=end))
    inspectors, inspector_by_code = [], {}
    for pk, code, unit in valid.order_by().values_list("pk", "code", "department__code"):
        inspectors.append((code, _unit(unit)))
        inspector_by_code[code] = pk
    recusals = []
    if inspector_by_code and entities:
        for code, org_id in Relation.objects.filter(is_active=True, inspector_id__in=list(inspector_by_code.values())) \
                .order_by().values_list("inspector__code", "organisation_id"):
            if org_id in eligible:
                recusals.append((code, org_id))
    quota = draw.quotas(level_counts, mode=plan.mode, ratio_bp=plan.ratio_bp, count=plan.count,
                        weights={int(k): v for k, v in (plan.weights or {}).items()})
    inp = draw.DrawInput(plan=plan.number, team=plan.team_size, cross=plan.cross_units, quotas=quota,
                         entities=entities, inspectors=inspectors, recusals=recusals)
    stats = {"listed": len(rows), "excluded_recent": len(rows) - len(entities), "eligible": len(entities),
             "inspectors_in_units": in_units.count(), "inspectors": len(inspectors), "recusals": len(recusals),
             "levels": {str(lv): [level_counts[lv], quota[lv]] for lv in draw.LEVELS},
             "to_draw": sum(quota.values())}
    stats["inspectors_ineligible"] = stats["inspectors_in_units"] - len(inspectors)
    return Frozen(inp, inspector_by_code, stats)


def _insert(model, columns: list[str], rows: list[tuple]) -> None:
    """Rows in bulk without building model instances: COPY on PostgreSQL, one executemany
    elsewhere. ``rows`` hold the values of ``columns``; every other concrete column gets its
    field's default (time stamps: now), so a column added later still gets its default."""
    from django.db import connection

    if not rows:
        return
    now = timezone.now()
    fields = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
    rest = [name for name in fields if name not in columns]
    tail = tuple(now if getattr(fields[n], "auto_now", False) or getattr(fields[n], "auto_now_add", False)
                 else fields[n].get_default() for n in rest)
    names = [*columns, *rest]
    quoted = ", ".join(connection.ops.quote_name(fields[n].column) for n in names)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY's text format, written in one piece; each column converted by a function
            # chosen once for its field (the per-value type tests cost as much as the COPY).
            convert = [_copy_converter(fields[n]) for n in columns]
            end = ("\t" + "\t".join(_copy_text(v) for v in tail) if tail else "") + "\n"
            text = "".join("\t".join([c(v) for c, v in zip(convert, row, strict=True)]) + end for row in rows)
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                copy.write(text)
            return
        adapted: dict = {}  # a draw's times repeat (now, the period's end): adapt each once

        def adapt(value):
            if value is None:
                return None
            if value not in adapted:
                adapted[value] = connection.ops.adapt_datetimefield_value(value)
            return adapted[value]

        times = [i for i, n in enumerate(columns) if fields[n].get_internal_type() == "DateTimeField"]
        tail = tuple(adapt(v) if fields[n].get_internal_type() == "DateTimeField" else v for n, v in zip(rest, tail, strict=True))
        if times:
            rows = [tuple(adapt(v) if i in times else v for i, v in enumerate(row)) for row in rows]
        marks = ", ".join(["%s"] * len(names))
        cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", [row + tail for row in rows])


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """One value in PostgreSQL COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value).translate(_COPY_ESCAPES)


def _copy_converter(field_):
    """How one column's values are written in COPY text format."""
    if field_.get_internal_type() in ("AutoField", "BigAutoField", "IntegerField", "BigIntegerField",
                                      "PositiveIntegerField", "PositiveSmallIntegerField", "SmallIntegerField",
                                      "ForeignKey") and not field_.null:
        return str
    if field_.get_internal_type() in ("CharField", "TextField") and not field_.null:
        return lambda v: v.translate(_COPY_ESCAPES)
    if field_.get_internal_type() == "DateTimeField":  # a draw's times repeat: write each once
        seen: dict = {}
        return lambda v: seen[v] if v in seen else seen.setdefault(v, _copy_text(v))
    return _copy_text


def preview(plan: Plan, at: dt.datetime | None = None) -> dict:
    """What a draw now would run on (counts only): shown on a draft plan's page."""
    return freeze(plan, at or timezone.now()).stats


def _failure(exc: draw.DrawError, frozen: Frozen) -> ValidationError:
    """A draw's refusal in words the organiser can act on."""
    from shanzhi.registry.models import Organisation

    team = frozen.input.team
    if exc.code == "too_few_units":
        units = len({u for _c, u in frozen.input.inspectors})
        msg = _("参加抽取的检查人员只来自 %(u)d 个单位，而检查组的 %(k)d 名成员须来自不同单位；"
                "请增加参加抽取的执法单位，或取消“来自不同单位”的要求。未进行抽取。") % {"u": units, "k": team}
        return _bad("draw", msg, "too_few_inspectors")
    if exc.keys:
        names = list(Organisation.objects.filter(pk__in=exc.keys[:3]).values_list("name", flat=True))
        msg = _("有 %(n)d 个抽中对象在回避（日常监管单位、申报的利害关系）后可选的检查人员不足 %(k)d 名"
                "%(x)s，如：%(names)s。请增加参加抽取的执法单位或检查人员。未进行抽取。") % {
            "n": len(exc.keys), "k": team, "names": "、".join(names),
            "x": _("（或不足 %(k)d 个不同单位）") % {"k": team} if frozen.input.cross else ""}
        return _bad("draw", msg, "too_few_inspectors")
    msg = _("可参加抽取的检查人员只有 %(n)d 名（在岗、属于参加抽取的单位、执法证在检查期内有效），"
            "每个检查任务至少需要 %(k)d 名。未进行抽取。") % {"n": len(frozen.input.inspectors), "k": team}
    return _bad("draw", msg, "too_few_inspectors")


@transaction.atomic
def plan_draw(*, actor, plan_id, expected_version: int | None = None, at: dt.datetime | None = None,
              seed: str | None = None) -> Plan:
    """随机抽取, once per plan: a fresh seed from the operating system's random source (callers
    cannot choose it, so nobody can try seeds until a draw suits them), the input frozen and
    hashed, the method run, the tasks written. Refused as a whole — nothing written — when
    nothing is eligible or a drawn entity lacks eligible inspectors."""
    started = time.perf_counter()
    m = open_move(PLAN, plan_id, PlanAction.DRAW, actor=actor, at=at, expected_version=expected_version)
    plan, at = m.case, m.at
    if timezone.localtime(at).date() > plan.period_end:
        raise _bad("draw", _("检查期间已经结束，不能再抽取"), "out_of_range")
    credit.refresh_due(at)
    from django.db import connection

    if connection.vendor == "postgresql":  # the register's semi-join hashes 200,000 ids in memory
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")
    phases = {}
    mark = time.perf_counter()
    frozen = freeze(plan, at)
    stats = frozen.stats
    phases["read"], mark = round((time.perf_counter() - mark) * 1000), time.perf_counter()
    if not frozen.input.entities:
        raise _bad("draw", _("没有可抽取的检查对象：范围内该类别在册对象 %(n)d 个，其中 %(r)d 个近 %(d)d 天内已被抽查。"
                             "未进行抽取。") % {"n": stats["listed"], "r": stats["excluded_recent"],
                                           "d": plan.recent_days}, "nothing_to_draw")
    if stats["to_draw"] == 0:
        raise _bad("draw", _("按当前比例抽取数量为 0（可抽取对象 %(n)d 个），请提高比例或改为按数量抽取。未进行抽取。") % {
            "n": stats["eligible"]}, "nothing_to_draw")
    seed = seed or secrets.token_hex(32)
    if not re.fullmatch(r"[0-9a-f]{64}", seed):
        raise ValueError("a seed is 64 lowercase hex digits")
    try:
        assignments = draw.run(seed, frozen.input)
    except draw.DrawError as exc:
        raise _failure(exc, frozen) from None
    text = frozen.input.canonical()
    phases["method"], mark = round((time.perf_counter() - mark) * 1000), time.perf_counter()
    due = _period_end(plan)
    pending = TaskStatus.PENDING.value
    drawn_as = _as_drawn([a.key for a in assignments])
    _insert(Task, ["plan_id", "seq", "entity_id", "entity_name", "entity_uscc", "town_id", "level", "rank", "status",
                   "due"],
            [(plan.pk, n, a.key, *drawn_as[a.key], a.level, a.rank, pending, due)
             for n, a in enumerate(assignments, start=1)])
    ids = dict(Task.objects.filter(plan=plan).order_by().values_list("seq", "pk"))
    by_code = frozen.inspector_by_code
    _insert(TaskMember, ["task_id", "inspector_id", "order"],
            [(ids[n], by_code[c], k) for n, a in enumerate(assignments, start=1)
             for k, c in enumerate(a.inspectors, start=1)])
    raw = text.encode()
    PlanInput.objects.create(plan=plan, data=zlib.compress(raw, 1), size=len(raw))
    plan.drawn_at, plan.drawn_by, plan.seed, plan.method = at, actor, seed, draw.METHOD
    plan.input_hash, plan.result_hash = hashlib.sha256(raw).hexdigest(), draw.result_digest(assignments)
    phases["write"] = round((time.perf_counter() - mark) * 1000)
    stats["tasks"], stats["phases_ms"] = len(assignments), phases
    stats["draw_ms"] = round((time.perf_counter() - started) * 1000)
    plan.draw_stats = stats
    m.finish(note=_("抽取对象 %(t)d 个（可抽取 %(e)d 个），检查人员 %(i)d 名参加；种子 %(s)s…") % {
        "t": len(assignments), "e": stats["eligible"], "i": stats["inspectors"], "s": seed[:12]},
        data={"seed": seed, "method": draw.METHOD, "input_hash": plan.input_hash, "result_hash": plan.result_hash})
    _tell_inspectors(plan)
    return plan


def _tell_inspectors(plan: Plan) -> None:
    """After the commit, a background task tells each drawn inspector once (a county draw has a
    thousand of them: not written inside the draw)."""
    from shanzhi.notify.services import notifications_suppressed

    if notifications_suppressed():
        return
    from ..tasks import tell_drawn_inspectors

    transaction.on_commit(lambda: tell_drawn_inspectors.enqueue(plan.pk))


# --------------------------------------------------------------------------- verify, publish, cancel
@dataclass
class Verification:
    same: bool
    input_ok: bool
    input_hash: str
    result_hash: str
    tasks: int
    differences: list[str]


def stored_input(plan: Plan) -> str:
    frozen = PlanInput.objects.filter(plan=plan).first()
    if frozen is None:
        raise Conflict(_("该计划尚未抽取"), code="not_drawn")
    return zlib.decompress(bytes(frozen.data)).decode()


def stored_result(plan: Plan) -> list[draw.Assignment]:
    members: dict[int, list[str]] = {}
    for task_id, code in TaskMember.objects.filter(task__plan=plan).order_by("task_id", "order") \
            .values_list("task_id", "inspector__code"):
        members.setdefault(task_id, []).append(code)
    return [draw.Assignment(entity, level, rank, tuple(members.get(pk, ())))
            for pk, entity, level, rank in Task.objects.filter(plan=plan).order_by("seq")
            .values_list("pk", "entity_id", "level", "rank")]


def plan_verify(*, actor, plan_id, at: dt.datetime | None = None) -> Verification:
    """复核抽取: run the method again on the stored input with the recorded seed, and compare with
    the tasks as they stand. Anyone who can see the plan may do it; each check is recorded."""
    at = at or timezone.now()
    plan = references.resolve(PLAN.visible(actor), field="plan", label=_("抽查计划"), pk=plan_id)
    if plan.status not in (PlanStatus.DRAWN, PlanStatus.PUBLISHED):
        raise Conflict(_("计划「%(s)s」，没有可复核的抽取") % {"s": plan.get_status_display()}, code="not_drawn")
    text = stored_input(plan)
    inp = draw.parse(text)
    input_hash = inp.digest()
    again = draw.run(plan.seed, inp)
    stored = stored_result(plan)
    differences = []
    for n, (a, b) in enumerate(zip(again, stored, strict=False), start=1):
        if (a.key, a.inspectors) != (b.key, b.inspectors):
            differences.append(f"#{n}: {b.key} {','.join(b.inspectors)} ≠ {a.key} {','.join(a.inspectors)}")
    if len(again) != len(stored):
        differences.append(f"{len(stored)} ≠ {len(again)}")
    result_hash = draw.result_digest(again)
    same = not differences and result_hash == plan.result_hash and input_hash == plan.input_hash
    with transaction.atomic():
        PlanStep.objects.create(plan=plan, action=PlanAction.VERIFY, at=at, actor=actor, actor_label=str(actor)[:100],
                                from_status=plan.status, to_status=plan.status,
                                note=_("复核一致") if same else _("复核不一致"),
                                data={"input_hash": input_hash, "result_hash": result_hash, "same": same})
        audit.record(actor=actor, action="update", obj=plan, at=at, region_id=plan.region_id,
                     note=f"复核抽取：{'一致' if same else '不一致'}",
                     after={"verify": same, "input_hash": input_hash, "result_hash": result_hash})
    return Verification(same, input_hash == plan.input_hash, input_hash, result_hash, len(again), differences[:20])


@transaction.atomic
def plan_publish(*, actor, plan_id, expected_version: int | None = None, at: dt.datetime | None = None) -> Plan:
    """结果公示: once every task has its result; the plan, its method record and the results go
    on the public page."""
    m = open_move(PLAN, plan_id, PlanAction.PUBLISH, actor=actor, at=at, expected_version=expected_version)
    open_tasks = Task.objects.filter(plan=m.case, status=TaskStatus.PENDING).count()
    if open_tasks:
        raise Conflict(_("还有 %(n)d 个检查任务未录入结果，全部检查完毕后才能公示") % {"n": open_tasks},
                       code="tasks_open")
    m.case.published_at, m.case.published_by = m.at, actor
    m.finish(note=_("抽查结果公示"))
    return m.case


@transaction.atomic
def plan_cancel(*, actor, plan_id, reason: str, expected_version: int | None = None,
                at: dt.datetime | None = None) -> Plan:
    m = open_move(PLAN, plan_id, PlanAction.CANCEL, actor=actor, at=at, expected_version=expected_version)
    reason = _text(reason, "reason", _("取消原因"), max_length=200, required=True)
    m.case.cancel_reason = reason
    m.finish(note=reason)
    return m.case
