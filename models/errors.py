"""Domain errors carry a code that the handlers translate (`error.<code>` in the catalogs)."""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused an action; `code` picks the message, `params` fill it."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message_key(self) -> str:
        return f"error.{self.code}"
