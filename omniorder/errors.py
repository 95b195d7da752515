"""Domain errors: services raise them, one handler maps them to HTTP, the CLI to exit codes."""


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Unprocessable(DomainError):
    """Well-formed input that contradicts what the server already holds (a reused key)."""

    status_code = 422


class Invalid(DomainError):
    """Bad input; `fields` maps each offending field to its message."""

    status_code = 400

    def __init__(self, field: str | None = None, message: str = "is invalid", *,
                 fields: dict[str, str] | None = None):
        self.fields = dict(fields or {})
        if field is not None:
            self.fields[field] = message
        super().__init__("; ".join(f"{name}: {text}" for name, text in self.fields.items()))
