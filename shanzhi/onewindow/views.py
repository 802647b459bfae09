"""One window pages: the public guide and certificate verification, the window (clerks and
reviewers), and the online hall (residents and companies)."""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanzhi.accounts.roles import Role
from shanzhi.cases.errors import Conflict
from shanzhi.common import params, references
from shanzhi.common.errors import error_fields, error_text
from shanzhi.common.jurisdiction import scope_for
from shanzhi.common.ratelimit import client_ip, limit_by_ip
from shanzhi.geo.models import Region

from .kind import APPLICATION, WINDOW, _roles
from .models import Application, Certificate, Channel, ServiceItem, SubmittedMaterial
from .services import applications as svc
from .services import certificates
from .states import MOVES, Status

PAGE = 30


# --------------------------------------------------------------------------- public: the guide
def _items():
    return ServiceItem.objects.filter(level=ServiceItem.Level.HANDLING, is_active=True).select_related("department")


@limit_by_ip("guide", limit=120, methods=("GET",))
def guide(request):
    """办事指南: the searchable catalog, open to everyone."""
    q = request.GET.get("q", "").strip()[:40]
    kind = request.GET.get("type", "")
    qs = _items()
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(keywords__contains=q) | Q(department__name__contains=q) | Q(code=q))
    if kind in dict(ServiceItem._meta.get_field("item_type").choices):
        qs = qs.filter(item_type=kind)
    page = Paginator(qs.order_by("name", "code"), PAGE).get_page(request.GET.get("page"))
    return render(request, "onewindow/guide.html", {
        "page": page, "q": q, "type": kind, "types": ServiceItem._meta.get_field("item_type").choices,
        "total": qs.count(), "active": "window"})


@limit_by_ip("guide", limit=120, methods=("GET",))
def guide_item(request, code: str):
    item = _items().filter(code=code).prefetch_related("materials", "review_steps__department").first()
    if item is None:
        raise Http404
    return render(request, "onewindow/guide_item.html", {"item": item, "active": "window"})


# --------------------------------------------------------------------------- public: verification
@limit_by_ip("verify", limit=60, methods=("GET",))
def verify(request, number: str):
    """核验: anyone holding the number (or the QR code) checks a certificate."""
    cert = Certificate.objects.select_related("key", "issuer").filter(number=number[:40]).first()
    if cert is None:
        raise Http404
    ok, why = certificates.verify(cert)
    return render(request, "onewindow/verify.html", {"cert": cert, "ok": ok, "why": why,
                                                     "shown": certificates.public_view(cert)})


@limit_by_ip("verify", limit=60, methods=("GET",))
def verify_qr(request, number: str):
    import segno

    cert = Certificate.objects.filter(number=number[:40]).first()
    if cert is None:
        raise Http404
    buf = io.BytesIO()
    segno.make(request.build_absolute_uri(f"/verify/{cert.number}/"), error="m").save(buf, kind="svg", scale=4)
    return HttpResponse(buf.getvalue(), content_type="image/svg+xml")


@limit_by_ip("verify-copy", limit=20)
def verify_copy(request):
    """Check a copy someone hands in: its content and signature as they are on the copy."""
    import json

    result = None
    if request.method == "POST":
        try:
            raw = request.POST.get("document", "")
            if len(raw) > 20_000:  # a certificate file is a few hundred characters
                raise ValueError("too long")
            data = json.loads(raw)
            cert = Certificate.objects.select_related("key").filter(number=str(data["payload"]["number"])[:40]).first()
            if cert is None:
                result = (False, _("证照编号不存在"))
            else:
                result = certificates.verify(cert, payload=data["payload"], signature=str(data["signature"]))
        except (ValueError, KeyError, TypeError, RecursionError):
            result = (False, _("无法识别的证照文件"))
    return render(request, "onewindow/verify_copy.html", {"result": result}, status=200)


