"""Monthly payment lists (发放花名册): built, checked across programs, approved, exported to
the bank, reconciled.

One run builds, for a month, one list per program and town from the active enrolments. Before a
line is added it is checked against every other line of the month: a family paid twice in one
program, or in two programs of the same exclusive group (特困 and 低保 are not paid together), or a
person who is a member of two families both paid in the group, is *held* (暂缓) with the reason,
never paid silently twice. A list still in draft is rebuilt by a new run; an approved list never
changes again except by a recorded correction (who, when, before, after, why).

A run is a few statements per chunk of enrolments, not per line: the county's 60,000
beneficiaries over eight programs are one pass.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.cases.errors import Conflict
from shanzhi.common import audit, crypto, references
from shanzhi.common.money import parse_money

from .kind import COUNTY, TOWN, level, staff_q
from .models import Beneficiary, Correction, Family, Formula, Member, PaymentLine, PaymentList, Program

CHUNK = 5000
# A month's payment to one family (the one-off deep assistance tops out at ¥150,000).
LINE_LIMIT = Decimal("200000")
PER_HEAD = (Formula.GAP, Formula.PER_PERSON, Formula.MONTHS)


def month_of(value) -> dt.date:
    if isinstance(value, dt.date):
        return value.replace(day=1)
    try:
        y, m = str(value or "").strip()[:7].split("-")
        return dt.date(int(y), int(m), 1)
    except (ValueError, TypeError):
        raise ValidationError({"month": ValidationError(_("月份须为 YYYY-MM"), code="invalid")}) from None


def lists(actor):
    return PaymentList.objects.select_related("program", "town").filter(staff_q(actor, region="town"))


def _need(actor, at_most, message):
    lv = level(actor)
    if lv is None or lv > at_most:
        raise PermissionDenied(message)


def run(*, month, actor=None, towns=None, programs=None, at=None) -> dict:
    """Build (or rebuild, while in draft) the month's lists. ``actor`` None is the scheduler."""
    at = at or timezone.now()
    month = month_of(month)
    if actor is not None:
        _need(actor, TOWN, _("须由镇（街道）或县级民政部门生成花名册"))
    enrolled = (Beneficiary.objects.filter(state=Beneficiary.State.ACTIVE, start_month__lte=month)
                .filter(Q(end_month__isnull=True) | Q(end_month__gte=month)))
    if actor is not None:
        enrolled = enrolled.filter(staff_q(actor))
    if towns:
        enrolled = enrolled.filter(town_id__in=list(towns))
    if programs:
        enrolled = enrolled.filter(program_id__in=list(programs))
    by_program = {p.pk: p for p in Program.objects.all()}
    with transaction.atomic():
        pairs = set(enrolled.values_list("program_id", "town_id").distinct())
        existing = {(pl.program_id, pl.town_id): pl for pl in PaymentList.objects.select_for_update().filter(
            month=month, program_id__in={p for p, _ in pairs} or [0])}
        frozen = {k for k, pl in existing.items() if pl.state != PaymentList.State.DRAFT}
        drafts = [pl.pk for k, pl in existing.items() if k in pairs and k not in frozen]
        PaymentLine.objects.filter(plist_id__in=drafts).delete()
        new = [PaymentList(program_id=p, town_id=t, month=month, built_at=at) for p, t in pairs if (p, t) not in existing]
        PaymentList.objects.bulk_create(new, batch_size=500)
        plists = {(pl.program_id, pl.town_id): pl for pl in PaymentList.objects.filter(month=month, program_id__in={
            p for p, _ in pairs} or [0])}
        # What the month already pays: lines of approved lists (kept) are the first claims.
        paid_family: dict[tuple[str, int], str] = {}
        for fam, prog in PaymentLine.objects.filter(month=month, plist__state__in=[
                PaymentList.State.APPROVED, PaymentList.State.RECONCILED]).exclude(
                state__in=[PaymentLine.State.VOID, PaymentLine.State.HELD]).values_list("family_id", "plist__program_id"):
            paid_family[(by_program[prog].exclusive or f"#{prog}", fam)] = by_program[prog].name
        # Who belongs to which family, for the person-level check.
        persons_of: dict[int, list[int]] = defaultdict(list)
        together: dict[int, int] = defaultdict(int)
        for fam, person, lives in Member.objects.filter(family_id__in=enrolled.values("family_id"),
                                                        left_at__isnull=True).values_list("family_id", "person_id",
                                                                                          "lives_together"):
            persons_of[fam].append(person)
            together[fam] += 1 if lives else 0
        # Where the money goes changed lately (payee, bank or account): said beside the line.
        since = min(at, timezone.make_aware(dt.datetime.combine(month, dt.time()))) - dt.timedelta(days=45)
        moved = dict(Family.objects.filter(pk__in=enrolled.values("family_id"), account_changed_at__gte=since)
                     .values_list("pk", "account_changed_at"))
        paid_person: dict[tuple[str, int], int] = {}
        lines, held, count = [], 0, 0
        rows = (enrolled.order_by("program__order", "program_id", "id")
                .values_list("pk", "program_id", "town_id", "family_id", "amount", "family__head__name",
                             "family__payee__name", "family__bank", "family__account_sealed", "members"))
        for pk, prog, town, fam, amount, head, payee, bank, account, members in rows.iterator(chunk_size=CHUNK):
            if (prog, town) in frozen:
                continue
            program = by_program[prog]
            group = program.exclusive or f"#{prog}"
            flag = ""
            if (group, fam) in paid_family:
                flag = _("同月已在「%(p)s」中发放（互斥）") % {"p": paid_family[(group, fam)]}
            else:
                for person in persons_of.get(fam, ()):
                    other = paid_person.get((group, person))
                    if other is not None and other != fam:
                        flag = _("家庭成员同时在另一救助家庭中享受同类救助，请核查")
                        break
            state = PaymentLine.State.HELD if flag else PaymentLine.State.PENDING
            notes = []
            if program.formula in PER_HEAD and members > together.get(fam, 0):
                notes.append(_("按 %(n)d 人保障，现共同生活 %(m)d 人，请复核保障金额") % {
                    "n": members, "m": together.get(fam, 0)})
            if not account:
                notes.append(_("未登记收款账户"))
            if payee and payee != head:
                notes.append(_("代收：收款人 %(p)s 非申请人本人") % {"p": payee})
            if fam in moved:
                notes.append(_("收款人或账户于 %(d)s 变更，请核实") % {"d": f"{timezone.localtime(moved[fam]):%Y-%m-%d}"})
            if state == PaymentLine.State.PENDING:
                paid_family[(group, fam)] = program.name
                for person in persons_of.get(fam, ()):
                    paid_person.setdefault((group, person), fam)
            else:
                held += 1
            lines.append(PaymentLine(plist_id=plists[(prog, town)].pk, beneficiary_id=pk, family_id=fam, month=month,
                                     payee_name=(payee or head)[:50], bank=bank or "", account_sealed=account or "",
                                     amount=amount, state=state, flag="；".join([f for f in (flag, *notes) if f])[:200]))
            count += 1
            if len(lines) >= CHUNK:
                PaymentLine.objects.bulk_create(lines)
                lines = []
        PaymentLine.objects.bulk_create(lines)
        _totals([pl.pk for k, pl in plists.items() if k in pairs and k not in frozen], at)
    audit.record(actor=actor, action="create", object_type="assistance.paymentlist", object_id=f"{month:%Y-%m}",
                 object_repr=_("发放花名册 %(m)s") % {"m": f"{month:%Y-%m}"}, at=at,
                 after={"lists": len(pairs) - len(frozen), "lines": count, "held": held, "kept": len(frozen)})
    return {"month": f"{month:%Y-%m}", "lists": len(pairs) - len(frozen), "lines": count, "held": held,
            "kept": len(frozen)}


