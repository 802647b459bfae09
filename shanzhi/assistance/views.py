"""Social assistance pages: the desk, household files, applications with the means test shown
line by line, alerts, payment lists, the catalog with its standards, the feed import, and the
village's public notice board (公示)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanzhi.accounts.roles import Role
from shanzhi.cases.errors import Conflict
from shanzhi.cases.kinds import offered
from shanzhi.common import masking, params
from shanzhi.common.errors import error_text
from shanzhi.common.jurisdiction import scope_for
from shanzhi.common.ratelimit import client_ip, hit, limit_by_ip

from . import feed, payments, services
from .figures import coverage
from .kind import ALERT, ASSISTANCE, COUNTY, TOWN, in_staff_scope, level, staff_q
from .models import (
    Alert,
    Asset,
    AssistApplication,
    Beneficiary,
    Channel,
    Expense,
    Family,
    Income,
    Klass,
    Member,
    PaymentLine,
    PaymentList,
    Program,
    Signal,
    Standard,
)
from .states import Action, AlertStatus, Status

CTX = {"active": "assistance"}


def _staff(request) -> int:
    lv = level(request.user)
    if lv is None:
        raise Http404  # to anyone else the desk does not exist
    return lv


def _fail(exc) -> tuple[int, str]:
    if isinstance(exc, ValidationError):
        return 400, error_text(exc)
    if isinstance(exc, Conflict):
        return 409, str(exc)
    return 403, str(exc) or _("无权执行此操作")


ERRORS = (ValidationError, Conflict, PermissionDenied)


# ------------------------------------------------------------------------------- desk
@login_required
def desk(request):
    lv = _staff(request)
    user = request.user
    apps = AssistApplication.objects.filter(staff_q(user))
    queues = [(label, qs[:8], qs.count()) for label, qs in ASSISTANCE.work(user) + ALERT.work(user)]
    today = timezone.localdate()
    month = today.replace(day=1)
    figures = {
        "families": Family.objects.filter(staff_q(user)).count(),
        "open": apps.filter(status__in=[Status.SUBMITTED, Status.REVIEWING, Status.NOTICE, Status.CONFIRMING]).count(),
        "alerts_open": Alert.objects.filter(staff_q(user), status=AlertStatus.OPEN).count(),
        "overdue": apps.filter(Q(intake_due__lt=timezone.now(), status=Status.SUBMITTED)
                               | Q(review_due__lt=timezone.now(), status=Status.REVIEWING)
                               | Q(confirm_due__lt=timezone.now(), status=Status.CONFIRMING)).count(),
        "month_total": PaymentList.objects.filter(staff_q(user, region="town"), month=month).aggregate(
            t=Sum("total"))["t"] or 0,
    }
    return render(request, "assistance/desk.html", {
        **CTX, "queues": queues, "figures": figures, "level": lv, "month": month,
        "by_class": coverage(user)["by_class"],  # a family once per class, as the command center counts
        "recent": apps.select_related("program", "family__head", "region").order_by("-submitted_at")[:10]})


# ------------------------------------------------------------------------------- families
@login_required
def family_list(request):
    _staff(request)
    qs = services.families(request.user).annotate(n=Count("members", filter=Q(members__left_at__isnull=True)))
    q = (request.GET.get("q") or "").strip()[:50]
    if q:
        qs = qs.filter(Q(head__name__contains=q) | Q(number=q.upper()))
    group = request.GET.get("group", "")
    if group:
        qs = qs.filter(group=group)
    from .models import Group

    return render(request, "assistance/families.html", {
        **CTX, "families": qs.order_by("-changed_at", "-id")[:200], "q": q, "group": group, "groups": Group.choices,
        "total": qs.count()})


@login_required
def family_new(request):
    _staff(request)
    error, f = "", request.POST
    if request.method == "POST":
        try:
            person = services.find_person(request.user, id_number=f.get("id_number", ""), name=f.get("name", ""))
            family = services.open_family(actor=request.user, head=person, needs=f.get("needs", ""),
                                          address=f.get("address", ""))
            return redirect("assistance:family", pk=family.pk)
        except ERRORS as exc:
            status, error = _fail(exc)
            return render(request, "assistance/family_new.html", {**CTX, "error": error, "f": f}, status=status)
    return render(request, "assistance/family_new.html", {**CTX, "f": {}})


def _timeline(family: Family, lists: bool = True):
    """Every assessment, application step, payment and alert of the family, newest first."""
    events = []
    for a in family.assessments.select_related("program", "by"):
        events.append((a.at, _("经济状况核对"), f"{a.program.name}：{a.lines[-1]['value'] if a.lines else ''}",
                       f"/assistance/applications/{a.application_id}/#assessment-{a.pk}" if a.application_id else ""))
    from .models import AssistStep

    for s in AssistStep.objects.filter(application__family=family).select_related("application__program"):
        events.append((s.at, s.get_action_display(), f"{s.application.program.name} {s.application.number}：{s.note}"[:160],
                       f"/assistance/applications/{s.application_id}/"))
    for ln in PaymentLine.objects.filter(family=family).select_related("plist__program").order_by("-month")[:36]:
        events.append((timezone.make_aware(dt.datetime.combine(ln.month, dt.time(8))), _("救助金发放"),
                       f"{ln.plist.program.name} {ln.month:%Y-%m} ¥{ln.amount} · {ln.get_state_display()}",
                       f"/assistance/payments/{ln.plist_id}/" if lists else ""))
    from shanzhi.common.models import AuditLog

    # Changes to the file itself (members leaving, the payee or account, documents) from the audit.
    changes = AuditLog.objects.filter(object_type="assistance.family", object_id=str(family.pk), action="update") \
        .exclude(note__startswith="上传材料").select_related("actor").order_by("-at")[:60]
    for row in changes:
        events.append((row.at, _("档案变更"), f"{row.note} · {row.actor or _('系统')}"[:160], ""))
    for d in family.documents.all():
        events.append((d.uploaded_at, _("上传材料"), d.title, f"/assistance/families/{family.pk}/documents/{d.pk}/"))
    for al in family.alerts.all():
        events.append((al.raised_at, _("预警"), f"{al.number} {al.reason}"[:160], f"/assistance/alerts/{al.pk}/"))
    events.sort(key=lambda e: e[0], reverse=True)
    return events[:150]


@login_required
def family_detail(request, pk: int, error: str = "", status: int = 200, form=None):
    _staff(request)
    family = services.families(request.user).filter(pk=pk).first()
    if family is None:
        raise Http404
    members = list(family.members.select_related("person").order_by("left_at", "id"))
    return render(request, "assistance/family.html", {
        **CTX, "fam": family, "members": members,
        "current": [m for m in members if m.left_at is None],
        "incomes": family.incomes.select_related("member__person").order_by("-end")[:60],
        "assets": family.assets.all(), "expenses": family.expenses.select_related("member__person")[:60],
        "applications": family.applications.select_related("program").order_by("-submitted_at"),
        "enrolments": family.enrolments.select_related("program").order_by("-start_month"),
        "documents": family.documents.select_related("uploaded_by"),
        "timeline": _timeline(family, lists=level(request.user) <= TOWN), "error": error, "f": form or {},
        "income_kinds": Income.Kind.choices, "asset_kinds": Asset.Kind.choices, "expense_kinds": Expense.Kind.choices,
        "work_choices": Member.Work.choices, "programs": services.programs(), "can_stop": level(request.user) <= TOWN,
        "pending": family.account_pending or None, "can_confirm": level(request.user) <= TOWN and
        (family.account_pending or {}).get("by") != request.user.pk,
        "channels": [c for c in Channel.choices if c[0] != Channel.ALERT]}, status=status)


FAMILY_FORMS = {
    "member": lambda r, pk, f: services.add_member(
        actor=r.user, family_id=pk, id_number=f.get("id_number", ""), name=f.get("name", ""),
        relation=f.get("relation", ""), work=f.get("work", "able"), lives_together=f.get("lives_together") != "0",
        health=f.get("health", ""), disability=f.get("disability", ""), expected_version=f.get("version")),
    "leave": lambda r, pk, f: services.remove_member(actor=r.user, family_id=pk, member_id=f.get("member"),
                                                     reason=f.get("reason", "")),
    "income": lambda r, pk, f: services.add_income(
        actor=r.user, family_id=pk, kind=f.get("kind", ""), start=f.get("start"), end=f.get("end"),
        amount=f.get("amount"), member=f.get("member") or None, note=f.get("note", "")),
    "asset": lambda r, pk, f: services.add_asset(actor=r.user, family_id=pk, kind=f.get("kind", ""),
                                                 value=f.get("value"), note=f.get("note", "")),
    "expense": lambda r, pk, f: services.add_expense(
        actor=r.user, family_id=pk, kind=f.get("kind", ""), incurred_on=f.get("incurred_on"), total=f.get("total"),
        self_paid=f.get("self_paid"), member=f.get("member") or None, note=f.get("note", "")),
    "info": lambda r, pk, f: services.update_family(
        actor=r.user, family_id=pk, needs=f.get("needs"), address=f.get("address"), payee=f.get("payee") or None,
        bank=f.get("bank"), account=f.get("account") or None, expected_version=f.get("version")),
    "account": lambda r, pk, f: services.confirm_account(actor=r.user, family_id=pk, approve=f.get("approve") == "1",
                                                         reason=f.get("reason", ""), expected_version=f.get("version")),
    "apply": lambda r, pk, f: services.submit(actor=r.user, family=pk, program=f.get("program"),
                                              reason=f.get("reason", ""), channel=f.get("channel", "counter")),
    "document": lambda r, pk, f: services.add_document(actor=r.user, family_id=pk, title=f.get("title", ""),
                                                       upload=r.FILES.get("file")),
    "stop": lambda r, pk, f: services.set_enrolment(actor=r.user, beneficiary_id=f.get("beneficiary"),
                                                    stop=f.get("stop") == "1", reason=f.get("reason", "")),
}


@login_required
@require_POST
def family_act(request, pk: int, form: str):
    _staff(request)
    if form not in FAMILY_FORMS or not services.families(request.user).filter(pk=pk).exists():
        raise Http404
    try:
        made = FAMILY_FORMS[form](request, pk, request.POST)
    except ERRORS as exc:
        status, error = _fail(exc)
        return family_detail(request, pk, error=error, status=status, form={"name": form, **request.POST.dict()})
    if form == "apply":
        return redirect("assistance:application", pk=made.pk)
    return redirect(f"/assistance/families/{pk}/#{'info' if form == 'account' else form}")


@login_required
def family_document(request, pk: int, doc: int):
    """A document of a household file, only to those who may see the file (never from the web root)."""
    _staff(request)
    from .models import FamilyDocument

    row = FamilyDocument.objects.filter(pk=doc, family__in=services.families(request.user), family_id=pk).first()
    if row is None or not row.file:
        raise Http404
    response = FileResponse(row.file.open("rb"), content_type=row.content_type or "application/octet-stream")
    response["Content-Disposition"] = f'inline; filename="{row.file.name.rsplit("/", 1)[-1]}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ------------------------------------------------------------------------------- applications
@login_required
def application_list(request):
    _staff(request)
    qs = AssistApplication.objects.filter(staff_q(request.user)).select_related("program", "family__head", "region")
    status = request.GET.get("status", "")
    if status in Status.values:
        qs = qs.filter(status=status)
    program = request.GET.get("program", "")
    if program.isdigit():
        qs = qs.filter(program_id=int(program))
    counts = dict(AssistApplication.objects.filter(staff_q(request.user)).values_list("status").annotate(n=Count("id")))
    return render(request, "assistance/applications.html", {
        **CTX, "apps": qs.order_by("-submitted_at")[:200], "status": status, "statuses": [
            (v, lbl, counts.get(v, 0)) for v, lbl in Status.choices], "programs": services.programs(),
        "program": program})


@login_required
def application_detail(request, pk: int, error: str = "", status: int = 200):
    app = ASSISTANCE.visible(request.user).filter(pk=pk).first()
    if app is None:
        raise Http404
    if level(request.user) is None or not in_staff_scope(request.user, app.region_id):  # the applicant (or the clerk who submitted it) sees where it stands, not the file
        return render(request, "assistance/application_public.html", {
            **CTX, "a": app, "steps": app.steps.order_by("at", "id")}, status=status)
    assessments = list(app.assessments.select_related("standard__region", "by").order_by("-at", "-id"))
    family = app.family
    return render(request, "assistance/application.html", {
        **CTX, "a": app, "fam": family, "steps": app.steps.select_related("actor").order_by("at", "id"),
        "assessments": assessments, "latest": assessments[0] if assessments else None,
        "stale": bool(assessments and family.changed_at and assessments[0].at < family.changed_at),
        "visits": app.visits.select_related("by"), "objections": app.objections.all(),
        "offered": offered(ASSISTANCE, request.user, app), "error": error, "now": timezone.now(),
        "members": family.members.filter(left_at__isnull=True).select_related("person")}, status=status)


APP_FORMS = {
    Action.ACCEPT: lambda r, c: services.accept(**c, note=r.POST.get("note", "")),
    Action.NOT_ACCEPT: lambda r, c: services.not_accept(**c, reason=r.POST.get("reason", "")),
    Action.VISIT: lambda r, c: services.record_visit(
        actor=c["actor"], case_id=c["case_id"], present=r.POST.get("present", ""), housing=r.POST.get("housing", ""),
        findings=r.POST.get("findings", ""), companions=r.POST.get("companions", ""), lon=r.POST.get("lon"),
        lat=r.POST.get("lat")),
    Action.ASSESS: lambda r, c: services.run_assessment(actor=c["actor"], case_id=c["case_id"]),
    Action.PROPOSE: lambda r, c: services.propose(**c, note=r.POST.get("note", "")),
    Action.OBJECT: lambda r, c: services.record_objection(actor=c["actor"], case_id=c["case_id"],
                                                          text=r.POST.get("text", "")),
    Action.ANSWER: lambda r, c: services.answer_objection(
        actor=c["actor"], case_id=c["case_id"], objection_id=r.POST.get("objection"), answer=r.POST.get("answer", ""),
        upheld=r.POST.get("upheld") == "1"),
    Action.NOTICE_END: lambda r, c: services.notice_end(**c),
    Action.CONFIRM: lambda r, c: services.confirm(**c, note=r.POST.get("note", "")),
    Action.REFUSE: lambda r, c: services.refuse(**c, reason=r.POST.get("reason", "")),
    Action.WITHDRAW: lambda r, c: services.withdraw(**c, reason=r.POST.get("reason", "")),
    Action.SUPERVISE: lambda r, c: services.supervise(actor=c["actor"], case_id=c["case_id"],
                                                      note=r.POST.get("note", "")),
}


@login_required
@require_POST
def application_act(request, pk: int, action: str):
    if action not in APP_FORMS or not ASSISTANCE.visible(request.user).filter(pk=pk).exists():
        raise Http404
    common = {"actor": request.user, "case_id": pk, "expected_version": params.version(request.POST.get("version"))}
    try:
        APP_FORMS[action](request, common)
    except ERRORS as exc:
        status, error = _fail(exc)
        return application_detail(request, pk, error=error, status=status)
    return redirect(f"/assistance/applications/{pk}/#action-panel")


@login_required
def apply(request):
    """Apply online (a resident, for themself) or, for staff, on someone's behalf."""
    roles = set(scope_for(request.user).roles)
    resident = not request.user.is_superuser and roles <= {Role.CITIZEN}
    staff_ok = level(request.user) is not None or bool(roles & {Role.WINDOW_CLERK, Role.GRID_WORKER,
                                                                  Role.GRID_CHIEF})
    if not (resident or staff_ok):
        raise Http404
    ctx = {**CTX, "programs": services.programs().order_by("order"), "resident": resident, "f": {},
           "channels": [c for c in Channel.choices if c[0] not in (Channel.ALERT, Channel.ONLINE)]}
    if request.method == "POST":
        f = request.POST
        if resident and not hit(f"assist-apply:{request.user.pk}", limit=10, window=3600):
            return render(request, "assistance/apply.html", {**ctx, "f": f, "error": _(
                "一小时内最多提交 10 次，请一小时后再试；也可到村（社区）或镇（街道）一门受理窗口申请")},
                          status=429)
        try:
            app = services.submit(actor=request.user, program=f.get("program"), reason=f.get("reason", ""),
                                  channel=Channel.ONLINE if resident else f.get("channel", Channel.COUNTER),
                                  id_number=f.get("id_number", ""), name=f.get("name", ""))
        except ERRORS as exc:
            status, error = _fail(exc)
            return render(request, "assistance/apply.html", {**ctx, "f": f, "error": error}, status=status)
        return redirect("assistance:application", pk=app.pk)
    return render(request, "assistance/apply.html", ctx)