# --------------------------------------------------------------------------- the window
@login_required
def window(request):
    """The window's list: the applications of this hall (and those under a department's review)."""
    roles = _roles(request.user)
    if not roles & (WINDOW | {Role.DEPT_HANDLER, Role.TOWN_LEADER, Role.COUNTY_LEADER}):
        # Residents, companies and village agents follow what they filed in the hall.
        return redirect("onewindow:hall")
    qs = APPLICATION.visible(request.user).select_related("item", "town")
    status = request.GET.get("status", "")
    if status in Status.values:
        qs = qs.filter(status=status)
    q = request.GET.get("q", "").strip()[:40]
    if q:
        qs = qs.filter(Q(number__contains=q) | Q(applicant_name__contains=q) | Q(item__name__contains=q))
    page = Paginator(qs.order_by("-submitted_at", "-id"), PAGE).get_page(request.GET.get("page"))
    counts = {s: APPLICATION.visible(request.user).filter(status=s).count()
              for s in (Status.SUBMITTED, Status.CORRECTING, Status.REVIEWING, Status.COMPLETED)}
    return render(request, "onewindow/window.html", {
        "page": page, "status": status, "q": q, "statuses": Status.choices, "counts": counts,
        "can_take": bool(_roles(request.user) & WINDOW), "now": timezone.now(), "active": "window"})


def _halls(actor):
    scope = scope_for(actor)
    towns = Region.objects.filter(level=Region.Level.TOWN).order_by("code")
    return towns if scope.unrestricted else towns.filter(pk__in=scope.region_ids)


@login_required
def window_new(request):
    """Taking in an application at the window (or for a resident, as an agent)."""
    roles = _roles(request.user)
    if not roles & (WINDOW | {Role.GRID_WORKER, Role.GRID_CHIEF, Role.CIVIL_AFFAIRS}):
        raise PermissionDenied
    item = _items().filter(code=request.GET.get("item") or request.POST.get("item_code") or "").first()
    errors, values = {}, {}
    agent = not roles & WINDOW
    halls = _halls(request.user) if not agent else _agent_halls(request.user)
    if request.method == "POST" and item:
        values = request.POST.dict()
        materials = {}
        for m in item.materials.all():
            upload = request.FILES.get(f"file_{m.pk}")
            if upload:
                materials[m.pk] = upload
            elif request.POST.get(f"paper_{m.pk}"):
                materials[m.pk] = "paper"
        try:
            application = svc.application_submit(
                actor=request.user, item=item.pk, applicant_name=values.get("applicant_name", ""),
                town=references.resolve(halls, field="town", label=_("受理地"), pk=request.POST.get("town")).pk,
                applicant_id=values.get("applicant_id", ""), applicant_kind=values.get("applicant_kind", "person"),
                contact_phone=values.get("contact_phone", ""), channel=Channel.AGENT if agent else Channel.WINDOW,
                materials=materials, home_visit=bool(values.get("home_visit")))
        except ValidationError as exc:
            errors = error_fields(exc)
        else:
            return redirect("onewindow:detail", pk=application.pk)
    return render(request, "onewindow/new.html", {
        "item": item, "errors": errors, "v": values, "halls": halls, "agent": agent,
        "items": _items().order_by("name")[:400] if item is None else [], "active": "window"},
        status=400 if errors else 200)


def _agent_halls(actor):
    """An agent (a village service center's grid staff) files at the hall of their own town."""
    scope = scope_for(actor)
    from shanzhi.geo.models import Grid

    towns = set(Grid.objects.filter(pk__in=scope.grid_ids).values_list("town_id", flat=True))
    towns |= set(Region.objects.filter(pk__in=scope.region_ids, level=Region.Level.TOWN).values_list("pk", flat=True))
    return Region.objects.filter(pk__in=towns).order_by("code")


PANEL = ["accept", "request_correction", "refuse", "review", "suspend", "resume", "grant", "deny", "deliver",
         "resubmit", "withdraw"]


def _offered(user, action, application) -> bool:
    if application.status not in MOVES[action].sources:
        return False
    if action == "review" and not _may_review_now(user, application):
        return False
    try:
        APPLICATION.permit(user, action, application)
    except PermissionDenied:
        return False
    return True


