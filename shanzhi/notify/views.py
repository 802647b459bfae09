from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from .models import Message


def _local(link: str) -> bool:
    """A link into this site (a path), never to another host (//host or /\\host)."""
    return link.startswith("/") and not link.startswith(("//", "/\\"))


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
        if message and _local(message.link):
            return redirect(message.link)
    else:
        qs.update(read_at=timezone.now())
    return redirect("notify:inbox")


@login_required
def live(request):
    """The unread count and the newest unread messages, for the badge and the toast of an open
    page (polled; a push channel would need a service outside a county's intranet)."""
    from django.http import JsonResponse

    unread = Message.objects.filter(user=request.user, read_at__isnull=True)
    latest = [{"id": m.id, "title": m.title, "body": m.body[:120], "link": m.link if _local(m.link) else "",
               "at": m.created_at.isoformat()}
              for m in unread.order_by("-id").only("id", "title", "body", "link", "created_at")[:5]]
    return JsonResponse({"unread": unread.count(), "latest": latest}, json_dumps_params={"ensure_ascii": False})