@login_required
def my_applications(request):
    apps = AssistApplication.objects.filter(submitted_by=request.user).select_related("program").order_by(
        "-submitted_at")[:50]
    return render(request, "assistance/mine.html", {**CTX, "apps": apps})


# ------------------------------------------------------------------------------- alerts
@login_required
def alert_list(request):
    _staff(request)
    qs = feed.alerts(request.user)
    status = request.GET.get("status", "open")
    if status in AlertStatus.values:
        qs = qs.filter(status=status)
    counts = dict(feed.alerts(request.user).values_list("status").annotate(n=Count("id")))
    return render(request, "assistance/alerts.html", {
        **CTX, "alerts": qs.order_by("verify_due", "-raised_at")[:200], "status": status, "now": timezone.now(),
        "statuses": [(v, lbl, counts.get(v, 0)) for v, lbl in AlertStatus.choices]})


@login_required
def alert_detail(request, pk: int, error: str = "", status: int = 200):
    _staff(request)
    alert = feed.alerts(request.user).filter(pk=pk).first()
    if alert is None:
        raise Http404
    signals = Signal.objects.filter(person=alert.person, source=alert.signal.source).order_by("-occurred_on")[:20]
    offered = [a for a, m in ALERT.moves.items() if not m.system_only and alert.status in m.sources]
    return render(request, "assistance/alert.html", {
        **CTX, "al": alert, "steps": alert.steps.order_by("at", "id"), "signals": signals, "offered": offered,
        "programs": services.programs(), "visits": alert.visits.select_related("by"), "error": error,
        "now": timezone.now(), "person_masked": masking.mask_name(alert.person.name)}, status=status)