def _may_review_now(user, application) -> bool:
    """A department sees the opinion form only while a review of its own is pending."""
    from .models import Review

    scope = scope_for(user)
    pending = application.reviews.filter(state=Review.State.PENDING)
    if scope.unrestricted or Role.BACKOFFICE_REVIEWER in scope.roles:
        return pending.exists()
    return pending.filter(department_id__in=scope.department_ids).exists()


def _detail_context(request, application):
    return {
        "a": application, "steps": application.steps.select_related("department").order_by("at", "id"),
        "materials": application.materials.select_related("material", "certificate"),
        "required": _with_earlier(application.item.materials.all(), svc.earlier_materials(application, request.user)),
        "missing": svc.missing_materials(application),
        "reviews": application.reviews.select_related("department", "reviewer"),
        "notices": application.corrections_issued.all(), "held": svc.held_certificates(application, request.user),
        "actions": [a for a in PANEL if _offered(request.user, a, application)],
        "certificate": Certificate.objects.filter(application=application).first(),
        "rectification": _rectification_seen(request.user, application),
        "now": timezone.now(), "active": "window",
    }


def _with_earlier(materials, earlier) -> list:
    """Each material with the files given for it in earlier applications (latest first)."""
    by_name = {}
    for row in earlier.order_by("-uploaded_at", "-id")[:200]:
        by_name.setdefault(row.material.name, []).append(row)
    out = []
    for m in materials:
        m.earlier = by_name.get(m.name, [])[:3]
        out.append(m)
    return out


def _rectification_seen(user, application):
    from .rectification import RECTIFICATION

    return RECTIFICATION.visible(user).filter(application=application).first()


@login_required
def detail(request, pk: int):
    application = APPLICATION.visible(request.user).filter(pk=pk).first()
    if application is None:
        raise Http404
    return render(request, "onewindow/detail.html", _detail_context(request, application))


def _materials_from(request, application) -> dict:
    provided = {}
    for m in application.item.materials.all():
        if request.FILES.get(f"file_{m.pk}"):
            provided[m.pk] = request.FILES[f"file_{m.pk}"]
        elif request.POST.get(f"cert_{m.pk}"):
            provided[m.pk] = f"cert:{request.POST[f'cert_{m.pk}']}"
        elif request.POST.get(f"prior_{m.pk}"):
            provided[m.pk] = f"prior:{request.POST[f'prior_{m.pk}']}"
        elif request.POST.get(f"paper_{m.pk}"):
            provided[m.pk] = "paper"
    return provided


@login_required
@require_POST
def act(request, pk: int, action: str):
    application = APPLICATION.visible(request.user).filter(pk=pk).first()
    if application is None:
        raise Http404
    p = request.POST
    try:
        common = {"actor": request.user, "application_id": pk, "expected_version": params.version(p.get("version"))}
        note = p.get("note", "")
        if action == "accept":
            svc.application_accept(**common, note=note)
        elif action == "request_correction":
            problems = {k.removeprefix("problem_"): v for k, v in p.items() if k.startswith("problem_") and v.strip()}
            svc.application_request_correction(**common, problems=problems)
        elif action == "refuse":
            svc.application_refuse(**common, reason=note)
        elif action == "review":
            svc.application_review(**common, approve=p.get("approve") == "1", opinion=note,
                                   department=_department_ref(p.get("department")))
        elif action == "suspend":
            svc.application_suspend(**common, procedure=p.get("procedure", ""), reason=note)
        elif action == "resume":
            svc.application_resume(**common, note=note)
        elif action == "grant":
            svc.application_grant(**common, note=note)
        elif action == "deny":
            svc.application_deny(**common, reason=note)
        elif action == "deliver":
            svc.application_deliver(**common, method=p.get("method", "pickup"), courier_number=p.get("courier_number", ""))
        elif action == "resubmit":
            svc.application_resubmit(**common, materials=_materials_from(request, application))
        elif action == "withdraw":
            svc.application_withdraw(**common, reason=note)
        else:
            raise Http404
    except ValidationError as exc:
        return _error(request, application, error_text(exc), 400)
    except Conflict as exc:
        return _error(request, application, str(exc), 409)
    except PermissionDenied as exc:
        return _error(request, application, str(exc) or _("无权执行此操作"), 403)
    return redirect("onewindow:detail", pk=pk)


