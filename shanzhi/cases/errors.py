"""Errors of the case kernel carry a machine-readable code beside the Chinese message."""

from __future__ import annotations


class CaseError(Exception):
    code = "case_error"
    status = 400

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class Conflict(CaseError):
    """The case is no longer where the actor saw it (someone acted first), or the move is not
    allowed from its present state: HTTP 409, the page shows the message and the current state."""

    code = "conflict"
    status = 409
