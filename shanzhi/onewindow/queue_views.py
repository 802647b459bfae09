"""The hall's queue pages: the waiting-hall screen and the kiosk (public, numbers only), the
clerk's window desk, appointments for residents, and the waiting and workload figures."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shanzhi.cases.errors import Conflict
from shanzhi.common import params
from shanzhi.common.errors import error_fields, error_text
from shanzhi.common.ratelimit import client_ip, limit_by_ip

from .models import Appointment, Lane, ServiceHall, ServiceItem, ServiceWindow, Ticket
from .services import queue as q

TICKET_SALT = "shanzhi.ticket"


def _ticket_token(ticket: Ticket) -> str:
    return signing.dumps(ticket.pk, salt=TICKET_SALT, compress=True)


def _ticket_from(token: str) -> Ticket:
    try:
        pk = signing.loads(token, salt=TICKET_SALT, max_age=60 * 60 * 24)
    except signing.BadSignature:
        raise Http404 from None
    ticket = Ticket.objects.select_related("hall", "window").filter(pk=pk).first()
    if ticket is None:
        raise Http404
    return ticket


def _booking_phone(request) -> str:
    """A resident books with the number their account confirmed; only hall staff booking for a
    caller on the phone may type another (or the platform could be made to text anyone)."""
    own = getattr(request.user, "mobile", "") or ""
    if q._roles(request.user) & q.CLERKS:
        return request.POST.get("phone", "") or own
    return own or request.POST.get("phone", "")


def _items():
    return ServiceItem.objects.filter(level=ServiceItem.Level.HANDLING, is_active=True).order_by("name")


# --------------------------------------------------------------------------- public: screen and kiosk
@limit_by_ip("screen", limit=240, methods=("GET",))
def screen(request, code: str):
    """大厅叫号屏: hung on the hall's wall; it polls the JSON below."""
    hall = q.hall_for_town(code)
    return render(request, "onewindow/screen.html", {"hall": hall, "data": q.screen(hall)})