def _totals(ids, at=None) -> None:
    """Counts and totals of lists from their lines (held and void lines are not paid)."""
    if not ids:
        return
    figures = {r["plist_id"]: r for r in PaymentLine.objects.filter(plist_id__in=ids).values("plist_id").annotate(
        n=Count("id", filter=~Q(state__in=[PaymentLine.State.VOID, PaymentLine.State.HELD])),
        held=Count("id", filter=Q(state=PaymentLine.State.HELD)),
        paid=Count("id", filter=Q(state=PaymentLine.State.PAID)),
        failed=Count("id", filter=Q(state=PaymentLine.State.FAILED)),
        total=Sum("amount", filter=~Q(state__in=[PaymentLine.State.VOID, PaymentLine.State.HELD])))}
    changed = []
    for pl in PaymentList.objects.filter(pk__in=ids):
        f = figures.get(pl.pk, {})
        pl.lines_count, pl.held = f.get("n", 0), f.get("held", 0)
        pl.paid, pl.failed, pl.total = f.get("paid", 0), f.get("failed", 0), f.get("total") or Decimal(0)
        if at is not None and pl.state == PaymentList.State.DRAFT:
            pl.built_at = at
        changed.append(pl)
    PaymentList.objects.bulk_update(changed, ["lines_count", "held", "paid", "failed", "total", "built_at"])


