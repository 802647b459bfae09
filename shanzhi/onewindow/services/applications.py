"""Applications through the case kernel: submit, accept / refuse / request correction, answer a
correction, review (in parallel groups), special procedures, decide, deliver, rate, withdraw.

Clocks: ``accept`` — 5 working days to accept or issue one complete correction notice (a notice
pauses it; an answer resumes it; when it runs out the application counts as accepted); from
acceptance ``promise`` (the promised limit, the target) and ``statute`` (the statutory limit, the
hard one) run side by side and pause together for hearings, tests and expert review; ``deliver`` —
10 calendar days from completion.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.accounts.models import User
from shanzhi.accounts.roles import Role
from shanzhi.cases.clocks import Clocks
from shanzhi.cases.errors import Conflict
from shanzhi.cases.transition import open_move
from shanzhi.common import audit, counters, crypto, references
from shanzhi.common.identifiers import normalise_id_number, normalise_mobile, normalise_uscc
from shanzhi.notify.services import notifications_suppressed, queue

from ..kind import APPLICATION
from ..models import (
    Application,
    ApplicationStep,
    Certificate,
    Channel,
    CorrectionNotice,
    Material,
    Review,
    ServiceItem,
    SubmittedMaterial,
)
from ..states import Action, Status
from . import certificates

ACCEPT_DAYS = 5  # 行政许可法 第三十二条
DELIVER_DAYS = 10  # 行政许可法 第四十四条
MAX_UPLOAD = 10 * 1024 * 1024
SIGNATURES = {b"%PDF-": ("application/pdf", ".pdf"), b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
              b"\x89PNG\r\n\x1a\n": ("image/png", ".png")}


def _need(text: str, field: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: ValidationError(message, code="required")})
    return text


def _move(application_id, action, actor, *, at=None, expected_version=None, locked=None):
    return open_move(APPLICATION, application_id, action, actor=actor, at=at, expected_version=expected_version,
                     locked=locked)


# --------------------------------------------------------------------------- materials
def clean_upload(upload, field: str = "file") -> tuple[ContentFile, str, str, str]:
    """(content, content type, original name, sha256) of a PDF, JPEG or PNG of at most 10 MB;
    anything else is refused with the reason."""
    name = getattr(upload, "name", "") or "upload"
    data = upload.read()
    if not data:
        raise ValidationError({field: ValidationError(_("文件 %(n)s 是空的") % {"n": name}, code="empty")})
    if len(data) > MAX_UPLOAD:
        raise ValidationError({field: ValidationError(_("文件 %(n)s 超过 10 MB") % {"n": name}, code="too_large")})
    for magic, (content_type, ext) in SIGNATURES.items():
        if data.startswith(magic):
            digest = hashlib.sha256(data).hexdigest()
            return ContentFile(data, name=f"{digest[:16]}{ext}"), content_type, name[:200], digest
    raise ValidationError({field: ValidationError(_("文件 %(n)s 不是 PDF、JPG 或 PNG") % {"n": name},
                                                  code="file_type")})


def _store_materials(application, provided: dict, actor, at) -> None:
    """``provided``: material id → uploaded file, a certificate id ("cert:<id>"), or "paper"
    (checked at the window). Certificates are the applicant's own, or not at all."""
    materials = {m.pk: m for m in application.item.materials.all()}
    for raw_id, value in provided.items():
        material = materials.get(references.as_id(raw_id))
        if material is None:
            raise references.not_found("materials", _("申请材料"))
        row = SubmittedMaterial(application=application, material=material, uploaded_at=at,
                                uploaded_by=actor if getattr(actor, "pk", None) else None)
        if value == "paper":
            if not _staff(actor):  # only someone who held the paper in their hands can say so
                raise ValidationError({f"material_{material.pk}": ValidationError(
                    _("「%(m)s」请上传文件或使用已有电子证照：纸质件只能由窗口或代办人员核验") % {"m": material.name},
                    code="paper_needs_staff")})
            row.paper_checked = True
        elif isinstance(value, str) and value.startswith("cert:"):
            row.certificate = references.resolve(held_certificates(application, actor),
                                                 field=f"material_{material.pk}", label=_("电子证照"), pk=value[5:])
        elif isinstance(value, str) and value.startswith("prior:"):
            # The same file the applicant gave in an earlier application: no second upload.
            prior = references.resolve(earlier_materials(application, actor).filter(material__name=material.name),
                                       field=f"material_{material.pk}", label=_("以前提交的材料"), pk=value[6:])
            row.file, row.content_type, row.original_name = prior.file.name, prior.content_type, prior.original_name
            row.size, row.sha256 = prior.size, prior.sha256
        elif value is not None:
            content, content_type, original, digest = clean_upload(value, field=f"material_{material.pk}")
            row.file.save(content.name, content, save=False)
            row.content_type, row.original_name, row.size, row.sha256 = content_type, original, content.size, digest
        else:
            continue
        row.save()  # earlier versions stay (a faulty copy is kept, not replaced in place)