def _department_ref(raw):
    """The reviewing department a form names: None if it names none, an id otherwise (anything
    that cannot be an id is answered as a department that does not exist)."""
    if not raw:
        return None
    pk = references.as_id(raw)
    if pk is None:
        raise references.not_found("department", _("待审查环节"))
    return pk


def _error(request, application, message, status):
    application.refresh_from_db()
    ctx = _detail_context(request, application) | {"error": message}
    return render(request, "onewindow/detail.html", ctx, status=status)


@login_required
def material_file(request, pk: int):
    """A submitted file, only to those who may see its application (never from the web root)."""
    row = SubmittedMaterial.objects.filter(pk=pk).select_related("application").first()
    if row is None or not row.file or not APPLICATION.visible(request.user).filter(pk=row.application_id).exists():
        raise Http404
    response = FileResponse(row.file.open("rb"), content_type=row.content_type or "application/octet-stream")
    response["Content-Disposition"] = f'inline; filename="{row.file.name.rsplit("/", 1)[-1]}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


DOCUMENTS = {"receipt": _("受理通知书"), "correction": _("补正材料通知书"), "refusal": _("不予受理决定书"),
             "decision": _("准予（不予）许可决定书")}


@login_required
def document(request, pk: int, kind: str):
    """The numbered documents, laid out for A4 (print stylesheet)."""
    application = APPLICATION.visible(request.user).filter(pk=pk).first()
    if application is None or kind not in DOCUMENTS:
        raise Http404
    if kind == "receipt" and not application.accepted_at:
        raise Http404
    if kind == "refusal" and application.status != Status.REFUSED:
        raise Http404
    if kind == "decision" and application.granted is None:
        raise Http404
    notice = application.corrections_issued.order_by("-issued_at").first() if kind == "correction" else None
    if kind == "correction" and notice is None:
        raise Http404
    return render(request, "onewindow/document.html", {"a": application, "kind": kind, "title": DOCUMENTS[kind],
                                                       "notice": notice, "today": timezone.localdate()})


# --------------------------------------------------------------------------- the online hall
@login_required
def hall(request):
    """网上办事大厅: my applications and the items I can apply for online."""
    mine = Application.objects.filter(submitted_by=request.user).select_related("item").order_by("-submitted_at")[:100]
    agent = bool(_roles(request.user) & {Role.GRID_WORKER, Role.GRID_CHIEF, Role.CIVIL_AFFAIRS})
    return render(request, "onewindow/hall.html", {"mine": mine, "active": "window", "agent": agent,
                                                   "online": _items().filter(online_depth__gte=3).order_by("name")[:60]})


@login_required
def hall_apply(request, code: str):
    item = _items().filter(code=code, online_depth__gte=3).prefetch_related("materials").first()
    if item is None:
        raise Http404
    errors, values = {}, {}
    towns = Region.objects.filter(level=Region.Level.TOWN).order_by("code")
    if request.method == "POST":
        values = request.POST.dict()
        materials = {}
        for m in item.materials.all():
            if request.FILES.get(f"file_{m.pk}"):
                materials[m.pk] = request.FILES[f"file_{m.pk}"]
            elif request.POST.get(f"cert_{m.pk}"):
                materials[m.pk] = f"cert:{request.POST[f'cert_{m.pk}']}"
            elif request.POST.get(f"prior_{m.pk}"):
                materials[m.pk] = f"prior:{request.POST[f'prior_{m.pk}']}"
        try:
            application = svc.application_submit(
                actor=request.user, item=item.pk, town=values.get("town"), applicant_name=values.get("applicant_name", ""),
                applicant_id=values.get("applicant_id", ""), applicant_kind=values.get("applicant_kind", "person"),
                contact_phone=values.get("contact_phone", "") or request.user.mobile or "", channel=Channel.ONLINE,
                materials=materials)
        except ValidationError as exc:
            errors = error_fields(exc)
        else:
            return redirect("onewindow:detail", pk=application.pk)
    needed = list(item.materials.all())
    materials = _with_earlier(needed, svc.offered_earlier(request.user, [m.name for m in needed]))
    held = svc.valid_certificates(certificates.library_for(request.user))
    return render(request, "onewindow/hall_apply.html", {"item": item, "errors": errors, "v": values, "towns": towns,
                                                         "materials": materials, "held": list(held[:50]),
                                                         "active": "window"}, status=400 if errors else 200)