def _list(actor, plist_id, *, lock=True) -> PaymentList:
    qs = lists(actor)
    if lock:
        qs = qs.select_for_update(of=("self",))
    return references.resolve(qs, field="plist", label=_("发放花名册"), pk=plist_id)


@transaction.atomic
def release(*, actor, line_id, reason: str, plist_id=None, at=None) -> PaymentLine:
    """A held line checked and found right goes back to the list (draft only; once approved, a
    correction)."""
    at = at or timezone.now()
    _need(actor, TOWN, _("须由镇（街道）或县级民政部门核查"))
    lines = PaymentLine.objects.select_for_update().filter(plist__in=lists(actor))
    if plist_id is not None:
        lines = lines.filter(plist_id=references.as_id(plist_id) or 0)
    line = references.resolve(lines, field="line",
                              label=_("发放明细"), pk=line_id)
    if line.plist.state != PaymentList.State.DRAFT:
        raise Conflict(_("花名册已审核，只能通过更正修改"), code="list_approved")
    if line.state != PaymentLine.State.HELD:
        raise Conflict(_("该笔不是暂缓状态"), code="not_allowed_in_state")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError(_("请写明核查结论"), code="required")})
    line.state, line.flag = PaymentLine.State.PENDING, (_("已核查：") + reason)[:200]
    line.save(update_fields=["state", "flag"])
    _totals([line.plist_id])
    audit.record(actor=actor, action="update", obj=line.plist, at=at, note=_("暂缓明细核查后恢复：") + reason[:200],
                 after={"line": line.pk})
    return line


@transaction.atomic
def approve(*, actor, plist_id, expected_version=None, at=None) -> PaymentList:
    at = at or timezone.now()
    _need(actor, COUNTY, _("须由县级民政部门审核花名册"))
    pl = _list(actor, plist_id)
    if expected_version not in (None, "") and str(pl.version) != str(expected_version):
        raise Conflict(_("花名册已被他人处理，请刷新后查看"), code="stale_version")
    if pl.state != PaymentList.State.DRAFT:
        raise Conflict(_("花名册已「%(s)s」") % {"s": pl.get_state_display()}, code="already_done")
    pl.state, pl.approved_at, pl.approved_by = PaymentList.State.APPROVED, at, actor
    pl.version += 1
    pl.save(update_fields=["state", "approved_at", "approved_by", "version", "updated_at"])
    audit.record(actor=actor, action="update", obj=pl, at=at, note=_("审核花名册"),
                 after={"state": pl.state, "lines": pl.lines_count, "total": str(pl.total), "held": pl.held})
    return pl