def _staff(actor) -> bool:
    """Window staff, or a village agent acting for a resident (who sees the papers at home)."""
    from ..kind import AGENTS, WINDOW, _roles

    return bool(getattr(actor, "pk", None)) and bool(_roles(actor) & (WINDOW | AGENTS))


def earlier_materials(application, actor):
    """Files this applicant gave in earlier applications the actor may see, in good order (not
    sent back for correction): offered instead of asking for the same paper again. A resident sees
    only their own applications, so nobody can attach another's files by naming their number."""
    if not application.applicant_id_bidx:
        return SubmittedMaterial.objects.none()
    return (SubmittedMaterial.objects.filter(application__in=APPLICATION.visible(actor).filter(
        applicant_id_bidx=application.applicant_id_bidx).exclude(pk=application.pk))
        .exclude(file="").exclude(state=SubmittedMaterial.State.FAULTY).select_related("application", "material"))


def offered_earlier(actor, names):
    """For the apply form before there is an application: the good files the actor gave for
    materials of these names in their own earlier applications."""
    return (SubmittedMaterial.objects.filter(application__submitted_by=actor, material__name__in=list(names))
            .exclude(file="").exclude(state=SubmittedMaterial.State.FAULTY).select_related("application", "material"))


def valid_certificates(qs):
    """Neither revoked nor expired: what may stand in for a material."""
    return qs.filter(revoked_at__isnull=True).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=timezone.localdate()))


def held_certificates(application, actor=None):
    """Valid certificates the applicant holds: offered instead of asking for the paper again. Staff
    at the window have checked who the applicant is; a resident filing online may use only those
    granted on applications they filed themselves (typing someone's number proves nothing)."""
    qs = valid_certificates(Certificate.objects.all())
    if actor is not None and not _staff(actor):
        qs = qs.filter(application__submitted_by=actor)
    if application.applicant_person_id:
        return qs.filter(holder_person_id=application.applicant_person_id)
    if application.applicant_org_id:
        return qs.filter(holder_org_id=application.applicant_org_id)
    return qs.filter(holder_id_bidx=application.applicant_id_bidx) if application.applicant_id_bidx else qs.none()


def missing_materials(application) -> list[Material]:
    """Required materials not yet provided in good order."""
    good = set(application.materials.exclude(state=SubmittedMaterial.State.FAULTY).values_list("material_id", flat=True))
    return [m for m in application.item.materials.filter(required=True) if m.pk not in good]


# --------------------------------------------------------------------------- people to tell
def _clerks(application):
    return list(User.objects.filter(posts__region_id=application.town_id, posts__is_active=True,
                                    posts__role__in=[Role.WINDOW_CLERK, Role.BACKOFFICE_REVIEWER]).distinct())


