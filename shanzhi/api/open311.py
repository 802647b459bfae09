"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): discovery, services, service
definitions, requests (POST with an API key; GET with its filters), requests/{id}, tokens.

Formats: .json and .xml. Errors as the spec defines them: a list of {code, description};
404 unknown service or request, 403 bad key, 400 otherwise (several errors at once).
Dates carry +08:00. Status is open/closed, the detailed stage goes in status_notes.
No personal data is exposed: reporter names and phones never leave the platform. What the public
feed publishes is decided per class (``IncidentClass.open_data``): disputes, public security,
hardship and rental-house checks are never published; matters at people's homes are published
with positions rounded to ~100 m and the address cut to the village; free text loses phone and ID
numbers, the reporter's name and "张先生"-style references.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from xml.etree import ElementTree as ET

from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from shanzhi.cases.errors import Conflict
from shanzhi.common.ratelimit import limit_by_ip
from shanzhi.incidents.models import Incident, IncidentClass, OpenData
from shanzhi.incidents.services.intake import incident_report
from shanzhi.incidents.states import DONE, Status

from .models import ApiKey

MAX_REQUESTS = 1000
DEFAULT_DAYS = 90


class Open311Error(Exception):
    def __init__(self, status: int, errors: list[tuple[str, str]]):
        self.status = status
        self.errors = errors


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(root: str, item: str | None, payload) -> bytes:
    """XML that always parses: characters XML 1.0 cannot carry are dropped from the text."""

    def text(value) -> str:
        return XML_ILLEGAL.sub("", str(value))

    def build(parent, data):
        for key, value in data.items():
            if value is None:
                ET.SubElement(parent, key)
            elif isinstance(value, list):
                holder = ET.SubElement(parent, key)
                for entry in value:
                    child = ET.SubElement(holder, key[:-1] if key.endswith("s") else "item")
                    build(child, entry) if isinstance(entry, dict) else setattr(child, "text", text(entry))
            elif isinstance(value, bool):
                ET.SubElement(parent, key).text = "true" if value else "false"
            else:
                ET.SubElement(parent, key).text = text(value)

    top = ET.Element(root)
    for entry in payload if isinstance(payload, list) else [payload]:
        build(ET.SubElement(top, item) if item else top, entry)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


def _respond(fmt: str, root: str, item: str | None, payload, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        return HttpResponse(_xml(root, item, payload), content_type="text/xml; charset=utf-8", status=status)
    return JsonResponse(payload, safe=False, status=status, json_dumps_params={"ensure_ascii": False})


def _errors(fmt: str, exc: Open311Error) -> HttpResponse:
    payload = [{"code": code, "description": desc} for code, desc in exc.errors]
    return _respond(fmt, "errors", "error", payload, status=exc.status)


def endpoint(view):
    """Format dispatch, error rendering and the public rate limit for every Open311 view."""

    @csrf_exempt
    @limit_by_ip("open311", methods=("GET",))  # POSTs carry an API key instead
    def wrapped(request, *args, fmt: str = "json", **kwargs):
        if fmt not in ("json", "xml"):
            return _errors("json", Open311Error(400, [("400", "format must be json or xml")]))
        try:
            return view(request, fmt, *args, **kwargs)
        except Open311Error as exc:
            return _errors(fmt, exc)

    wrapped.__name__ = view.__name__
    return wrapped


def _service(cls: IncidentClass) -> dict:
    return {"service_code": cls.code, "service_name": cls.name, "description": cls.filing_standard or cls.name,
            "metadata": False, "type": "realtime", "keywords": cls.keywords.replace("，", ","),
            "group": cls.parent.name if cls.parent_id else ""}


@endpoint
@require_http_methods(["GET"])
def discovery(request, fmt):
    from django.conf import settings

    base = f"{settings.PUBLIC_BASE_URL.rstrip('/')}/open311/v2/"  # never the request's Host header
    payload = {"changeset": "2026-11-22T00:00:00+08:00", "contact": "江阴市综合管理服务指挥中心",
               "key_service": "向平台管理员申请（shanzhi apikey create NAME）",
               "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                              "changeset": "2026-11-22T00:00:00+08:00", "type": "production",
                              "formats": ["application/json", "text/xml"]}]}
    return _respond(fmt, "discovery", None, payload)


@endpoint
@require_http_methods(["GET"])
def services(request, fmt):
    rows = IncidentClass.objects.filter(parent__isnull=False, is_active=True).select_related("parent").order_by("code")
    return _respond(fmt, "services", "service", [_service(c) for c in rows])