@transaction.atomic
def correct(*, actor, line_id, reason: str, amount=None, void: bool = False, plist_id=None, at=None) -> Correction:
    """The only change to an approved list: recorded with before, after, who and why."""
    at = at or timezone.now()
    _need(actor, COUNTY, _("须由县级民政部门更正花名册"))
    lines = PaymentLine.objects.select_for_update().filter(plist__in=lists(actor))
    if plist_id is not None:  # the list whose page the correction was made on, and no other
        lines = lines.filter(plist_id=references.as_id(plist_id) or 0)
    line = references.resolve(lines, field="line",
                              label=_("发放明细"), pk=line_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError(_("更正须写明原因"), code="required")})
    if len(reason) > 300:
        raise ValidationError({"reason": ValidationError(_("更正原因不能超过 300 字"), code="too_long")})
    if line.plist.state == PaymentList.State.DRAFT:
        raise Conflict(_("花名册尚未审核，重新生成即可"), code="not_allowed_in_state")
    if line.state in (PaymentLine.State.PAID, PaymentLine.State.VOID):
        raise Conflict(_("该笔已「%(s)s」，不能更正") % {"s": line.get_state_display()}, code="not_allowed_in_state")
    before = {"amount": str(line.amount), "state": line.state}
    if void:
        line.state = PaymentLine.State.VOID
    elif amount is not None:
        value = parse_money(amount, "amount", _("更正后金额"), limit=LINE_LIMIT)
        if value <= 0:
            raise ValidationError({"amount": ValidationError(_("更正后金额须大于 0；不再发放请选择作废"), code="invalid")})
        if value == line.amount:
            raise ValidationError({"amount": ValidationError(_("金额没有变化"), code="unchanged")})
        line.amount = value
        if line.state == PaymentLine.State.HELD:
            line.state = PaymentLine.State.PENDING
    elif line.state == PaymentLine.State.HELD:
        line.state = PaymentLine.State.PENDING  # a held line released after checking
    else:
        raise ValidationError({"amount": ValidationError(_("请填写更正后金额或作废"), code="required")})
    line.save(update_fields=["amount", "state"])
    fix = Correction.objects.create(plist=line.plist, line=line, at=at, by=actor, before=before,
                                    after={"amount": str(line.amount), "state": line.state}, reason=reason)
    _totals([line.plist_id])
    audit.record(actor=actor, action="update", obj=line.plist, at=at, note=_("更正花名册：") + reason[:200],
                 before=before, after=fix.after)
    return fix


# ------------------------------------------------------------------------------- bank files
COLUMNS = ["序号", "明细编号", "收款人", "开户银行", "银行账号", "金额", "摘要"]


def bank_rows(pl: PaymentList):
    """The pending lines as the bank takes them; a name that a spreadsheet would run as a formula
    is defused (the registry's names come from many hands)."""
    from shanzhi.registry.services.tabular import safe_cell

    for i, line in enumerate(pl.lines.filter(state=PaymentLine.State.PENDING).order_by("id"), start=1):
        yield [i, line.pk, safe_cell(line.payee_name), safe_cell(line.bank),
               crypto.unseal(line.account_sealed) if line.account_sealed else "", f"{line.amount:.2f}",
               f"{pl.program.name}{pl.month:%Y年%m月}"]


def export(*, actor, plist_id, fmt: str, ip=None) -> tuple[bytes, str, str]:
    """The bank file of an approved list (xlsx or CSV). Account numbers are in it, so every export
    is audited as a reveal."""
    pl = _list(actor, plist_id, lock=False)
    _need(actor, COUNTY, _("须由县级民政部门导出银行代发文件"))
    if pl.state == PaymentList.State.DRAFT:
        raise Conflict(_("花名册审核后才能导出银行文件"), code="not_approved")
    rows = list(bank_rows(pl))
    name = f"{pl.program.code}-{pl.town.code}-{pl.month:%Y%m}"
    audit.record(actor=actor, action="reveal", obj=pl, ip=ip, note=_("导出银行代发文件（%(n)d 笔）") % {"n": len(rows)})
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(COLUMNS)
        w.writerows(rows)
        return buf.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8", f"{name}.csv"
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(f"{pl.month:%Y%m}")
    ws.append(COLUMNS)
    for r in rows:
        r[4] = str(r[4])  # an account number is text, never a number Excel rounds
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"{name}.xlsx"