def _department_users(department_id):
    return list(User.objects.filter(posts__department_id=department_id, posts__is_active=True).distinct())


def _notify(users_fn, title, body, application, topic):
    if notifications_suppressed():
        return
    for user in {u.pk: u for u in users_fn()}.values():
        queue(channel="inapp", user=user, title=title, body=body, link=APPLICATION.url(application), topic=topic,
              object_ref=f"application:{application.pk}")


def _sms(application, text: str, topic: str) -> None:
    """SMS on every step (SMS 全程告知), to the applicant's contact number."""
    phone = crypto.unseal(application.contact_phone_sealed)
    if phone:
        queue(channel="sms", phone=phone, title=topic, body=text, topic=topic,
              object_ref=f"application:{application.pk}", dedup_key=f"sms:app:{topic}:{application.pk}:{application.round}")


# --------------------------------------------------------------------------- submit
def _applicant(item: ServiceItem, *, name: str, id_number: str, kind: str):
    """(person, organisation, normalised number) from what the applicant gives; the registry link
    is made by exact match only (no browsing)."""
    from shanzhi.registry.models import Organisation, Person

    name = _need(name, "applicant_name", _("请填写申请人名称"))[:120]
    if kind == "organisation":
        if item.applicant_kind == ServiceItem.Applicant.PERSON:
            raise ValidationError({"applicant_kind": _("该事项只受理自然人申请")})
        number = normalise_uscc(id_number)
        return None, Organisation.objects.filter(uscc=number).first(), number, name
    if item.applicant_kind == ServiceItem.Applicant.ORGANISATION:
        raise ValidationError({"applicant_kind": _("该事项只受理法人和其他组织申请")})
    number = normalise_id_number(id_number)
    return Person.objects.filter(id_bidx=crypto.blind_index("id", number)).first(), None, number, name


