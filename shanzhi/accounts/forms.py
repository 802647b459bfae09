from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    username = forms.CharField(label=_("用户名或手机号"), max_length=150,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))
    error_messages = {
        "invalid_login": _("用户名（手机号）或密码不正确。连续输错 %(n)s 次将锁定账号。"),
        "inactive": _("该账号已停用。"),
        "locked": _("账号已锁定，请于 %(until)s 后再试，或联系管理员解锁。"),
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            until = getattr(self.request, "shanzhi_locked_until", None)
            if until is not None:
                raise forms.ValidationError(
                    self.error_messages["locked"], code="locked",
                    params={"until": timezone.localtime(until).strftime("%H:%M")},
                ) from None
            raise

    def get_invalid_login_error(self):
        from django.conf import settings

        return forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login",
                                     params={"n": settings.LOCKOUT_THRESHOLD})