@transaction.atomic
def reconcile(*, actor, plist_id, rows, at=None) -> dict:
    """The bank's return file: 明细编号, 结果 (成功/失败), 流水号. Every pending line must be
    answered; an unknown line id is refused and nothing changes."""
    at = at or timezone.now()
    _need(actor, COUNTY, _("须由县级民政部门对账"))
    pl = _list(actor, plist_id)
    if pl.state != PaymentList.State.APPROVED:
        raise Conflict(_("只有已审核、未对账的花名册可以对账"), code="not_allowed_in_state")
    lines = {ln.pk: ln for ln in pl.lines.filter(state=PaymentLine.State.PENDING)}
    errors, answers = [], {}
    for i, r in enumerate(rows, start=2):
        try:
            pk = int(str(r.get("line") or "").strip())
        except ValueError:
            errors.append({"row": i, "message": _("明细编号无效")})
            continue
        ok = str(r.get("result") or "").strip()
        if pk not in lines:
            errors.append({"row": i, "message": _("明细编号 %(n)s 不在本花名册的待发放明细中") % {"n": pk}})
        elif pk in answers:
            errors.append({"row": i, "message": _("明细编号 %(n)s 重复出现，请核对银行回盘文件") % {"n": pk}})
        elif ok not in ("成功", "失败", "success", "failed"):
            errors.append({"row": i, "message": _("结果须为“成功”或“失败”")})
        else:
            answers[pk] = (ok in ("成功", "success"), str(r.get("ref") or "")[:40])
    missing = set(lines) - set(answers)
    if missing and not errors:
        errors.append({"row": 0, "message": _("还有 %(n)d 笔没有银行结果") % {"n": len(missing)}})
    if errors:
        raise ValidationError({"file": ValidationError("；".join(f"第 {e['row']} 行：{e['message']}" if e["row"]
                                                                else e["message"] for e in errors[:20]),
                                                       code="invalid")})
    for pk, (ok, ref) in answers.items():
        ln = lines[pk]
        ln.state, ln.bank_ref = (PaymentLine.State.PAID if ok else PaymentLine.State.FAILED), ref
    PaymentLine.objects.bulk_update(list(lines.values()), ["state", "bank_ref"], batch_size=1000)
    pl.state, pl.reconciled_at = PaymentList.State.RECONCILED, at
    pl.version += 1
    pl.save(update_fields=["state", "reconciled_at", "version", "updated_at"])
    _totals([pl.pk])
    pl.refresh_from_db()
    audit.record(actor=actor, action="update", obj=pl, at=at, note=_("银行对账"),
                 after={"paid": pl.paid, "failed": pl.failed})
    return {"paid": pl.paid, "failed": pl.failed}


def read_bank_return(upload) -> list[dict]:
    from .feed import read_grid

    grid = read_grid(upload)
    head = [str(h).strip() for h in grid[0]]
    try:
        i_line, i_res = head.index("明细编号"), head.index("结果")
    except ValueError:
        raise ValidationError({"file": ValidationError(_("银行回盘文件须有“明细编号”和“结果”两列"), code="invalid")}) \
            from None
    i_ref = head.index("流水号") if "流水号" in head else None
    return [{"line": r[i_line] if i_line < len(r) else "", "result": r[i_res] if i_res < len(r) else "",
             "ref": r[i_ref] if i_ref is not None and i_ref < len(r) else ""}
            for r in grid[1:] if any(str(c).strip() for c in r)]