@transaction.atomic
def application_submit(*, actor, item, town, applicant_name: str, applicant_id: str, applicant_kind: str = "person",
                       contact_phone: str = "", channel: str = Channel.WINDOW, materials: dict | None = None,
                       home_visit: bool = False, at: dt.datetime | None = None) -> Application:
    """Take in an application at a window, online or through an agent. Nothing is stored if any
    part is refused; what was accepted is all there."""
    at = at or timezone.now()
    item = references.resolve(ServiceItem.objects.filter(level=ServiceItem.Level.HANDLING, is_active=True)
                              .select_related("department"), field="item", label=_("事项"), pk=item)
    if channel not in Channel.values:
        raise ValidationError({"channel": _("申请渠道无效")})
    errors = {}
    try:
        person, org, number, name = _applicant(item, name=applicant_name, id_number=applicant_id, kind=applicant_kind)
    except ValidationError as exc:
        errors.update(exc.message_dict if hasattr(exc, "message_dict") else {"applicant_id": exc.messages})
    phone = ""
    if getattr(actor, "pk", None) and not _staff(actor) and actor.mobile:
        # A resident's account: the SMS go to the number its sign-up confirmed, never to a number
        # typed into the form (or anyone could make the platform text anyone).
        contact_phone = actor.mobile
    if contact_phone:
        try:
            phone = normalise_mobile(contact_phone)
        except ValidationError as exc:
            errors["contact_phone"] = exc.messages
    if errors:
        raise ValidationError(errors)
    from shanzhi.geo.models import Region

    hall = references.resolve(Region.objects.filter(level__in=[Region.Level.COUNTY, Region.Level.TOWN]),
                              field="town", label=_("受理地"), pk=town)
    if not item.county_wide and item.department.region.level == Region.Level.TOWN and item.department.region_id != hall.pk:
        raise ValidationError({"town": _("该事项只在 %(t)s 便民服务中心受理") % {"t": item.department.region.name}})
    staff = getattr(actor, "pk", None) and channel != Channel.ONLINE
    day = f"{timezone.localtime(at):%Y%m%d}"
    application = Application.objects.create(
        number=f"BJ{day}{counters.next_value(f'application:{day}'):05d}", item=item, channel=channel,
        applicant_person=person, applicant_org=org, applicant_name=name, applicant_id_sealed=crypto.seal(number),
        applicant_id_bidx=crypto.blind_index("holder", number), contact_phone_sealed=crypto.seal(phone),
        submitted_by=actor if getattr(actor, "pk", None) else None, acting_for=bool(staff) and channel == Channel.AGENT,
        home_visit=home_visit, region=person.region if person and person.region_id else None, town=hall,
        submitted_at=at, visits=1 if channel in (Channel.WINDOW, Channel.KIOSK) else 0)
    if staff and channel in (Channel.WINDOW, Channel.KIOSK):
        _taken_in_by(application, actor, link_ticket=True)
    clocks = Clocks(APPLICATION, application, at)
    clocks.start("accept", ACCEPT_DAYS, "working_days", fresh=True)
    application.save(update_fields=["accept_due", "clerk", "window"])
    _store_materials(application, materials or {}, actor, at)
    ApplicationStep.objects.create(
        application=application, action=Action.SUBMIT, at=at, actor=actor if getattr(actor, "pk", None) else None,
        actor_label=str(actor) if getattr(actor, "pk", None) else name, to_status=Status.SUBMITTED,
        due=application.accept_due, note=f"{Channel(channel).label}：{item.name}",
        data={"channel": channel, "acting_for": application.acting_for, "home_visit": home_visit})
    audit.record(actor=actor if getattr(actor, "pk", None) else None, action="create", obj=application, at=at,
                 region_id=application.region_id or hall.pk,
                 after={"number": application.number, "item": item.code, "channel": channel})
    _notify(lambda: _clerks(application), _("新申请：%(n)s") % {"n": application.number},
            f"{item.name}：{name}", application, "submitted")
    _sms(application, _("【善治】您申请的「%(i)s」已收到，办件编号 %(n)s，我们将在 %(d)d 个工作日内受理或一次性告知需补正的材料。")
         % {"i": item.name, "n": application.number, "d": ACCEPT_DAYS}, "submitted")
    return application


def _taken_in_by(application, actor, *, link_ticket: bool = False) -> None:
    """The clerk (and the window they are signed in at) who took the application in: ratings and
    workload are counted per clerk and window. The number being served there is linked to it."""
    from ..models import ServiceWindow, Ticket

    window = ServiceWindow.objects.filter(clerk=actor).first()
    application.clerk, application.window = actor, window
    if link_ticket and window:
        Ticket.objects.filter(window=window, state=Ticket.State.CALLED, application__isnull=True).update(
            application=application)


# --------------------------------------------------------------------------- accept, refuse, correct
def _start_review(m, application) -> None:
    """From acceptance the promised and the statutory clocks run; the first review group opens."""
    item = application.item
    application.accepted_at = m.at
    m.clocks.stop("accept")
    m.clocks.start("promise", float(item.promised_days), "working_days")
    m.clocks.start("statute", float(item.statutory_days), "working_days")
    _open_group(application)


def _groups_left(application) -> list[int]:
    steps = application.item.review_steps.values_list("parallel_group", flat=True)
    return sorted(set(steps) - set(application.reviews.values_list("parallel_group", flat=True)))


def _open_group(application) -> list[Review]:
    groups = _groups_left(application)
    if not groups:
        return []
    group = groups[0]
    steps = list(application.item.review_steps.select_related("department"))
    rows = [Review(application=application, step=s, department=s.department, parallel_group=group)
            for s in steps if s.parallel_group == group]
    Review.objects.bulk_create(rows)
    for dept_id in {r.department_id for r in rows}:
        _notify(lambda d=dept_id: _department_users(d), _("待审查：%(n)s") % {"n": application.number},
                application.item.name, application, "review")
    return rows


