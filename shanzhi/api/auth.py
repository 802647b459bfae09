"""REST authentication: an API key (X-Api-Key header or Bearer token) or the browser session."""

from ninja.security import APIKeyHeader, HttpBearer, django_auth

from .models import ApiKey


def _user_for(raw):
    key = ApiKey.lookup(raw)
    return key.user if key else None


class KeyHeader(APIKeyHeader):
    param_name = "X-Api-Key"

    def authenticate(self, request, key):
        user = _user_for(key)
        if user is not None:
            request.user = user
        return user


class BearerKey(HttpBearer):
    def authenticate(self, request, token):
        user = _user_for(token)
        if user is not None:
            request.user = user
        return user


AUTH = [KeyHeader(), BearerKey(), django_auth]