@login_required
@require_POST
def alert_act(request, pk: int, action: str):
    _staff(request)
    if not feed.alerts(request.user).filter(pk=pk).exists():
        raise Http404
    f, v = request.POST, params.version(request.POST.get("version"))
    try:
        if action in ("verify", "dismiss"):
            feed.verify(actor=request.user, alert_id=pk, present=f.get("present", ""), housing=f.get("housing", ""),
                        findings=f.get("findings", ""), needs_help=action == "verify", expected_version=v)
        elif action == "apply":
            app = feed.apply(actor=request.user, alert_id=pk, program=f.get("program"), reason=f.get("reason", ""),
                             expected_version=v)
            return redirect("assistance:application", pk=app.pk)
        elif action == "supervise":
            feed.supervise(actor=request.user, alert_id=pk, note=f.get("note", ""))
        else:
            raise Http404
    except ERRORS as exc:
        status, error = _fail(exc)
        return alert_detail(request, pk, error=error, status=status)
    return redirect(f"/assistance/alerts/{pk}/")


@login_required
def signal_import(request):
    """Upload a department's file (xlsx/CSV): per-row errors, duplicates counted once."""
    lv = _staff(request)
    if lv > TOWN:
        raise Http404
    ctx = {**CTX, "sources": Signal.Source.choices, "recent": Signal.objects.filter(
        staff_q(request.user, region="family__region") | Q(family__isnull=True) if lv == COUNTY else staff_q(
            request.user, region="family__region")).values("batch", "source").annotate(
        n=Count("id")).order_by("-batch")[:10]}
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ValidationError({"file": ValidationError(_("请选择文件"), code="required")})
            rows = feed.read_rows(upload)
            batch = f"IMP-{timezone.localtime():%Y%m%d%H%M%S}-{request.user.pk}"
            result = feed.ingest(rows, source=request.POST.get("source", ""), via="import", batch=batch,
                                 actor=request.user)
        except ERRORS as exc:
            status, error = _fail(exc)
            return render(request, "assistance/import.html", {**ctx, "error": error}, status=status)
        return render(request, "assistance/import.html", {**ctx, "result": result})
    return render(request, "assistance/import.html", ctx)