@transaction.atomic
def application_accept(*, actor, application_id, expected_version=None, note: str = "",
                       at: dt.datetime | None = None) -> Application:
    """受理: only with every required material in order (else the list of what is missing)."""
    m = _move(application_id, Action.ACCEPT, actor, at=at, expected_version=expected_version)
    application = m.case
    missing = missing_materials(application)
    if missing:
        raise ValidationError({"materials": ValidationError(
            _("缺少必要材料：%(m)s。请补齐或一次性告知补正") % {"m": "、".join(x.name for x in missing)}, code="missing")})
    application.materials.filter(state=SubmittedMaterial.State.RECEIVED).update(state=SubmittedMaterial.State.ACCEPTED)
    if application.clerk_id is None:
        _taken_in_by(application, actor)
    _start_review(m, application)
    m.finish(note=note, due=application.promise_due)
    _sms(application, _("【善治】您的办件 %(n)s 已受理，承诺 %(d)s 前办结。") % {
        "n": application.number, "d": f"{timezone.localtime(application.promise_due):%m月%d日}"}, "accepted")
    return application


def system_accept(application, now) -> None:
    m = _move(application.pk, Action.AUTO_ACCEPT, None, at=now, locked=application)
    _start_review(m, application)
    m.finish(note=_("受理期限内未作出不予受理或补正告知，依法视为受理"), due=application.promise_due)
    _sms(application, _("【善治】您的办件 %(n)s 已视为受理，承诺 %(d)s 前办结。") % {
        "n": application.number, "d": f"{timezone.localtime(application.promise_due):%m月%d日}"}, "accepted")


@transaction.atomic
def application_refuse(*, actor, application_id, reason: str, expected_version=None,
                       at: dt.datetime | None = None) -> Application:
    """不予受理, with the written reason the applicant receives."""
    reason = _need(reason, "reason", _("不予受理必须书面说明理由"))
    m = _move(application_id, Action.REFUSE, actor, at=at, expected_version=expected_version)
    m.case.decision_reason = reason
    m.clocks.stop_all()
    m.finish(note=reason)
    _sms(m.case, _("【善治】您的办件 %(n)s 不予受理：%(r)s") % {"n": m.case.number, "r": reason}, "refused")
    return m.case


@transaction.atomic
def application_request_correction(*, actor, application_id, problems: dict, expected_version=None,
                                   at: dt.datetime | None = None) -> CorrectionNotice:
    """一次性告知: every missing or faulty material in one notice; the acceptance clock pauses.
    ``problems``: material id → what is wrong (every required material still missing must be in it)."""
    m = _move(application_id, Action.REQUEST_CORRECTION, actor, at=at, expected_version=expected_version)
    application = m.case
    materials = {x.pk: x for x in application.item.materials.all()}
    items = []
    for raw_id, problem in problems.items():
        material = materials.get(references.as_id(raw_id))
        if material is None:
            raise references.not_found("problems", _("申请材料"))
        items.append({"material": material.pk, "name": material.name,
                      "problem": _need(problem, f"problem_{material.pk}", _("请写明「%(m)s」需要怎样补正") % {"m": material.name})[:300]})
    missing = [x for x in missing_materials(application) if x.pk not in {i["material"] for i in items}]
    items += [{"material": x.pk, "name": x.name, "problem": _("未提交")} for x in missing]
    if not items:
        raise ValidationError({"problems": ValidationError(_("请列出需要补正的材料"), code="required")})
    for entry in items:
        application.materials.filter(material_id=entry["material"]).update(state=SubmittedMaterial.State.FAULTY,
                                                                          problem=entry["problem"])
    application.corrections += 1
    notice = CorrectionNotice.objects.create(
        application=application, number=f"BZ{application.number[2:]}-{application.corrections}",
        issued_at=m.at, issued_by=actor, items=items)
    m.clocks.pause("accept", _("一次性告知补正"))
    m.finish(note="；".join(f"{i['name']}：{i['problem']}" for i in items)[:500], data={"notice": notice.number})
    _sms(application, _("【善治】您的办件 %(n)s 需补正材料：%(l)s。请登录网上办事大厅或到窗口补正。") % {
        "n": application.number, "l": "、".join(i["name"] for i in items)}, "correction")
    return notice