@limit_by_ip("screen", limit=240, methods=("GET",))
def screen_json(request, code: str):
    response = JsonResponse(q.screen(q.hall_for_town(code)), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


@limit_by_ip("kiosk", limit=30)
def kiosk(request, code: str):
    """取号机: a normal or a priority number, or checking in an appointment by its code."""
    hall = q.hall_for_town(code)
    errors, status = {}, 200
    if request.method == "POST":
        if not q.kiosk_allowed(client_ip(request)):
            raise PermissionDenied(_("请在便民服务中心的取号机上取号"))
        try:
            ticket = q.take_ticket(hall=hall, lane=request.POST.get("lane", Lane.NORMAL),
                                   appointment_code=request.POST.get("appointment_code", ""),
                                   item=request.POST.get("item") or None, phone=request.POST.get("phone", ""))
        except ValidationError as exc:
            errors, status = error_fields(exc), 400
        else:
            return redirect("onewindow:ticket", token=_ticket_token(ticket))
    return render(request, "onewindow/kiosk.html", {"hall": hall, "errors": errors, "open": q.is_open(hall, timezone.now()),
                                                    "screen": q.screen(hall)}, status=status)


@limit_by_ip("ticket", limit=120, methods=("GET",))
def ticket_page(request, token: str):
    """The slip (and the phone page of an online number): how many are ahead, which window calls."""
    ticket = _ticket_from(token)
    return render(request, "onewindow/ticket.html", {"t": ticket, "pos": q.position(ticket), "token": token})


@login_required
@require_POST
def take_online(request, code: str):
    """线上取号 for a signed-in resident: one waiting number per person and day."""
    hall = q.hall_for_town(code)
    try:
        ticket = q.take_ticket(hall=hall, lane=Lane.NORMAL, user=request.user, item=request.POST.get("item") or None,
                               phone=getattr(request.user, "mobile", "") or "")
    except (ValidationError, Conflict) as exc:
        return render(request, "onewindow/appointments.html", _booking_context(request, hall) | {
            "error": error_text(exc) if isinstance(exc, ValidationError) else str(exc)},
            status=400 if isinstance(exc, ValidationError) else 409)
    return redirect("onewindow:ticket", token=_ticket_token(ticket))


# --------------------------------------------------------------------------- the clerk's desk
def _desk_context(request, error=""):
    user = request.user
    halls = q.halls_for(user)
    window = ServiceWindow.objects.select_related("hall").filter(clerk=user).first()
    hall = window.hall if window else halls.first()
    today = timezone.localdate()
    ctx = {"window": window, "hall": hall, "error": error, "active": "window",
           "windows": ServiceWindow.objects.filter(hall=hall, is_active=True).select_related("clerk") if hall else [],
           "current": q.current_ticket(user)}
    if hall:
        ctx["waiting"] = list(q._call_order(Ticket.objects.filter(hall=hall, day=today, state=Ticket.State.WAITING)
                                            .select_related("item", "appointment"), timezone.now())[:40])
        ctx["screen"] = q.screen(hall)
        ctx["mine"] = Ticket.objects.filter(clerk=user, day=today).exclude(state=Ticket.State.WAITING).count()
        ctx["appointments"] = Appointment.objects.filter(hall=hall, day=today).select_related("item")[:60]
    return ctx


@login_required
def desk(request):
    """窗口工作台: sign in at a window, call the next number, recall, mark missed, finish."""
    if not q._roles(request.user) & q.CLERKS:
        raise PermissionDenied
    return render(request, "onewindow/desk.html", _desk_context(request))


@login_required
@require_POST
def desk_act(request, action: str):
    user = request.user
    if not q._roles(user) & q.CLERKS:
        raise PermissionDenied
    try:
        if action == "sign_in":
            q.sign_in(actor=user, window=request.POST.get("window"))
        elif action == "sign_out":
            q.sign_out(actor=user)
        elif action == "call":
            if q.call_next(actor=user) is None:
                return render(request, "onewindow/desk.html", _desk_context(request, _("当前没有等候的号码")), status=200)
        elif action == "recall":
            q.recall(actor=user)
        elif action == "miss":
            q.miss(actor=user)
        elif action == "finish":
            q.finish(actor=user)
        else:
            raise Http404
    except ValidationError as exc:
        return render(request, "onewindow/desk.html", _desk_context(request, error_text(exc)), status=400)
    except Conflict as exc:
        return render(request, "onewindow/desk.html", _desk_context(request, str(exc)), status=409)
    return redirect("onewindow:desk")


# --------------------------------------------------------------------------- figures
@login_required
def queue_figures(request):
    """排队与工作量: waiting times per lane and day, each window's and clerk's numbers served."""
    halls = q.halls_for(request.user)
    if not halls.exists():
        raise PermissionDenied
    code = request.GET.get("hall", "")
    hall = halls.filter(town__code=code[:12]).first() if code else halls.first()
    if hall is None:
        raise Http404
    today = timezone.localdate()
    g = request.GET
    try:
        start = params.day(g["start"], "start") if g.get("start") else today - dt.timedelta(days=29)
        end = params.day(g["end"], "end") if g.get("end") else today
    except ValidationError as exc:
        return render(request, "onewindow/queue_figures.html", {"halls": halls, "hall": hall, "error": error_text(exc),
                                                                 "active": "window"}, status=400)
    if end < start or (end - start).days > 366:
        return render(request, "onewindow/queue_figures.html", {
            "halls": halls, "hall": hall, "active": "window", "error": _("起止日期无效（最长一年）")}, status=400)
    return render(request, "onewindow/queue_figures.html", {"halls": halls, "hall": hall, "f": q.figures(hall, start, end),
                                                             "start": start, "end": end, "active": "window"})


# --------------------------------------------------------------------------- appointments
def _booking_context(request, hall):
    return {"hall": hall, "halls": ServiceHall.objects.select_related("town").order_by("town__code"),
            "board": q.slot_board(hall), "items": _items()[:400], "active": "window",
            "mine": Appointment.objects.filter(user=request.user).select_related("hall", "item").order_by("-day")[:20],
            "tickets": Ticket.objects.filter(user=request.user, day=timezone.localdate()).select_related("hall")}


@login_required
def appointments(request):
    """预约办事: pick a hall, a day and a slot with places left; see and cancel my bookings."""
    halls = ServiceHall.objects.select_related("town").order_by("town__code")
    code = request.GET.get("hall") or request.POST.get("hall") or ""
    hall = halls.filter(town__code=code[:12]).first() if code else halls.first()
    if hall is None:
        raise Http404
    ctx = _booking_context(request, hall)
    if request.method == "POST":
        try:
            pick = request.POST.get("pick", "").split()
            if len(pick) != 2:
                raise ValidationError({"slot": _("请选择日期和时段")})
            day = params.day(pick[0], "day")
            slot = dt.time.fromisoformat(pick[1][:5])
            booking = q.book(hall=hall, day=day, slot=slot, name=request.POST.get("name", "") or request.user.display_name,
                             phone=_booking_phone(request),
                             user=request.user, item=request.POST.get("item") or None)
        except ValueError:
            ctx["error"] = _("时段格式无效")
            return render(request, "onewindow/appointments.html", ctx, status=400)
        except ValidationError as exc:
            ctx["error"] = error_text(exc)
            return render(request, "onewindow/appointments.html", ctx, status=400)
        except Conflict as exc:
            ctx["error"] = str(exc)
            return render(request, "onewindow/appointments.html", ctx | {"board": q.slot_board(hall)}, status=409)
        ctx = _booking_context(request, hall) | {"booked": booking}
    return render(request, "onewindow/appointments.html", ctx)


@login_required
@require_POST
def appointment_cancel(request, pk: int):
    try:
        booking = q.cancel_booking(user=request.user, appointment=pk)
    except ValidationError:
        raise Http404 from None  # someone else's booking looks exactly like none
    except Conflict as exc:
        booking = Appointment.objects.filter(user=request.user, pk=pk).select_related("hall").first()
        ctx = _booking_context(request, booking.hall) | {"error": str(exc)}
        return render(request, "onewindow/appointments.html", ctx, status=409)
    return redirect(f"/window/appointments/?hall={booking.hall.town.code}")