# ------------------------------------------------------------------------------- payments
@login_required
def payment_lists(request):
    lv = _staff(request)
    qs = payments.lists(request.user)
    month = request.GET.get("month", "")
    try:
        month_d = payments.month_of(month) if month else None
    except ValidationError:
        month_d = None
    months = list(qs.values_list("month", flat=True).distinct().order_by("-month")[:12])
    month_d = month_d or (months[0] if months else timezone.localdate().replace(day=1))
    rows = qs.filter(month=month_d).order_by("program__order", "town__code")
    totals = rows.aggregate(n=Sum("lines_count"), t=Sum("total"), h=Sum("held"))
    return render(request, "assistance/payments.html", {
        **CTX, "lists": rows, "month": month_d, "months": months, "totals": totals, "level": lv,
        "county": lv == COUNTY, "town_up": lv <= TOWN,
        "next_month": services.next_month(timezone.localdate()), "error": request.GET.get("error", "")[:200]})


@login_required
@require_POST
def payment_run(request):
    lv = _staff(request)
    if lv > TOWN:
        raise Http404
    try:
        payments.run(month=request.POST.get("month", ""), actor=request.user)
    except ERRORS as exc:
        status, error = _fail(exc)
        return render(request, "assistance/refused.html", {**CTX, "error": error}, status=status)
    return redirect(f"/assistance/payments/?month={request.POST.get('month', '')[:7]}")