@transaction.atomic
def application_resubmit(*, actor, application_id, materials: dict, expected_version=None,
                         at: dt.datetime | None = None) -> Application:
    """The applicant (or the window for them) answers the notice; the acceptance clock runs again
    with what was left."""
    m = _move(application_id, Action.RESUBMIT, actor, at=at, expected_version=expected_version)
    application = m.case
    _store_materials(application, materials, actor, m.at)
    notice = application.corrections_issued.filter(answered_at__isnull=True).order_by("-issued_at").first()
    still = [i["name"] for i in (notice.items if notice else [])
             if not application.materials.filter(material_id=i["material"]).exclude(
                 state=SubmittedMaterial.State.FAULTY).exists()]
    if still:
        raise ValidationError({"materials": ValidationError(_("以下材料尚未补正：%(m)s") % {"m": "、".join(still)},
                                                            code="missing")})
    if notice:
        notice.answered_at = m.at
        notice.save(update_fields=["answered_at"])
    application.round += 1
    m.clocks.resume("accept")
    m.finish(note=_("已补正"), due=application.accept_due)
    _notify(lambda: _clerks(application), _("已补正：%(n)s") % {"n": application.number}, application.item.name,
            application, "resubmitted")
    return application


# --------------------------------------------------------------------------- review and decide
@transaction.atomic
def application_review(*, actor, application_id, approve: bool, opinion: str, department=None,
                       expected_version=None, at: dt.datetime | None = None) -> Review:
    """One department's opinion; when a parallel group is all in favour the next group opens."""
    from shanzhi.common.jurisdiction import scope_for

    opinion = _need(opinion, "opinion", _("请填写审查意见"))
    m = _move(application_id, Action.REVIEW, actor, at=at, expected_version=expected_version)
    application = m.case
    pending = application.reviews.select_for_update().filter(state=Review.State.PENDING)
    scope = scope_for(actor)
    if not scope.unrestricted and not (scope.roles & {Role.BACKOFFICE_REVIEWER}):
        pending = pending.filter(department_id__in=scope.department_ids)
    review = references.resolve(pending, field="department", label=_("待审查环节"), department_id=department) \
        if department is not None else pending.first()
    if review is None:
        raise Conflict(_("没有待您审查的环节，可能已被他人处理"), code="already_done")
    review.state = Review.State.APPROVED if approve else Review.State.REJECTED
    review.opinion, review.reviewer, review.decided_at = opinion, actor, m.at
    review.save()
    if approve and not application.reviews.filter(parallel_group=review.parallel_group,
                                                  state=Review.State.PENDING).exists():
        _open_group(application)
    m.finish(note=f"{review.department.name}：{'同意' if approve else '不同意'}。{opinion}"[:500],
             department_id=review.department_id, data={"approve": approve})
    return review


@transaction.atomic
def application_suspend(*, actor, application_id, procedure: str, reason: str, expected_version=None,
                        at: dt.datetime | None = None) -> Application:
    """听证、检验检测、专家评审: not counted in the time limits (the clocks pause)."""
    reason = _need(reason, "reason", _("请说明特别程序的事由"))
    labels = {"hearing": _("听证"), "test": _("检验检测"), "expert": _("专家评审"), "other": _("其他特别程序")}
    if procedure not in labels:
        raise ValidationError({"procedure": _("特别程序应为听证、检验检测、专家评审或其他")})
    m = _move(application_id, Action.SUSPEND, actor, at=at, expected_version=expected_version)
    m.clocks.pause("promise", f"{labels[procedure]}：{reason}")
    m.clocks.pause("statute", f"{labels[procedure]}：{reason}")
    m.finish(note=f"{labels[procedure]}：{reason}", data={"procedure": procedure})
    _sms(m.case, _("【善治】您的办件 %(n)s 进入%(p)s程序，期间不计入办理时限。") % {"n": m.case.number, "p": labels[procedure]},
         "suspended")
    return m.case