@limit_by_ip("app-rate", limit=20)
def rate(request, token: str):
    application = Application.objects.filter(rating_token=token).select_related("item").first() if token else None
    if application is None:
        raise Http404
    error, done = "", application.rating is not None
    if done:
        error = _("该办件已评价，感谢您的反馈")
    if request.method == "POST" and not done:
        try:
            svc.application_rate(token=token, level=params.bounded_int(request.POST.get("level"), "level", lo=1, hi=5),
                                 comment=request.POST.get("comment", "")[:500])
            done = True
        except ValidationError as exc:
            error = error_text(exc)
        except Conflict as exc:
            error, done = str(exc), True
    return render(request, "onewindow/rate.html", {"a": application, "levels": svc.RATING_LABELS, "error": error,
                                                   "done": done})



# --------------------------------------------------------------------------- the certificate library
@login_required
def certificate_library(request):
    """证照库: the certificates a user may see — a resident's or company's own, the staff's within
    their jurisdiction — with their state (valid, expired, revoked)."""
    qs = certificates.library_for(request.user)
    q = request.GET.get("q", "").strip()[:40]
    if q:
        qs = qs.filter(Q(number__contains=q) | Q(holder_name__contains=q) | Q(name__contains=q))
    state = request.GET.get("state", "")
    today = timezone.localdate()
    if state == "valid":
        qs = svc.valid_certificates(qs)
    elif state == "expired":
        qs = qs.filter(revoked_at__isnull=True, valid_until__lt=today)
    elif state == "revoked":
        qs = qs.filter(revoked_at__isnull=False)
    page = Paginator(qs.order_by("-issued_at", "-id"), PAGE).get_page(request.GET.get("page"))
    for cert in page:
        cert.state = certificates.state(cert, today)
        cert.state_label = certificates.STATE_LABELS[cert.state]
    return render(request, "onewindow/certificates.html", {
        "page": page, "q": q, "state": state, "states": certificates.STATE_LABELS.items(), "active": "window"})


def _library_cert(request, number: str):
    cert = certificates.library_for(request.user).select_related("key", "application").filter(number=number[:40]).first()
    if cert is None:
        raise Http404
    return cert


@login_required
def certificate_detail(request, number: str):
    cert = _library_cert(request, number)
    error, status = "", 200
    if request.method == "POST":
        try:
            certificates.revoke(actor=request.user, number=cert.number, reason=request.POST.get("reason", ""),
                                ip=client_ip(request))
            return redirect("onewindow:certificate", number=cert.number)
        except ValidationError as exc:
            error, status = error_text(exc), 400
        except Conflict as exc:
            error, status = str(exc), 409
        except PermissionDenied as exc:
            error, status = str(exc), 403
    ok, why = certificates.verify(cert)
    return render(request, "onewindow/certificate.html", {
        "cert": cert, "ok": ok, "why": why, "shown": certificates.public_view(cert),
        "state": certificates.STATE_LABELS[certificates.state(cert)], "error": error,
        "may_revoke": not cert.revoked_at and certificates.may_revoke(request.user, cert), "active": "window"},
        status=status)


@login_required
def certificate_download(request, number: str):
    """The signed certificate file (JSON: the content and the SM2 signature), as the holder keeps
    it and the verification page checks it. It carries the holder's full number, so every download
    is audited."""
    import json

    from shanzhi.common import audit

    cert = _library_cert(request, number)
    audit.record(actor=request.user, action="reveal", obj=cert, ip=client_ip(request), note="下载电子证照文件",
                 region_id=(cert.application.region_id or cert.application.town_id) if cert.application_id else None)
    body = json.dumps({"payload": cert.payload, "signature": cert.signature, "public_key": cert.key.public_key,
                       "algorithm": "SM2-with-SM3"}, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{cert.number}.json"'
    return response
