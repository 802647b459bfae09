"""My work (我的待办) and the supervision desk: one page each, across every kind of case."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from shanzhi.incidents import permissions

from .selectors import my_work, supervision_desk

DESK_ROLES = permissions.COMMAND | {"grid_inspector"}


@login_required
def work(request):
    queues, items = my_work(request.user)
    return render(request, "cases/work.html", {"queues": queues, "items": items, "now": timezone.now(),
                                               "active": "work"})


@login_required
def desk(request):
    if not (request.user.is_superuser or permissions.roles_of(request.user) & DESK_ROLES):
        raise PermissionDenied
    return render(request, "cases/supervision.html", {"desk": supervision_desk(request.user), "now": timezone.now(),
                                                      "active": "center"})
