from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanzhi.common import params, references
from shanzhi.common.errors import error_fields
from shanzhi.common.jurisdiction import actor_can
from shanzhi.common.ratelimit import client_ip

from . import selectors
from .models import Person
from .services import disclosure, people
from .services.exports import EXPORTS, registry_export
from .services.imports import IMPORTERS, registry_import, template_rows
from .services.tabular import write_xlsx

MAX_UPLOAD = 50 * 1024 * 1024
KIND_LABELS = {k: str(v.label) for k, v in IMPORTERS.items()}


def _ip(request):
    return client_ip(request)


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    resp = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return resp


@login_required
def search(request):
    q = request.GET.get("q", "").strip()
    ctx = {"q": q, "active": "registry", "can_reveal": actor_can(request.user, "reveal_pii"),
           "can_manage": actor_can(request.user, "manage_registry"), "kinds": KIND_LABELS}
    if q:
        try:
            ctx.update(
                people=selectors.person_search(request.user, q[:60], ip=_ip(request)),
                organisations=selectors.organisation_search(request.user, q[:60]),
                houses=selectors.house_search(request.user, q[:60]),
            )
        except PermissionDenied as exc:
            ctx["lookup_error"] = str(exc)
    template = "registry/partials/results.html" if request.htmx else "registry/search.html"
    return render(request, template, ctx)


@login_required
def detail(request, kind: str, pk: int):
    if kind not in selectors.MODELS:
        raise Http404
    obj = selectors.get_for_actor(request.user, kind, pk)
    extra = {}
    if kind == "person":
        extra["houses"] = obj.occupancies.select_related("house__address")
        extra["members"] = obj.household.members.exclude(pk=obj.pk) if obj.household else []
        extra["tags"] = [t for t in obj.tags.split(",") if t]
    if kind == "house":
        extra["occupants"] = obj.occupancies.select_related("person")
    return render(request, f"registry/{kind}_detail.html", {
        "obj": obj, "kind": kind, "active": "registry", "can_reveal": actor_can(request.user, "reveal_pii"),
        "can_manage": actor_can(request.user, "manage_registry"), **extra,
    })


@login_required
@require_POST
def reveal(request, kind: str, pk: int, field: str):
    if kind not in ("person", "organisation"):
        raise Http404
    obj = selectors.get_for_actor(request.user, kind, pk)
    try:
        value = disclosure.record_reveal(actor=request.user, obj=obj, field=field, ip=_ip(request))
    except PermissionDenied as exc:
        return HttpResponse(f'<span class="err">{exc}</span>', status=403)
    except ValueError:
        raise Http404 from None
    return render(request, "registry/partials/revealed.html", {"value": value})


@login_required
def person_edit(request, pk: int):
    """Edit form (htmx partial); a stale version or bad input is explained and changes nothing."""
    if not actor_can(request.user, "manage_registry"):
        raise PermissionDenied
    person = selectors.get_for_actor(request.user, "person", pk)
    errors, conflict = {}, ""
    # The phone is never pre-filled: showing it would be an unaudited reveal. Empty = unchanged.
    values = {"name": person.name, "phone": "", "residence": person.residence,
              "address_code": person.address.code if person.address else "", "tags": person.tags,
              "ethnicity": person.ethnicity, "version": person.version}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in (*people.EDITABLE, "version")}
        try:
            changes = {k: values[k] for k in people.EDITABLE if k != "phone" or values[k].strip()}
            people.person_update(actor=request.user, person_id=pk,
                                 expected_version=params.version(values["version"]) or 0, ip=_ip(request), **changes)
        except ValidationError as exc:
            errors = error_fields(exc)
        except people.StaleRecord as exc:
            conflict = str(exc)
        else:
            messages.success(request, _("已保存"))
            resp = HttpResponse(status=204)
            resp["HX-Redirect"] = f"/registry/person/{pk}/"
            return resp
    status = 409 if conflict else 400 if errors else 200
    return render(request, "registry/partials/person_form.html", {
        "obj": person, "values": values, "errors": errors, "conflict": conflict,
        "residences": Person.Residence.choices}, status=status)


@login_required
def import_page(request):
    if not actor_can(request.user, "manage_registry"):
        raise PermissionDenied
    result = None
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        upload = request.FILES.get("file")
        if kind not in IMPORTERS:
            messages.error(request, _("请选择要导入的数据类型"))
        elif upload is None:
            messages.error(request, _("请选择要上传的文件"))
        elif upload.size > MAX_UPLOAD:
            messages.error(request, _("文件过大（上限 50 MB），请拆分后上传"))
        else:
            result = registry_import(actor=request.user, kind=kind, source=upload.read(), filename=upload.name,
                                     ip=_ip(request))
            if result.ok:
                messages.success(request, _("导入成功：%(n)d 条%(k)s") % {"n": result.created, "k": KIND_LABELS[kind]})
    return render(request, "registry/import.html", {"kinds": KIND_LABELS, "result": result, "active": "registry"})


@login_required
def import_template(request, kind: str):
    if kind not in IMPORTERS:
        raise Http404
    header, example, notes = template_rows(kind)
    return _xlsx(write_xlsx(header, [example], sheet_title=KIND_LABELS[kind], notes=notes), f"{kind}-template.xlsx")


@login_required
def export(request, kind: str):
    if kind not in EXPORTS:
        raise Http404
    plain = request.GET.get("plain") == "1"
    grid_id = None
    if request.GET.get("grid"):
        grid_id = references.as_id(request.GET["grid"])
        if grid_id is None:
            return HttpResponse(_("网格编号无效"), status=400, content_type="text/plain; charset=utf-8")
    try:
        data = registry_export(actor=request.user, kind=kind, plain=plain, grid_id=grid_id, ip=_ip(request))
    except ValueError as exc:
        return HttpResponse(str(exc), status=400)
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    return _xlsx(data, f"{kind}-{stamp}.xlsx")
