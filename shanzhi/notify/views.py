from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from .models import Message


@login_required
def inbox(request):
    page = Paginator(Message.objects.filter(user=request.user), 30).get_page(request.GET.get("page"))
    return render(request, "notify/inbox.html", {"page": page, "active": "messages"})


@login_required
@require_POST
def read(request, pk: int):
    """Mark one message (or, with pk 0, all) read; then follow its link."""
    qs = Message.objects.filter(user=request.user, read_at__isnull=True)
    if pk:
        message = Message.objects.filter(user=request.user, pk=pk).first()
        qs.filter(pk=pk).update(read_at=timezone.now())
        if message and message.link.startswith("/"):
            return redirect(message.link)
    else:
        qs.update(read_at=timezone.now())
    return redirect("notify:inbox")