@endpoint
@require_http_methods(["GET"])
def service_definition(request, fmt, code: str):
    cls = IncidentClass.objects.filter(code=code, parent__isnull=False, is_active=True).first()
    if cls is None:
        raise Open311Error(404, [("404", f"service_code {code} not found")])
    return _respond(fmt, "service_definition", None, {"service_code": cls.code, "attributes": []})


# Any run of seven or more digits, however separated (spaces, dots, dashes, full-width forms after
# NFKC), is a number someone could call or look up: phones, ID numbers, plates, accounts.
NUMBER_RUN = re.compile(r"(?:\d[\s.\-·_/]{0,2}){6,}\d[\dXx]?")
HONORIFIC = re.compile(r"[\u4e00-\u9fa5](?=(?:先生|女士|阿姨|大爷|大妈|大姐|师傅|老板娘|老板|老师|同志|奶奶|爷爷))")
# A person named after a word that introduces one (报告人李明, 户主张三, 我叫王五 …).
NAMED = re.compile(r"(报告人|反映人|联系人|当事人|投诉人|举报人|户主|业主|房东|租户|村民|居民|老人|我叫|本人|姓名[:：]?)"
                   r"\s*(?!反映|说|称|在|的|和|与|们|家|楼|区)(?:[\u4e00-\u9fa5]{2,3}?(?=反映|说|称|家|在|的|和|与|，|,|。|、|\s|$)|[\u4e00-\u9fa5]{2})")
DOOR = re.compile(r"\d+\s*(?:号楼|号|幢|栋|单元|室|楼|层)")


def public_text(text: str, names=()) -> str:
    """Free text as the public feed shows it: no numbers that identify or reach a person, no
    reporter's name, no '张先生' or '户主张三'."""
    text = unicodedata.normalize("NFKC", text)
    for name in names:
        if name and len(name) >= 2:
            text = text.replace(name, "**")
    text = NUMBER_RUN.sub("[号码已隐去]", text)
    text = NAMED.sub(lambda m: m.group(1) + "**", text)
    return HONORIFIC.sub("某", text)


def published():
    """Only classes the county publishes (纠纷, 治安, 困难救助 and similar never are), and only cases
    the center has registered (not reports waiting to be checked, not voided or merged ones)."""
    return Incident.objects.exclude(subclass__open_data=OpenData.PRIVATE).exclude(
        status__in=[Status.REPORTED, Status.VOIDED, Status.MERGED])


def _request_out(i: Incident) -> dict:
    closed = i.status in DONE
    coarse = i.subclass.open_data == OpenData.COARSE
    digits = 3 if coarse else 6  # ≈ 100 m for matters at people's homes
    place = f"{i.town.name}{i.region.name}" if i.town_id and i.region_id else ""
    address = place if coarse else public_text(i.address_text, [i.reporter_name]) or place
    return {
        "service_request_id": i.number, "status": "closed" if closed else "open",
        "status_notes": i.get_status_display() if i.status not in (Status.VOIDED, Status.MERGED)
        else f"{i.get_status_display()}" + (f"（合并至 {i.merged_into.number}）" if i.merged_into_id else ""),
        "service_name": i.subclass.name, "service_code": i.subclass.code,
        # Matters at people's homes carry no free text at all: the class says what it is about.
        "description": f"{i.subclass.name}（详情不公开）" if coarse else public_text(i.description, [i.reporter_name]),
        "agency_responsible": i.department.name if i.department_id else "", "service_notice": "",
        "requested_datetime": _iso(i.reported_at), "updated_datetime": _iso(i.updated_at),
        "expected_datetime": _iso(i.handle_due or i.current_due), "address": DOOR.sub("", address) if coarse else address,
        "address_id": "", "zipcode": "", "lat": round(i.lat, digits) if i.lat is not None else None,
        "long": round(i.lon, digits) if i.lon is not None else None, "media_url": "",
    }


def _parse_date(value: str, name: str, errors: list):
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        errors.append(("400", f"{name} must be a W3C datetime"))
        return None
    if not 1970 <= parsed.year <= 2100:
        errors.append(("400", f"{name} must be between 1970 and 2100"))
        return None
    return parsed if parsed.tzinfo else timezone.make_aware(parsed)