@login_required
def payment_detail(request, pk: int, error: str = "", status: int = 200):
    lv = _staff(request)
    pl = payments.lists(request.user).filter(pk=pk).first()
    if pl is None:
        raise Http404
    lines = pl.lines.select_related("family__region").order_by("state", "id")
    state = request.GET.get("state", "")
    if state in PaymentLine.State.values:
        lines = lines.filter(state=state)
    return render(request, "assistance/payment.html", {
        **CTX, "pl": pl, "lines": lines[:500], "level": lv, "county": lv == COUNTY, "town_up": lv <= TOWN,
        "error": error, "state": state,
        "states": PaymentLine.State.choices, "state_labels": dict(PaymentLine.State.choices),
        "corrections": pl.corrections.select_related("by", "line")}, status=status)


@login_required
@require_POST
def payment_act(request, pk: int, action: str):
    _staff(request)
    if not payments.lists(request.user).filter(pk=pk).exists():
        raise Http404
    f = request.POST
    try:
        if action == "approve":
            payments.approve(actor=request.user, plist_id=pk, expected_version=f.get("version"))
        elif action == "release":
            payments.release(actor=request.user, line_id=f.get("line"), reason=f.get("reason", ""), plist_id=pk)
        elif action == "correct":
            payments.correct(actor=request.user, line_id=f.get("line"), reason=f.get("reason", ""),
                             amount=f.get("amount") or None, void=f.get("void") == "1", plist_id=pk)
        elif action == "reconcile":
            upload = request.FILES.get("file")
            if upload is None:
                raise ValidationError({"file": ValidationError(_("请选择银行回盘文件"), code="required")})
            payments.reconcile(actor=request.user, plist_id=pk, rows=payments.read_bank_return(upload))
        else:
            raise Http404
    except ERRORS as exc:
        status, error = _fail(exc)
        return payment_detail(request, pk, error=error, status=status)
    return redirect("assistance:payment", pk=pk)


