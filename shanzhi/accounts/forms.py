from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """One answer for every failure: it never says whether the name exists or is locked."""

    username = forms.CharField(label=_("用户名或手机号"), max_length=150,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))
    error_messages = {
        "invalid_login": _("用户名（手机号）或密码不正确，或因多次失败已在本设备暂时锁定。"
                           "连续输错 %(n)s 次将在本设备锁定 %(m)s 分钟；忘记密码请联系管理员。"),
        "inactive": _("用户名（手机号）或密码不正确，或因多次失败已在本设备暂时锁定。"
                      "连续输错 %(n)s 次将在本设备锁定 %(m)s 分钟；忘记密码请联系管理员。"),
    }

    def confirm_login_allowed(self, user):
        # An inactive account is refused by the backend with the same answer as any failure.
        pass

    def get_invalid_login_error(self):
        return forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login",
                                     params={"n": settings.LOCKOUT_THRESHOLD, "m": settings.LOCKOUT_MINUTES})
