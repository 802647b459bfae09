"""The hall's queue (排队叫号): tickets in three lanes, calling the next number to a window, the
waiting-hall screen, appointment slots, and the waiting-time and workload figures.

Calling order: the priority lane (the elderly, the disabled, service members, expectant mothers)
first, then appointments whose slot has begun (or begins within ``EARLY``), then everyone else;
within a lane first come, first served. Calls in one hall are serialised on the hall's row, so two
clerks pressing "next" at once never get the same number.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
import statistics
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.accounts.roles import Role
from shanzhi.cases.errors import Conflict
from shanzhi.common import counters, crypto, references
from shanzhi.common.identifiers import normalise_mobile
from shanzhi.common.jurisdiction import scope_for
from shanzhi.common.workcal import WorkingCalendar
from shanzhi.notify.services import queue as outbox

from ..models import (
    LANE_PREFIX,
    Application,
    Appointment,
    Lane,
    ServiceHall,
    ServiceItem,
    ServiceWindow,
    Ticket,
)

EARLY = dt.timedelta(minutes=15)  # an appointment is called from a quarter of an hour before its slot
BOOK_AHEAD_DAYS = 7
MAX_OPEN_BOOKINGS = 3
SCREEN_CALLS = 8
CLERKS = {Role.WINDOW_CLERK, Role.BACKOFFICE_REVIEWER}
WATCHERS = CLERKS | {Role.TOWN_LEADER, Role.COUNTY_LEADER, Role.DISPATCHER}


def _local(at) -> dt.datetime:
    return timezone.localtime(at or timezone.now())


def _aware(day: dt.date, t: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, t, tzinfo=timezone.get_current_timezone())


def _roles(actor) -> set[str]:
    if getattr(actor, "is_superuser", False):
        return set(Role.values)
    return set(scope_for(actor).roles)


# --------------------------------------------------------------------------- halls and hours
def halls_for(actor):
    """Halls whose queue the actor may work or watch (their towns, or all for the county)."""
    scope = scope_for(actor)
    qs = ServiceHall.objects.select_related("town")
    if scope.unrestricted:
        return qs
    if not _roles(actor) & WATCHERS:
        return qs.none()
    return qs.filter(Q(town_id__in=scope.region_ids) | Q(town__parent_id__in=scope.region_ids))


def hall_for_town(code: str) -> ServiceHall:
    """The public pages name a hall by its town's code; unknown codes are a plain 404."""
    from django.http import Http404

    hall = ServiceHall.objects.select_related("town").filter(town__code=str(code)[:12]).first()
    if hall is None:
        raise Http404
    return hall


def is_open(hall: ServiceHall, at: dt.datetime) -> bool:
    local = _local(at)
    if not WorkingCalendar(hall.town.code).is_workday(local.date()):
        return False
    t = local.time()
    return hall.am_open <= t < hall.am_close or hall.pm_open <= t < hall.pm_close


def slots(hall: ServiceHall, day: dt.date) -> list[dt.time]:
    """The appointment slots of a working day (none on a day off)."""
    if not WorkingCalendar(hall.town.code).is_workday(day):
        return []
    step = dt.timedelta(minutes=hall.slot_minutes)
    out = []
    for start, end in ((hall.am_open, hall.am_close), (hall.pm_open, hall.pm_close)):
        t = _aware(day, start)
        while t + step <= _aware(day, end):
            out.append(timezone.localtime(t).time())
            t += step
    return out