@transaction.atomic
def application_resume(*, actor, application_id, note: str = "", expected_version=None,
                       at: dt.datetime | None = None) -> Application:
    m = _move(application_id, Action.RESUME, actor, at=at, expected_version=expected_version)
    m.clocks.resume("promise")
    m.clocks.resume("statute")
    m.finish(note=note, due=m.case.promise_due)
    return m.case


def _complete(m, application) -> None:
    application.completed_at = m.at
    application.rating_token = secrets.token_urlsafe(16)
    m.clocks.stop("promise")
    statute = m.clocks.stop("statute")
    if statute is not None:
        application.handling_days = working_days_used(m.clocks.calendar, statute, m.at)
    m.clocks.start("deliver", DELIVER_DAYS, "calendar_days")


def working_days_used(calendar, timer, end) -> Decimal:
    """Working days a clock ran from its start to ``end``, without its pauses (hearings, tests,
    expert review): what "compressed by 30 %" is measured on."""
    hours = calendar.working_hours_between(timer.started_at, end)
    for pause in timer.pauses:
        begin = dt.datetime.fromisoformat(pause["from"])
        finish = dt.datetime.fromisoformat(pause["to"]) if pause.get("to") else end
        hours -= calendar.working_hours_between(begin, finish)
    per_day = calendar.day_length.total_seconds() / 3600
    return Decimal(str(round(max(0.0, hours) / per_day, 2)))


@transaction.atomic
def application_grant(*, actor, application_id, note: str = "", expected_version=None,
                      at: dt.datetime | None = None) -> Application:
    """准予: every review in favour; the item's electronic certificate is issued and signed."""
    m = _move(application_id, Action.GRANT, actor, at=at, expected_version=expected_version)
    application = m.case
    if application.reviews.filter(state=Review.State.PENDING).exists():
        raise ValidationError({"reviews": ValidationError(_("还有部门未出具审查意见"), code="reviews_pending")})
    if application.reviews.filter(state=Review.State.REJECTED).exists():
        raise ValidationError({"reviews": ValidationError(_("有部门不同意，不能准予；请作出不予许可决定"), code="review_rejected")})
    if _groups_left(application):
        raise ValidationError({"reviews": ValidationError(_("还有审查环节未开始"), code="reviews_pending")})
    application.granted = True
    application.decision_reason = note
    _complete(m, application)
    cert = certificates.issue(application=application, at=m.at) if application.item.certificate_type else None
    m.finish(note=note or _("准予"), due=application.deliver_due, data={"certificate": cert.number if cert else None})
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    text = _("【善治】您的办件 %(n)s 已办结（准予）。") % {"n": application.number}
    if cert:
        text += _("电子证照 %(c)s，可在 %(u)s 核验。") % {"c": cert.number, "u": f"{base}/verify/{cert.number}/"}
    _sms(application, text + _("请评价：%(u)s") % {"u": f"{base}/window/rate/{application.rating_token}/"}, "completed")
    return application


@transaction.atomic
def application_deny(*, actor, application_id, reason: str, expected_version=None,
                     at: dt.datetime | None = None) -> Application:
    """不予许可, with the written reason (and the applicant's right to review or sue)."""
    reason = _need(reason, "reason", _("不予许可必须书面说明理由"))
    m = _move(application_id, Action.DENY, actor, at=at, expected_version=expected_version)
    application = m.case
    application.granted = False
    application.decision_reason = reason
    _complete(m, application)
    m.finish(note=reason, due=application.deliver_due)
    _sms(application, _("【善治】您的办件 %(n)s 不予许可：%(r)s。如不服，可依法申请行政复议或提起行政诉讼。") % {
        "n": application.number, "r": reason}, "completed")
    return application


