import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.config.settings")
application = get_wsgi_application()

from shanzhi.common.keys import require_safe_keys  # noqa: E402 — needs the settings loaded above

require_safe_keys()