@login_required
def payment_export(request, pk: int, fmt: str):
    _staff(request)
    try:
        data, ctype, name = payments.export(actor=request.user, plist_id=pk, fmt=fmt, ip=client_ip(request))
    except ERRORS as exc:
        status, error = _fail(exc)
        return payment_detail(request, pk, error=error, status=status if status != 400 else 404)
    response = HttpResponse(data, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# ------------------------------------------------------------------------------- catalog
@login_required
def catalog(request):
    _staff(request)
    programs = Program.objects.order_by("order")
    counts = dict(Beneficiary.objects.filter(staff_q(request.user), state=Beneficiary.State.ACTIVE)
                  .values_list("program").annotate(n=Count("id")))
    klass = dict(Klass.choices)
    groups = []
    for k, label in Klass.choices:
        items = [(p, counts.get(p.pk, 0)) for p in programs if p.klass == k]
        groups.append((label, items))
    standards = Standard.objects.select_related("region").order_by("code", "region__path", "-effective_from")
    return render(request, "assistance/catalog.html", {**CTX, "groups": groups, "standards": standards,
                                                       "klass": klass, "n": programs.count()})


# ------------------------------------------------------------------------------- public notice
@limit_by_ip("assist-notice", limit=120, methods=("GET",), signed_in_exempt=True)
def notice_board(request, code: str):
    """公示: the applications on notice in a village — masked name, household size, item and amount;
    no ID number, phone, address or reason. Objections go to the village or the town."""
    from shanzhi.geo.models import Region

    village = Region.objects.filter(code=code, level=Region.Level.VILLAGE).select_related("parent").first()
    if village is None:
        raise Http404
    now = timezone.now()
    rows = (AssistApplication.objects.filter(region=village, status=Status.NOTICE, notice_until__gt=now)
            .select_related("program", "family__head", "assessment").order_by("notice_from"))
    items = [{"name": masking.mask_name(a.family.head.name), "members": a.assessment.members if a.assessment else "",
              "program": a.program.name, "benefit": a.benefit, "from": a.notice_from, "until": a.notice_until,
              "number": a.number} for a in rows]
    return render(request, "assistance/notice_board.html", {"village": village, "items": items, "now": now})