@transaction.atomic
def application_deliver(*, actor, application_id, method: str = "pickup", courier_number: str = "",
                        expected_version=None, at: dt.datetime | None = None) -> Application:
    if method not in ("pickup", "courier"):
        raise ValidationError({"method": _("领取方式应为窗口领取或邮寄")})
    if method == "courier":
        courier_number = _need(courier_number, "courier_number", _("邮寄送达请填写邮件号"))[:40]
    m = _move(application_id, Action.DELIVER, actor, at=at, expected_version=expected_version)
    application = m.case
    application.delivery, application.courier_number, application.delivered_at = method, courier_number, m.at
    if method == "pickup":
        application.visits += 1
    m.clocks.stop("deliver")
    m.finish(note=_("窗口领取") if method == "pickup" else _("已邮寄：%(c)s") % {"c": courier_number})
    return application


@transaction.atomic
def application_withdraw(*, actor, application_id, reason: str = "", expected_version=None,
                         at: dt.datetime | None = None) -> Application:
    m = _move(application_id, Action.WITHDRAW, actor, at=at, expected_version=expected_version)
    m.clocks.stop_all()
    m.finish(note=reason or _("申请人撤回"))
    return m.case


RATING_LABELS = {5: _("非常满意"), 4: _("满意"), 3: _("基本满意"), 2: _("不满意"), 1: _("非常不满意")}


@transaction.atomic
def application_rate(*, token: str, level: int, comment: str = "", at: dt.datetime | None = None) -> Application:
    """好差评 through the link in the completion SMS: once, five levels."""
    from shanzhi.cases.transition import lock

    if level not in RATING_LABELS:
        raise ValidationError({"level": _("请选择 1–5 的评价")})
    pk = Application.objects.filter(rating_token=token).values_list("pk", flat=True).first() if token else None
    if pk is None:
        raise ValidationError({"token": _("评价链接无效")})
    m = _move(pk, Action.RATE, None, at=at, locked=lock(APPLICATION, None, pk))
    if m.case.rating is not None:
        raise Conflict(_("该办件已评价"), code="already_done")
    m.case.rating = level
    m.case.rating_comment = comment[:500]
    m.finish(note=comment[:500], data={"level": level}, actor_label=_("申请人"))
    if level <= 2:  # 差评: a rectification case, due in 15 working days, with a return visit
        from ..rectification import open_for

        open_for(m.case, level=level, comment=comment, at=m.at)
    return m.case


# --------------------------------------------------------------------------- the scan's moves
def system_warn(application, timer, now) -> None:
    m = _move(application.pk, Action.WARN, None, at=now, locked=application)
    m.finish(note=_("「%(s)s」临近期限") % {"s": APPLICATION.stage_labels[timer.stage]}, due=timer.due,
             data={"stage": timer.stage})
    _notify(lambda: _clerks(application), _("临期预警：%(n)s") % {"n": application.number},
            _("期限 %(t)s") % {"t": f"{timezone.localtime(timer.due):%m-%d %H:%M}"}, application, "warn")


def system_overdue(application, timer, now) -> None:
    m = _move(application.pk, Action.OVERDUE, None, at=now, locked=application)
    m.finish(note=_("已超过「%(s)s」") % {"s": APPLICATION.stage_labels[timer.stage]}, due=timer.due,
             data={"stage": timer.stage})

    def leaders():
        return list(User.objects.filter(posts__region_id=application.town_id, posts__is_active=True,
                                        posts__role=Role.TOWN_LEADER).distinct()) + _clerks(application)

    _notify(leaders, _("督办：%(n)s 已超%(s)s") % {"n": application.number, "s": APPLICATION.stage_labels[timer.stage]},
            application.item.name, application, "supervise")