@endpoint
@require_http_methods(["GET", "POST"])
def requests_(request, fmt):
    if request.method == "POST":
        return _create(request, fmt)
    errors: list[tuple[str, str]] = []
    qs = published().select_related("subclass", "department", "town", "region", "merged_into")
    ids = [x for x in request.GET.get("service_request_id", "").split(",") if x.strip()]
    if ids:
        qs = qs.filter(number__in=[x.strip() for x in ids])
    else:
        start = request.GET.get("start_date")
        end = request.GET.get("end_date")
        start_dt = _parse_date(start, "start_date", errors) if start else timezone.now() - dt.timedelta(days=DEFAULT_DAYS)
        end_dt = _parse_date(end, "end_date", errors) if end else None
        if start_dt:
            qs = qs.filter(reported_at__gte=start_dt)
        if end_dt:
            qs = qs.filter(reported_at__lte=end_dt)
        codes = [c.strip() for c in request.GET.get("service_code", "").split(",") if c.strip()]
        if codes:
            qs = qs.filter(subclass__code__in=codes)
        status = request.GET.get("status", "")
        if status:
            wanted = {s.strip() for s in status.split(",")}
            if not wanted <= {"open", "closed"}:
                errors.append(("400", "status must be open or closed"))
            elif wanted == {"open"}:
                qs = qs.exclude(status__in=DONE)
            elif wanted == {"closed"}:
                qs = qs.filter(status__in=DONE)
    if errors:
        raise Open311Error(400, errors)
    rows = [_request_out(i) for i in qs.order_by("-reported_at")[:MAX_REQUESTS]]
    return _respond(fmt, "service_requests", "request", rows)


def _create(request, fmt):
    data = request.POST
    key = ApiKey.lookup(data.get("api_key") or request.headers.get("X-Api-Key"))
    if key is None:
        raise Open311Error(403, [("403", "api_key is missing or invalid")])
    errors: list[tuple[str, str]] = []
    code = data.get("service_code", "").strip()
    if not code:
        errors.append(("400", "service_code is required"))
    elif not IncidentClass.objects.filter(code=code, parent__isnull=False, is_active=True).exists():
        raise Open311Error(404, [("404", f"service_code {code} not found")])
    lat, lon, address = data.get("lat"), data.get("long"), data.get("address_string", "")
    if not ((lat and lon) or address or data.get("address_id")):
        errors.append(("400", "a location is required: lat & long, address_string or address_id"))
    if not data.get("description", "").strip():
        errors.append(("400", "description is required"))
    if errors:
        raise Open311Error(400, errors)
    idem = (request.headers.get("Idempotency-Key") or "").strip()
    if len(idem) > 255:
        raise Open311Error(400, [("400", "Idempotency-Key must be at most 255 characters")])
    try:
        incident, created = incident_report(
            actor=key.user, source="api", description=data.get("description", ""), subclass_code=code,
            lon=lon or None, lat=lat or None, crs="wgs84", address_text=address,
            address_code=data.get("address_id", ""),
            external_id="idem:" + hashlib.sha256(idem.encode()).hexdigest()[:40] if idem else None,
            reporter_name=" ".join(x for x in (data.get("last_name", ""), data.get("first_name", "")) if x),
            reporter_phone=data.get("phone", ""))
    except ValidationError as exc:
        msgs = exc.message_dict if hasattr(exc, "message_dict") else {"_": exc.messages}
        raise Open311Error(400, [("400", f"{field}: {m}") for field, ms in msgs.items() for m in ms]) from exc
    except Conflict as exc:
        raise Open311Error(409, [("409", str(exc))]) from exc
    notice = "已收到，将在受理后派遣处置" if incident.town_id else "已收到，位置待人工确认后受理"
    payload = [{"service_request_id": incident.number, "token": incident.number,
                "service_notice": notice, "account_id": None}]
    return _respond(fmt, "service_requests", "request", payload, status=201 if created else 200)


@endpoint
@require_http_methods(["GET"])
def request_detail(request, fmt, request_id: str):
    incident = (published().select_related("subclass", "department", "town", "region", "merged_into")
                .filter(number=request_id).first())
    if incident is None:
        raise Open311Error(404, [("404", f"service_request_id {request_id} not found")])
    return _respond(fmt, "service_requests", "request", [_request_out(incident)])


@endpoint
@require_http_methods(["GET"])
def token(request, fmt, token_id: str):
    # A token only says which number a request got: it answers as soon as the request exists
    # (except for the classes never published), before the center has registered it.
    incident = Incident.objects.exclude(subclass__open_data=OpenData.PRIVATE).filter(number=token_id).first()
    if incident is None:
        raise Open311Error(404, [("404", f"token {token_id} not found")])
    return _respond(fmt, "service_requests", "request", [{"service_request_id": incident.number, "token": token_id}])
