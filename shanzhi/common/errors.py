"""Turning a ValidationError into what a page shows: one line, or one line per field."""

from django.core.exceptions import ValidationError


def error_fields(exc: ValidationError) -> dict[str, str]:
    if hasattr(exc, "message_dict"):
        return {field: "；".join(msgs) for field, msgs in exc.message_dict.items()}
    return {"_": "；".join(exc.messages)}


def error_text(exc: ValidationError) -> str:
    return "；".join(error_fields(exc).values())
