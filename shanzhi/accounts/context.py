from django.urls import reverse
from django.utils.translation import gettext as _

from shanzhi.common.jurisdiction import actor_can, scope_for

from .roles import Role


def navigation(request):
    """The four pillars plus registries and audit, for the signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = scope_for(user).roles
    if not user.is_superuser and set(roles) <= {Role.CITIZEN}:
        # Residents and companies: their own things only, never the staff desks.
        items = [
            {"key": "window", "label": _("网上办事大厅"), "url": reverse("onewindow:hall")},
            {"key": "guide", "label": _("办事指南"), "url": reverse("onewindow:guide")},
            {"key": "certificates", "label": _("我的证照"), "url": reverse("onewindow:certificates")},
            {"key": "appointments", "label": _("预约取号"), "url": reverse("onewindow:appointments")},
            {"key": "report", "label": _("随手拍"), "url": reverse("public_report")},
            {"key": "assistance", "label": _("社会救助申请"), "url": reverse("assistance:mine")},
        ]
        from shanzhi.notify.models import Message

        unread = Message.objects.filter(user=user, read_at__isnull=True).count()
        return {"nav_items": items, "nav_roles": [Role(r).label for r in roles if r in Role.values],
                "nav_unread": unread}
    items = [
        {"key": "home", "label": _("工作台"), "url": reverse("accounts:home")},
        {"key": "work", "label": _("我的待办"), "url": reverse("cases:work")},
        {"key": "grid", "label": _("一网格"), "url": reverse("geo:map")},
        {"key": "incidents", "label": _("事件"), "url": reverse("incidents:list")},
        {"key": "registry", "label": _("基础信息"), "url": reverse("registry:search")},
        {"key": "window", "label": _("一窗口"), "url": reverse("onewindow:window")},
        {"key": "team", "label": _("一队伍"), "url": reverse("enforcement:cases")},
        {"key": "center", "label": _("一中心"), "url": reverse("command:dashboard")},
    ]
    if user.is_superuser or Role.CIVIL_AFFAIRS in roles:
        items.insert(7, {"key": "assistance", "label": _("社会救助"), "url": reverse("assistance:desk")})
    if actor_can(user, "read_audit"):
        items.append({"key": "audit", "label": _("审计日志"), "url": reverse("common:audit")})
    if user.is_staff:
        items.append({"key": "admin", "label": _("系统配置"), "url": reverse("admin:index")})
    role_labels = [Role(r).label for r in roles if r in Role.values]
    from shanzhi.notify.models import Message

    unread = Message.objects.filter(user=user, read_at__isnull=True).count()
    out = {"nav_items": items, "nav_roles": role_labels, "nav_unread": unread}
    if roles and not user.is_superuser and set(roles) <= FIELD_ROLES:
        # Outdoors on a phone: five things under the thumb (the page's top navigation folds away).
        out["nav_field"] = [
            {"key": "work", "label": _("待办"), "url": reverse("cases:work")},
            {"key": "report", "label": _("上报"), "url": reverse("incidents:new")},
            {"key": "patrol", "label": _("巡查"), "url": reverse("incidents:patrols")},
            {"key": "inbox", "label": _("消息"), "url": reverse("notify:inbox"), "badge": unread},
            {"key": "home", "label": _("我的"), "url": reverse("accounts:home")},
        ]
    return out


FIELD_ROLES = {Role.GRID_CHIEF, Role.GRID_WORKER, Role.INFORMANT, Role.GRID_INSPECTOR, Role.LIAISON, Role.PATROLLER,
               Role.ENFORCEMENT_OFFICER}