def kiosk_allowed(ip: str) -> bool:
    """Only machines in the hall take numbers at the kiosk page: those of SHANZHI_KIOSK_NETWORKS,
    or — when it is not set — any machine on the intranet (private and loopback addresses), never
    one from the internet (online numbers go through an account)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    networks = settings.KIOSK_NETWORKS
    if not networks:
        return address.is_private or address.is_loopback
    return any(address in net for net in networks)


# --------------------------------------------------------------------------- tickets
def _waiting(hall, day):
    return Ticket.objects.filter(hall=hall, day=day, state=Ticket.State.WAITING)


def _call_order(qs, at):
    """Priority lane, then appointments whose time has come, then the rest; each by arrival."""
    due = (_local(at) + EARLY).time()
    return qs.annotate(rank=Case(
        When(lane=Lane.PRIORITY, then=Value(0)),
        When(lane=Lane.APPOINTMENT, appointment__slot__lte=due, then=Value(1)),
        When(lane=Lane.APPOINTMENT, then=Value(3)),
        default=Value(2), output_field=IntegerField())).order_by("rank", "issued_at", "id")


@transaction.atomic
def take_ticket(*, hall: ServiceHall, lane: str = Lane.NORMAL, item=None, phone: str = "", user=None,
                appointment_code: str = "", at: dt.datetime | None = None) -> Ticket:
    """取号 at the kiosk, at the guide desk, or online. An appointment code checks the booking in
    and puts it in the appointment lane."""
    at = at or timezone.now()
    local = _local(at)
    if not is_open(hall, at):
        raise ValidationError({"hall": ValidationError(_("现在不是办公时间（工作日 %(a)s–%(b)s、%(c)s–%(d)s）") % {
            "a": f"{hall.am_open:%H:%M}", "b": f"{hall.am_close:%H:%M}", "c": f"{hall.pm_open:%H:%M}",
            "d": f"{hall.pm_close:%H:%M}"}, code="closed")})
    appointment = None
    code = (appointment_code or "").strip()
    if code:
        appointment = (Appointment.objects.select_for_update()
                       .filter(hall=hall, day=local.date(), code=code[:8], state=Appointment.State.BOOKED).first())
        if appointment is None:
            raise ValidationError({"appointment_code": ValidationError(_("预约码无效，或不是今天的预约"), code="invalid")})
        lane, item = Lane.APPOINTMENT, appointment.item_id
    elif lane not in (Lane.PRIORITY, Lane.NORMAL):
        raise ValidationError({"lane": ValidationError(_("请选择普通号或优先号"), code="invalid")})
    if item:
        item = references.resolve(ServiceItem.objects.filter(is_active=True, level=ServiceItem.Level.HANDLING),
                                  field="item", label=_("事项"), pk=getattr(item, "pk", item))
    sealed = ""
    if phone:
        try:
            sealed = crypto.seal(normalise_mobile(phone))
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages}) from None
    if user is not None and getattr(user, "pk", None):
        held = _waiting(hall, local.date()).filter(user=user).first()
        if held:
            raise Conflict(_("您已有等候中的号码 %(n)s") % {"n": held.number}, code="already_done")
    n = counters.next_value(f"ticket:{hall.pk}:{local.date():%Y%m%d}:{lane}")
    ticket = Ticket.objects.create(
        hall=hall, day=local.date(), number=f"{LANE_PREFIX[lane]}{n:03d}", lane=lane, item=item or None,
        appointment=appointment, user=user if getattr(user, "pk", None) else None, phone_sealed=sealed, issued_at=at)
    if appointment:
        appointment.state = Appointment.State.ARRIVED
        appointment.save(update_fields=["state"])
    return ticket


def position(ticket: Ticket, at: dt.datetime | None = None) -> dict:
    """How many are called before this ticket and about how long that takes."""
    if ticket.state != Ticket.State.WAITING:
        return {"ahead": 0, "minutes": 0}
    order = list(_call_order(_waiting(ticket.hall, ticket.day), at or timezone.now()).values_list("pk", flat=True))
    ahead = order.index(ticket.pk) if ticket.pk in order else 0
    open_windows = ServiceWindow.objects.filter(hall=ticket.hall, is_active=True, clerk__isnull=False).count() or 1
    return {"ahead": ahead, "minutes": round(ahead * average_service(ticket.hall, ticket.day) / open_windows)}


def average_service(hall: ServiceHall, day: dt.date) -> float:
    """Minutes a number takes at the window today (the hall's estimate until ten are done)."""
    done = list(Ticket.objects.filter(hall=hall, day=day, state=Ticket.State.DONE, called_at__isnull=False,
                                      finished_at__isnull=False).values_list("called_at", "finished_at")[:200])
    if len(done) < 10:
        return float(hall.service_minutes)
    return statistics.fmean((b - a).total_seconds() / 60 for a, b in done)


# --------------------------------------------------------------------------- the window
def _clerk_window(actor) -> ServiceWindow:
    window = ServiceWindow.objects.select_related("hall__town").filter(clerk=actor).first()
    if window is None:
        raise ValidationError({"window": ValidationError(_("请先签到到一个窗口"), code="not_signed_in")})
    return window


@transaction.atomic
def sign_in(*, actor, window, at: dt.datetime | None = None) -> ServiceWindow:
    """A clerk takes a window (leaving any other). A window someone else holds is refused."""
    if not _roles(actor) & CLERKS:
        raise PermissionDenied(_("只有窗口人员可以签到窗口"))
    halls = halls_for(actor)
    window = references.resolve(ServiceWindow.objects.select_for_update().filter(hall__in=halls, is_active=True),
                                field="window", label=_("窗口"), pk=window)
    if window.clerk_id and window.clerk_id != actor.pk:
        raise Conflict(_("%(w)s 已由 %(c)s 签到") % {"w": window, "c": window.clerk}, code="taken")
    ServiceWindow.objects.filter(clerk=actor).exclude(pk=window.pk).update(clerk=None, opened_at=None)
    window.clerk, window.opened_at = actor, at or timezone.now()
    window.version += 1
    try:
        with transaction.atomic():
            window.save(update_fields=["clerk", "opened_at", "version"])
    except IntegrityError:
        raise Conflict(_("您刚在另一个窗口签到，请刷新"), code="taken") from None
    return window


@transaction.atomic
def sign_out(*, actor, at: dt.datetime | None = None) -> None:
    window = ServiceWindow.objects.select_for_update().filter(clerk=actor).first()
    if window is None:
        return
    _finish_current(window, at or timezone.now())
    window.clerk, window.opened_at = None, None
    window.version += 1
    window.save(update_fields=["clerk", "opened_at", "version"])


def _current(window) -> Ticket | None:
    return Ticket.objects.filter(window=window, state=Ticket.State.CALLED).order_by("-called_at").first()


def _finish_current(window, at, application=None) -> Ticket | None:
    ticket = _current(window)
    if ticket:
        ticket.state, ticket.finished_at = Ticket.State.DONE, at
        if application is not None:
            ticket.application = application
        ticket.save(update_fields=["state", "finished_at", "application"])
    return ticket


@transaction.atomic
def call_next(*, actor, at: dt.datetime | None = None) -> Ticket | None:
    """叫号: the number being served at this window is done; the next in calling order comes to it.
    None when nobody is waiting."""
    at = at or timezone.now()
    window = _clerk_window(actor)
    ServiceHall.objects.select_for_update().filter(pk=window.hall_id).first()  # one caller at a time per hall
    _finish_current(window, at)
    ticket = _call_order(_waiting(window.hall, _local(at).date()), at).first()
    if ticket is None:
        return None
    ticket.state, ticket.window, ticket.clerk = Ticket.State.CALLED, window, actor
    ticket.called_at = ticket.announced_at = at
    ticket.calls = 1
    ticket.save(update_fields=["state", "window", "clerk", "called_at", "announced_at", "calls"])
    phone = crypto.unseal(ticket.phone_sealed)
    if phone:
        outbox(channel="sms", phone=phone, title="queue", topic="queue", object_ref=f"ticket:{ticket.pk}",
               body=_("【善治】请 %(n)s 号到 %(w)s 号窗口办理。") % {"n": ticket.number, "w": window.number},
               dedup_key=f"sms:ticket:{ticket.pk}")
    return ticket


@transaction.atomic
def recall(*, actor, at: dt.datetime | None = None) -> Ticket:
    """重呼: the screen and the loudspeaker call the current number again."""
    window = _clerk_window(actor)
    ticket = _current(window)
    if ticket is None:
        raise Conflict(_("本窗口当前没有正在办理的号码"), code="nothing")
    ticket.calls += 1
    ticket.announced_at = at or timezone.now()
    ticket.save(update_fields=["calls", "announced_at"])
    return ticket


@transaction.atomic
def miss(*, actor, at: dt.datetime | None = None) -> Ticket:
    """过号: the called number did not come; the window may call the next."""
    window = _clerk_window(actor)
    ticket = _current(window)
    if ticket is None:
        raise Conflict(_("本窗口当前没有正在办理的号码"), code="nothing")
    ticket.state, ticket.finished_at = Ticket.State.MISSED, at or timezone.now()
    ticket.save(update_fields=["state", "finished_at"])
    return ticket


@transaction.atomic
def finish(*, actor, application=None, at: dt.datetime | None = None) -> Ticket:
    """The number at this window is served (optionally linked to the application taken in)."""
    window = _clerk_window(actor)
    if application is not None:
        from ..kind import APPLICATION

        application = references.resolve(APPLICATION.visible(actor), field="application", label=_("办件"),
                                         pk=getattr(application, "pk", application))
    ticket = _finish_current(window, at or timezone.now(), application)
    if ticket is None:
        raise Conflict(_("本窗口当前没有正在办理的号码"), code="nothing")
    return ticket


def current_ticket(actor) -> Ticket | None:
    window = ServiceWindow.objects.filter(clerk=actor).first()
    return _current(window) if window else None


def close_day(day: dt.date) -> dict:
    """After hours: numbers still waiting or at a window from earlier days end (过号 / 办结), and
    bookings nobody came for are marked missed."""
    stale = Ticket.objects.filter(day__lt=day)
    missed = stale.filter(state=Ticket.State.WAITING).update(state=Ticket.State.MISSED)
    done = 0
    for ticket in stale.filter(state=Ticket.State.CALLED):
        ticket.state, ticket.finished_at = Ticket.State.DONE, ticket.finished_at or ticket.called_at
        ticket.save(update_fields=["state", "finished_at"])
        done += 1
    no_show = Appointment.objects.filter(day__lt=day, state=Appointment.State.BOOKED).update(
        state=Appointment.State.MISSED)
    return {"tickets_missed": missed, "tickets_closed": done, "appointments_missed": no_show}


# --------------------------------------------------------------------------- appointments
def slot_board(hall: ServiceHall, *, start: dt.date | None = None, at: dt.datetime | None = None) -> list[dict]:
    """The next working days' slots with the places left (a slot already begun is not offered)."""
    now = _local(at)
    start = start or now.date()
    taken = dict(((d, t), n) for d, t, n in Appointment.objects.filter(
        hall=hall, day__gte=start, day__lte=start + dt.timedelta(days=BOOK_AHEAD_DAYS + 14),
        state__in=[Appointment.State.BOOKED, Appointment.State.ARRIVED])
        .values_list("day", "slot").annotate(n=Count("id")).values_list("day", "slot", "n"))
    days, day = [], start
    while len(days) < BOOK_AHEAD_DAYS and day <= start + dt.timedelta(days=BOOK_AHEAD_DAYS + 14):
        times = [t for t in slots(hall, day) if _aware(day, t) > now]
        if times:
            days.append({"day": day, "slots": [{"time": t, "left": max(0, hall.slot_capacity - taken.get((day, t), 0))}
                                              for t in times]})
        day += dt.timedelta(days=1)
    return days


@transaction.atomic
def book(*, hall: ServiceHall, day: dt.date, slot: dt.time, name: str, phone: str, user=None, item=None,
         at: dt.datetime | None = None) -> Appointment:
    """预约: a place in a slot of the next working days; the last place goes to one of two."""
    at = at or timezone.now()
    name = (name or "").strip()[:60]
    if not name:
        raise ValidationError({"name": ValidationError(_("请填写预约人姓名"), code="required")})
    try:
        phone = normalise_mobile(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from None
    board = {d["day"]: {s["time"] for s in d["slots"]} for d in slot_board(hall, at=at)}
    if day not in board or slot not in board[day]:
        raise ValidationError({"slot": ValidationError(_("该时段不可预约（仅限今后 %(n)d 个工作日的办公时段）") % {
            "n": BOOK_AHEAD_DAYS}, code="invalid")})
    if item:
        item = references.resolve(ServiceItem.objects.filter(is_active=True, level=ServiceItem.Level.HANDLING),
                                  field="item", label=_("事项"), pk=getattr(item, "pk", item))
    ServiceHall.objects.select_for_update().filter(pk=hall.pk).first()  # capacity is checked under the hall's lock
    active = Appointment.objects.filter(hall=hall, day=day, slot=slot,
                                        state__in=[Appointment.State.BOOKED, Appointment.State.ARRIVED])
    if active.count() >= hall.slot_capacity:
        raise Conflict(_("该时段已约满，请选择其他时段"), code="full")
    if user is not None and getattr(user, "pk", None):
        mine = Appointment.objects.filter(user=user, state=Appointment.State.BOOKED, day__gte=_local(at).date())
        if mine.filter(day=day, hall=hall).exists():
            raise Conflict(_("您当天已有预约"), code="already_done")
        if mine.count() >= MAX_OPEN_BOOKINGS:
            raise Conflict(_("您最多同时保留 %(n)d 个预约") % {"n": MAX_OPEN_BOOKINGS}, code="limit")
    for _attempt in range(5):
        code = f"{secrets.randbelow(10**6):06d}"
        if not Appointment.objects.filter(hall=hall, day=day, code=code).exists():
            break
    appointment = Appointment.objects.create(hall=hall, day=day, slot=slot, code=code, name=name,
                                             phone_sealed=crypto.seal(phone), item=item or None,
                                             user=user if getattr(user, "pk", None) else None, created_at=at)
    outbox(channel="sms", phone=phone, title="appointment", topic="appointment", object_ref=f"appointment:{appointment.pk}",
           body=_("【善治】您已预约 %(h)s %(d)s %(t)s，预约码 %(c)s，请按时到大厅取号机签到。") % {
               "h": hall.name, "d": f"{day:%m月%d日}", "t": f"{slot:%H:%M}", "c": code},
           dedup_key=f"sms:appointment:{appointment.pk}")
    return appointment


@transaction.atomic
def cancel_booking(*, user, appointment) -> Appointment:
    appointment = references.resolve(Appointment.objects.select_for_update().filter(user=user), field="appointment",
                                     label=_("预约"), pk=getattr(appointment, "pk", appointment))
    if appointment.state != Appointment.State.BOOKED:
        raise Conflict(_("该预约已签到、已取消或已过期"), code="already_done")
    appointment.state = Appointment.State.CANCELLED
    appointment.save(update_fields=["state"])
    return appointment


# --------------------------------------------------------------------------- the screen
def screen(hall: ServiceHall, at: dt.datetime | None = None) -> dict:
    """What the waiting-hall screen shows: numbers and windows only, no names."""
    now = _local(at)
    day = now.date()
    windows = list(ServiceWindow.objects.filter(hall=hall, is_active=True).order_by("number"))
    serving = {t.window_id: t for t in Ticket.objects.filter(hall=hall, day=day, state=Ticket.State.CALLED)}
    calls = (Ticket.objects.filter(hall=hall, day=day, announced_at__isnull=False).select_related("window")
             .order_by("-announced_at")[:SCREEN_CALLS])
    waiting = dict(_waiting(hall, day).values_list("lane").annotate(n=Count("id")).values_list("lane", "n"))
    open_count = sum(1 for w in windows if w.clerk_id) or 1
    total = sum(waiting.values())
    hall_open = is_open(hall, now)
    return {
        "hall": hall.name, "now": now.isoformat(timespec="seconds"), "open": hall_open,
        "served_today": Ticket.objects.filter(hall=hall, day=day, state=Ticket.State.DONE).count(),
        "windows": [{"number": w.number, "name": w.name, "open": bool(w.clerk_id) and (hall_open or w.pk in serving),
                     "serving": serving[w.pk].number if w.pk in serving else None} for w in windows],
        "calls": [{"number": t.number, "window": t.window.number if t.window else None,
                   "at": timezone.localtime(t.announced_at).isoformat(timespec="seconds"),
                   "key": f"{t.pk}:{t.calls}"} for t in calls],
        "waiting": {lane: waiting.get(lane, 0) for lane in Lane.values},
        "waiting_total": total,
        "estimate_minutes": round(total * average_service(hall, day) / open_count),
    }


# --------------------------------------------------------------------------- figures
def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]


def figures(hall: ServiceHall, start: dt.date, end: dt.date) -> dict:
    """Waiting time and workload over [start, end]: per lane, per day, per window and per clerk."""
    tickets = list(Ticket.objects.filter(hall=hall, day__gte=start, day__lte=end)
                   .values("day", "lane", "state", "issued_at", "called_at", "finished_at", "window__number",
                           "clerk_id", "clerk__display_name"))
    waits, services = defaultdict(list), defaultdict(list)
    per_day = defaultdict(lambda: {"tickets": 0, "waits": []})
    per_clerk = defaultdict(lambda: {"name": "", "served": 0, "missed": 0, "service": [], "waits": []})
    per_window = defaultdict(lambda: {"served": 0, "service": []})
    for t in tickets:
        per_day[t["day"]]["tickets"] += 1
        if t["called_at"]:
            wait = (t["called_at"] - t["issued_at"]).total_seconds() / 60
            waits[t["lane"]].append(wait)
            waits["all"].append(wait)
            per_day[t["day"]]["waits"].append(wait)
        if t["clerk_id"]:
            c = per_clerk[t["clerk_id"]]
            c["name"] = t["clerk__display_name"]
            if t["state"] == Ticket.State.MISSED:
                c["missed"] += 1
            elif t["finished_at"] and t["called_at"]:
                minutes = (t["finished_at"] - t["called_at"]).total_seconds() / 60
                c["served"] += 1
                c["service"].append(minutes)
                services["all"].append(minutes)
                w = per_window[t["window__number"]]
                w["served"] += 1
                w["service"].append(minutes)
    taken = dict(Application.objects.filter(town=hall.town, submitted_at__date__gte=start, submitted_at__date__lte=end,
                                            clerk__isnull=False).values_list("clerk").annotate(n=Count("id"))
                 .values_list("clerk", "n"))

    def avg(values):
        return round(statistics.fmean(values), 1) if values else None

    lanes = [{"lane": lane, "label": Lane(lane).label, "called": len(waits[lane]), "avg_wait": avg(waits[lane]),
              "p90_wait": _p90(waits[lane]) and round(_p90(waits[lane]), 1)} for lane in Lane.values]
    return {
        "start": start, "end": end, "tickets": len(tickets),
        "avg_wait": avg(waits["all"]), "p90_wait": _p90(waits["all"]) and round(_p90(waits["all"]), 1),
        "avg_service": avg(services["all"]),
        "missed": sum(1 for t in tickets if t["state"] == Ticket.State.MISSED),
        "lanes": lanes,
        "days": [{"day": d, "tickets": v["tickets"], "avg_wait": avg(v["waits"])} for d, v in sorted(per_day.items())],
        "clerks": sorted(({"id": k, "name": v["name"], "served": v["served"], "missed": v["missed"],
                           "avg_service": avg(v["service"]), "applications": taken.get(k, 0)}
                          for k, v in per_clerk.items()), key=lambda r: -r["served"]),
        "windows": [{"number": k, "served": v["served"], "avg_service": avg(v["service"])}
                    for k, v in sorted(per_window.items(), key=lambda kv: kv[0] or 0)],
    }
