"""The early-warning feed (防返贫监测): other departments' records in, alerts out.

A settlement from medical insurance (or a new disability certificate, an unemployment
registration, a school-aid case) arrives through the authenticated API or an xlsx/CSV import.
Each record is kept once — unique per source and the source's own number, so a record sent twice
counts once — matched to the registry person by the blind index of the ID number, and added to
the person's household file as a rigid expense. Then the rules speak: for the person's locality
and population group, what they paid themselves over the rule's window against its threshold
(or, for a rule without one, the record itself) raises an alert — a verification task with a
deadline for the village's civil-affairs aide, which can open an application in one step.

Everything is done per chunk of records with a fixed number of queries, so a feed of 100,000
settlements costs what a few hundred chunks cost, not 100,000 round trips.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.cases.models import Timer
from shanzhi.cases.transition import open_move
from shanzhi.common import audit, counters, crypto, masking, references
from shanzhi.common.identifiers import normalise_id_number
from shanzhi.common.money import HOUSEHOLD_LIMIT, parse_money

from .kind import ALERT, _tell, staff_q
from .models import Alert, AlertRule, AlertStep, Channel, Expense, Family, Group, Member, Signal, Visit
from .states import VERIFY_DAYS, AlertAction, AlertStatus

CHUNK = 2000
MAX_ROWS = 200_000
EXPENSE_KIND = {Signal.Source.MEDICAL: Expense.Kind.MEDICAL}
REASONS = {
    Signal.Source.MEDICAL: _("医疗费用个人自付较高"),
    Signal.Source.DISABILITY: _("新增残疾"),
    Signal.Source.UNEMPLOYMENT: _("家庭成员失业"),
    Signal.Source.SCHOOL: _("学生资助对象"),
}


@dataclass
class FeedResult:
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    unmatched: int = 0
    alerts: int = 0
    errors: list[dict] = field(default_factory=list)
    alert_numbers: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"received": self.received, "accepted": self.accepted, "duplicates": self.duplicates,
                "unmatched": self.unmatched, "alerts": self.alerts, "errors": self.errors[:500],
                "alert_numbers": self.alert_numbers[:500]}


def may_feed(user) -> bool:
    return bool(user and (user.is_superuser or user.has_perm("assistance.add_signal")))


def _clean(raw: dict, source: str, today: dt.date) -> dict:
    def err(f, m):
        return ValidationError({f: ValidationError(m, code="invalid")})

    ext = str(raw.get("external_id") or "").strip()
    if not ext or len(ext) > 64 or "\x00" in ext:
        raise err("external_id", _("来源编号必填，最多 64 个字符"))
    try:
        number = normalise_id_number(str(raw.get("id_number") or ""))
    except ValidationError:
        raise err("id_number", _("身份证号格式不正确")) from None
    day = raw.get("occurred_on")
    try:
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day or "").strip()[:10])
    except ValueError:
        raise err("occurred_on", _("发生日期须为 YYYY-MM-DD")) from None
    if isinstance(day, dt.datetime):
        day = day.date()
    if day > today + dt.timedelta(days=1) or day < today - dt.timedelta(days=3 * 366):
        raise err("occurred_on", _("发生日期不在合理范围内（近三年内）"))
    total = self_paid = None
    if source == Signal.Source.MEDICAL:
        total = parse_money(raw.get("total"), "total", _("总费用"), limit=HOUSEHOLD_LIMIT)
        self_paid = parse_money(raw.get("self_paid"), "self_paid", _("个人自付"), limit=HOUSEHOLD_LIMIT)
        if self_paid > total:
            raise err("self_paid", _("个人自付不能超过总费用"))
    detail = raw.get("detail") or {}
    if not isinstance(detail, dict):
        raise err("detail", _("detail 须为对象"))
    detail = {str(k)[:30]: str(v)[:200] for k, v in list(detail.items())[:20]}
    name = str(raw.get("name") or "").strip()[:50]
    return {"external_id": ext, "id_bidx": crypto.blind_index("id", number), "occurred_on": day, "total": total,
            "self_paid": self_paid, "detail": detail, "name": name}


def ingest(rows, *, source: str, via: str = "api", batch: str = "", at: dt.datetime | None = None,
           actor=None) -> FeedResult:
    """Take a feed. Each valid record is stored once; invalid ones are reported by row and change
    nothing; records for unknown people are kept (and matched no further)."""
    if source not in Signal.Source.values:
        raise ValidationError({"source": ValidationError(_("数据来源无效"), code="invalid")})
    at = at or timezone.now()
    today = timezone.localdate(at)
    result = FeedResult()
    rows = list(rows)
    if len(rows) > MAX_ROWS:
        raise ValidationError({"rows": ValidationError(_("一次最多 %(n)d 条") % {"n": MAX_ROWS}, code="too_many")})
    rules = _rules(source)
    for start in range(0, len(rows), CHUNK):
        cleaned, seen = [], set()
        for i, raw in enumerate(rows[start:start + CHUNK], start=start + 1):
            result.received += 1
            try:
                row = _clean(raw if isinstance(raw, dict) else {}, source, today)
            except ValidationError as exc:
                for f, msgs in exc.message_dict.items():
                    result.errors.append({"row": i, "field": f, "message": msgs[0]})
                continue
            if row["external_id"] in seen:
                result.duplicates += 1
                continue
            seen.add(row["external_id"])
            row["_row"] = i
            cleaned.append(row)
        if cleaned:
            for attempt in range(3):
                try:
                    _chunk(cleaned, source, via, batch, at, rules, result, actor)
                    break
                except IntegrityError:  # the same record arrived concurrently: look again
                    if attempt == 2:
                        raise
    if result.received:
        audit.record(actor=actor if getattr(actor, "pk", None) else None, action="import",
                     object_type="assistance.signal", object_id=(batch or via)[:40], object_repr=_("部门数据批次"), at=at,
                     after={"source": source, "via": via, "received": result.received, "accepted": result.accepted,
                            "duplicates": result.duplicates, "unmatched": result.unmatched, "alerts": result.alerts,
                            "errors": len(result.errors)})
    return result


def _rules(source: str) -> dict:
    """Active rules of a source by (region, group), newest first."""
    out: dict[tuple[int, str], list[AlertRule]] = defaultdict(list)
    for r in AlertRule.objects.filter(source=source, active=True).order_by("-effective_from"):
        out[(r.region_id, r.group)].append(r)
    return out


_paths: dict[int, list[int]] = {}


def _chain(region_id: int) -> list[int]:
    """The region and its ancestors, most specific first."""
    if region_id not in _paths:
        from shanzhi.geo.models import Region

        region = Region.objects.get(pk=region_id)
        prefixes = [region.path[:i] for i in range(len(region.path), 0, -1) if region.path[i - 1] == "/"]
        found = {r.path: r.pk for r in Region.objects.filter(path__in=[region.path, *prefixes])}
        _paths[region_id] = [found[p] for p in sorted(found, key=len, reverse=True)]
    return _paths[region_id]


def rule_for(rules, region_id, group, on: dt.date):
    for rid in _chain(region_id):
        for g in (group, Group.GENERAL) if group != Group.GENERAL else (group,):
            for rule in rules.get((rid, g), ()):
                if rule.effective_from <= on:
                    return rule
    return None


@transaction.atomic
def _chunk(cleaned, source, via, batch, at, rules, result: FeedResult, actor) -> None:
    from shanzhi.registry.models import Person

    ids = [r["external_id"] for r in cleaned]
    known = {e: (b, d, t, p) for e, b, d, t, p in Signal.objects.filter(source=source, external_id__in=ids)
             .values_list("external_id", "id_bidx", "occurred_on", "total", "self_paid")}
    fresh = []
    for r in cleaned:
        was = known.get(r["external_id"])
        if was is None:
            fresh.append(r)
        elif was == (r["id_bidx"], r["occurred_on"], r["total"], r["self_paid"]):
            result.duplicates += 1  # the same record again: counted once
        else:  # the same number with other content: a correction must not vanish as a "duplicate"
            result.errors.append({"row": r["_row"], "field": "external_id", "message": _(
                "编号 %(e)s 已收到，但内容不同；更正请以新编号报送并注明原编号") % {"e": r["external_id"]}})
    if not fresh:
        return
    bidx = {r["id_bidx"] for r in fresh}
    people = {p["id_bidx"]: p for p in Person.objects.filter(id_bidx__in=bidx).values("pk", "id_bidx", "region_id",
                                                                                        "name")}
    named = []
    for r in fresh:  # a name sent with the number must be that person's
        p = people.get(r["id_bidx"])
        if p is not None and r["name"] and r["name"] != p["name"]:
            result.errors.append({"row": r["_row"], "field": "name", "message": _("姓名与身份证号不一致")})
        else:
            named.append(r)
    fresh = named
    if not fresh:
        return
    pids = [p["pk"] for p in people.values()]
    member_of = {m["person_id"]: m for m in Member.objects.filter(person_id__in=pids, left_at__isnull=True)
                 .values("person_id", "family_id", "family__group", "family__region_id", "family__town_id", "pk")}
    signals = []
    for r in fresh:
        p = people.get(r["id_bidx"])
        m = member_of.get(p["pk"]) if p else None
        if p is None:
            result.unmatched += 1
        signals.append(Signal(source=source, external_id=r["external_id"], id_bidx=r["id_bidx"],
                              person_id=p["pk"] if p else None, family_id=m["family_id"] if m else None,
                              occurred_on=r["occurred_on"], total=r["total"], self_paid=r["self_paid"],
                              detail=r["detail"], received_at=at, via=via, batch=batch[:40]))
    Signal.objects.bulk_create(signals, batch_size=1000)
    result.accepted += len(signals)
    stored = {s.external_id: s for s in Signal.objects.filter(source=source, external_id__in=[s.external_id
                                                                                                for s in signals])}
    if source in EXPENSE_KIND:
        expenses = [Expense(family_id=s.family_id, member_id=member_of[s.person_id]["pk"], kind=EXPENSE_KIND[source],
                            incurred_on=s.occurred_on, total=s.total, self_paid=s.self_paid, source=_("医保结算"),
                            signal=stored[s.external_id], note=(s.detail.get("hospital") or "")[:200])
                    for s in signals if s.family_id]
        Expense.objects.bulk_create(expenses, batch_size=1000)
        Family.objects.filter(pk__in={e.family_id for e in expenses}).update(changed_at=at)
    # --- rules
    latest: dict[int, Signal] = {}
    for s in stored.values():
        if s.person_id and (s.person_id not in latest or s.occurred_on > latest[s.person_id].occurred_on):
            latest[s.person_id] = s
    if not latest:
        return
    regions = {p["pk"]: p["region_id"] for p in people.values()}
    candidates: dict[int, AlertRule] = {}
    for pid in latest:
        m = member_of.get(pid)
        region_id = m["family__region_id"] if m else regions.get(pid)
        if not region_id:
            continue
        rule = rule_for(rules, region_id, m["family__group"] if m else Group.GENERAL, timezone.localdate(at))
        if rule is not None:
            candidates[pid] = rule
    if not candidates:
        return
    # The window ends today, not at the bill just received: settlements arrive out of order (a
    # hospital's batch from March after November's), and what matters is what the family has paid
    # lately, whichever record came last.
    sums: dict[int, Decimal] = {}
    thresholds = {pid: r for pid, r in candidates.items() if r.threshold is not None}
    if thresholds:
        end = timezone.localdate(at) + dt.timedelta(days=1)  # _clean accepts a bill dated tomorrow
        widest = max(r.window_days for r in thresholds.values())
        rows = (Signal.objects.filter(source=source, person_id__in=list(thresholds),
                                      occurred_on__gt=end - dt.timedelta(days=widest + 1), occurred_on__lte=end)
                .values_list("person_id", "occurred_on", "self_paid"))
        for pid, day, paid in rows:
            if day > end - dt.timedelta(days=thresholds[pid].window_days + 1):
                sums[pid] = sums.get(pid, Decimal(0)) + (paid or Decimal(0))
    # One alert per person and rule per window: an open one, or one raised inside the window.
    recent = set()
    horizon = at - dt.timedelta(days=max(r.window_days for r in candidates.values()))
    for pid, rid, status, raised in Alert.objects.filter(person_id__in=list(candidates)).values_list(
            "person_id", "rule_id", "status", "raised_at"):
        rule = candidates.get(pid)
        if rule is not None and rule.pk == rid and (status in (AlertStatus.OPEN, AlertStatus.VERIFIED) or raised >= max(
                horizon, at - dt.timedelta(days=rule.window_days))):
            recent.add(pid)
    raise_for = []
    for pid, rule in candidates.items():
        if pid in recent:
            continue
        if rule.threshold is not None and sums.get(pid, Decimal(0)) < rule.threshold:
            continue
        raise_for.append((pid, rule))
    if raise_for:
        _raise(raise_for, latest, member_of, regions, sums, at, result, actor, source, batch)


def _raise(raise_for, latest, member_of, regions, sums, at, result, actor, source, batch) -> None:
    from shanzhi.accounts.models import Post
    from shanzhi.accounts.roles import Role
    from shanzhi.common.workcal import WorkingCalendar
    from shanzhi.geo.models import Region
    from shanzhi.incidents.services.loop import town_code

    region_ids = {member_of[p]["family__region_id"] if p in member_of else regions[p] for p, _r in raise_for}
    town_of = dict(Region.objects.filter(pk__in=region_ids).values_list("pk", "parent_id"))
    aides: dict[int, int] = {}
    for uid, rid in (Post.objects.filter(role=Role.CIVIL_AFFAIRS, is_active=True, region_id__in=region_ids)
                     .order_by("id").values_list("user_id", "region_id")):
        aides.setdefault(rid, uid)
    calendars: dict[int, WorkingCalendar] = {}
    year = timezone.localtime(at).year
    first = counters.next_value(f"assist-alert:{year}", len(raise_for)) - len(raise_for) + 1
    alerts = []
    for n, (pid, rule) in enumerate(raise_for):
        m = member_of.get(pid)
        region_id = m["family__region_id"] if m else regions[pid]
        town_id = town_of[region_id]
        if town_id not in calendars:
            calendars[town_id] = WorkingCalendar(town_code(town_id))
        due = calendars[town_id].add(at, VERIFY_DAYS, "working_days")
        seq = first + n
        sig = latest[pid]
        amount = sums.get(pid)
        reason = str(REASONS.get(source, source))
        if amount is not None:
            reason = _("%(r)s：近 %(d)d 日个人自付累计 %(a)s，达到预警线 %(t)s") % {
                "r": reason, "d": rule.window_days, "a": f"¥{amount:,.2f}", "t": f"¥{rule.threshold:,.2f}"}
        alerts.append(Alert(number=f"YJ{year}{seq:06d}", person_id=pid, family_id=m["family_id"] if m else None,
                            town_id=town_id, region_id=region_id, group=m["family__group"] if m else Group.GENERAL,
                            rule=rule, signal=sig, amount=amount, reason=reason[:300], raised_at=at,
                            assignee_id=aides.get(region_id), verify_due=due))
    Alert.objects.bulk_create(alerts, batch_size=500)
    made = list(Alert.objects.filter(number__in=[a.number for a in alerts]).values_list("pk", "number", "verify_due",
                                                                                         "town_id", "region_id"))
    Timer.objects.bulk_create([Timer(kind=ALERT.key, case_id=pk, stage="verify", round=1, amount=VERIFY_DAYS,
                                     unit="working_days", calendar=calendars[town].region_code, started_at=at,
                                     due=due, warn_at=_warn(at, due)) for pk, _n, due, town, _r in made],
                              batch_size=500)
    AlertStep.objects.bulk_create([AlertStep(alert_id=pk, action=AlertAction.RAISE, at=at, actor=None,
                                             actor_label=_("系统"), from_status="", to_status=AlertStatus.OPEN,
                                             due=due, note=_("部门数据触发预警")) for pk, _n, due, _t, _r in made],
                                  batch_size=500)
    result.alerts += len(made)
    result.alert_numbers += [n for _p, n, _d, _t, _r in made]
    audit.record(actor=actor, action="create", object_type="assistance.alert", object_id=batch[:40] or "feed",
                 object_repr=_("预警批次"), at=at, after={"source": source, "alerts": [n for _p, n, *_ in made][:200],
                                                      "count": len(made)}, note=_("部门数据触发预警 %(n)d 条") % {
                     "n": len(made)})
    by_region: dict[int, int] = defaultdict(int)
    for _p, _n, _d, _t, rid in made:
        by_region[rid] += 1
    from shanzhi.notify.services import notifications_suppressed, queue

    if not notifications_suppressed():
        for rid, count in by_region.items():
            uid = aides.get(rid)
            if uid:
                text = _("新的救助预警 %(n)d 条，请在 5 个工作日内入户核查") % {"n": count}
                queue(channel="inapp", user_id=uid, title=text, body=text, topic="assistance",
                      link="/assistance/alerts/", object_ref="/assistance/alerts/")


def _warn(start, due):
    from shanzhi.cases.clocks import warn_at

    return warn_at(start, due)


# ------------------------------------------------------------------------------- files in
HEADERS = {
    "external_id": ("结算单号", "来源编号", "单据号", "external_id"),
    "id_number": ("身份证号", "公民身份号码", "id_number"),
    "name": ("姓名", "name"),
    "occurred_on": ("结算日期", "发生日期", "日期", "occurred_on"),
    "total": ("总费用", "医疗总费用", "total"),
    "self_paid": ("个人自付", "自付金额", "个人负担", "self_paid"),
    "hospital": ("医疗机构", "医院", "hospital"),
    "diagnosis": ("诊断", "疾病", "diagnosis"),
}


def read_grid(upload) -> list[list]:
    """The cells of an uploaded .xlsx or .csv, row by row."""
    name = (getattr(upload, "name", "") or "").lower()
    data = upload.read()
    if len(data) > 40 * 1024 * 1024:
        raise ValidationError({"file": ValidationError(_("文件不能超过 40 MB"), code="too_large")})
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 — any broken workbook is the same answer to the user
            raise ValidationError({"file": ValidationError(_("无法读取该 Excel 文件"), code="invalid")}) from None
        grid = [[("" if c is None else c) for c in row] for row in wb.active.iter_rows(values_only=True)]
    elif name.endswith(".csv"):
        text = None
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        if text is None:
            raise ValidationError({"file": ValidationError(_("无法识别 CSV 文件的编码"), code="invalid")})
        grid = list(csv.reader(io.StringIO(text)))
    else:
        raise ValidationError({"file": ValidationError(_("请上传 .xlsx 或 .csv 文件"), code="invalid")})
    if not grid:
        raise ValidationError({"file": ValidationError(_("文件为空"), code="empty")})
    return grid


def read_rows(upload) -> list[dict]:
    """Feed rows of an uploaded .xlsx or .csv with Chinese (or English) headers."""
    grid = read_grid(upload)
    head = [str(h).strip() for h in grid[0]]
    where = {}
    for key, names in HEADERS.items():
        for i, h in enumerate(head):
            if h in names:
                where[key] = i
                break
    missing = [HEADERS[k][0] for k in ("external_id", "id_number", "occurred_on") if k not in where]
    if missing:
        raise ValidationError({"file": ValidationError(_("缺少列：%(c)s") % {"c": "、".join(missing)}, code="invalid")})
    out = []
    for row in grid[1:]:
        if not any(str(c).strip() for c in row):
            continue
        def cell(k, row=row):
            i = where.get(k)
            v = row[i] if i is not None and i < len(row) else ""
            return v.date() if isinstance(v, dt.datetime) else (str(v).strip() if not isinstance(v, dt.date) else v)
        out.append({"external_id": cell("external_id"), "id_number": cell("id_number"), "name": cell("name"),
                    "occurred_on": cell("occurred_on"), "total": cell("total"), "self_paid": cell("self_paid"),
                    "detail": {k: cell(k) for k in ("hospital", "diagnosis") if k in where}})
    return out


# ------------------------------------------------------------------------------- alert moves
def _alert_move(alert_id, action, actor, at, expected_version):
    return open_move(ALERT, alert_id, action, actor=actor, at=at, expected_version=expected_version)


@transaction.atomic
def verify(*, actor, alert_id, present: str, housing: str, findings: str, needs_help: bool,
           expected_version=None, at=None):
    """入户核查: the worker records the visit; the family needs help (verified) or not (dismissed)."""
    from .services import _text

    action = AlertAction.VERIFY if needs_help else AlertAction.DISMISS
    m = _alert_move(alert_id, action, actor, at, expected_version)
    alert = m.case
    findings = _text(findings, "findings", _("核查情况"))
    Visit.objects.create(alert=alert, family_id=alert.family_id or _family_for(actor, alert, m.at).pk, at=m.at,
                         by=actor, present=_text(present, "present", _("在场家庭成员"), limit=200),
                         housing=_text(housing, "housing", _("居住情况"), limit=200), findings=findings)
    alert.finding = findings
    if not needs_help:
        alert.closed_at = m.at
    m.clocks.stop("verify")
    m.finish(note=findings[:400])
    return alert


def _family_for(actor, alert, at):
    from .services import membership, open_family

    existing = membership(alert.person)
    family = existing.family if existing else open_family(actor=actor, head=alert.person, at=at)
    alert.family = family
    return family


@transaction.atomic
def apply(*, actor, alert_id, program, reason: str, expected_version=None, at=None):
    """转为救助申请: the application opens on the family's file, with the alert as its origin."""
    from .services import submit

    m = _alert_move(alert_id, AlertAction.APPLY, actor, at, expected_version)
    alert = m.case
    family = alert.family or _family_for(actor, alert, m.at)
    app = submit(actor=actor, program=program, reason=reason, channel=Channel.ALERT, family=family.pk, alert=alert,
                 at=m.at)
    alert.application = app
    alert.closed_at = m.at
    m.clocks.stop_all()
    m.finish(note=_("转为救助申请 %(n)s（%(p)s）") % {"n": app.number, "p": app.program.name},
             data={"application": app.number})
    return app


@transaction.atomic
def supervise(*, actor, alert_id, note: str, at=None):
    from .services import _text

    m = _alert_move(alert_id, AlertAction.SUPERVISE, actor, at, None)
    note = _text(note, "note", _("督办意见"), limit=400)
    m.finish(note=note)
    _tell(m.case, _("督办：预警 %(n)s — %(t)s") % {"n": m.case.number, "t": note[:60]}, ALERT.url(m.case),
          m.case.region_id)
    return m.case


def alerts(actor):
    return Alert.objects.select_related("person", "family", "rule", "signal", "town", "region",
                                        "assignee").filter(staff_q(actor))


def masked_person(person) -> str:
    return masking.mask_name(person.name)


def reference_check(actor, alert_id):
    if not alerts(actor).filter(pk=alert_id).exists():
        raise references.not_found("alert", _("预警"))


def need_feed(user):
    if not may_feed(user):
        raise PermissionDenied(_("该账号无权报送部门数据"))
