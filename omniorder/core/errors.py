"""Domain errors: services raise them, one handler maps them to HTTP, the CLI to exit codes.

Their messages are in the request's language (a job's `force_locale`, English in the CLI):
each is made with gettext where it is raised."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    status_code = 400
    cli_exit_code = 1  # what a CLI command exits with (2: the command cannot run here)
    details: dict = {}  # more keys for a JSON answer's body ({"opens_at": …})
    headers: dict = {}  # more response headers (a 503's Retry-After)
    heading: str | None = None  # an error page's heading, when not its status's usual one

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Closed(Conflict):
    """An order for now while the restaurant is closed; `opens_at` is when it opens next
    (ISO 8601 with the restaurant's offset), or None when no opening is planned."""

    def __init__(self, message: str, opens_at: str | None):
        super().__init__(message)
        self.details = {"opens_at": opens_at}


class Paused(Conflict):
    """An order for a time while online ordering is paused from the board; `resumes_at` is
    when the pause ends (ISO 8601 with the restaurant's offset), None when until resumed."""

    def __init__(self, message: str, resumes_at: str | None):
        super().__init__(message)
        self.details = {"resumes_at": resumes_at}


class SlotFull(Conflict):
    """A pickup slot that already holds `max_orders_per_slot` orders; `next_slot` is the
    start of the next slot with room (ISO 8601 with offset), None when none within a week."""

    def __init__(self, message: str, next_slot: str | None):
        super().__init__(message)
        self.details = {"next_slot": next_slot}


class PaymentDeclined(DomainError):
    """A card payment the customer's bank or Stripe refused (the decline's own words): 402."""

    status_code = 402


class ProviderUnavailable(DomainError):
    """Another company's server (Stripe) did not answer in time or answered with an error:
    502. Whatever was committed before asking it stays (an order awaiting its payment)."""

    status_code = 502


class Unavailable(DomainError):
    """Not served for now (a restaurant an operator suspended): 503 with Retry-After."""

    status_code = 503
    heading = _l("Temporarily unavailable")

    def __init__(self, message: str, retry_after_seconds: int):
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after_seconds)}


class Unprocessable(DomainError):
    """Well-formed input that contradicts what the server already holds (a reused key)."""

    status_code = 422


class Invalid(DomainError):
    """Bad input; `fields` maps each offending field to its message."""

    status_code = 400

    def __init__(
        self,
        field: str | None = None,
        message: str | None = None,
        *,
        fields: dict[str, str] | None = None,
    ):
        self.fields = dict(fields or {})
        if field is not None:
            self.fields[field] = _("is invalid") if message is None else message
        super().__init__("; ".join(f"{name}: {text}" for name, text in self.fields.items()))


class BrokenRule(Invalid):
    """Well-formed input that breaks a rule a JSON Schema cannot state: opening ranges that
    overlap, an option group whose max is below its min, two options of one name, a tip above
    the subtotal. 422, so that a client tells it from malformed input (400): the OpenAPI
    document declares it where it can happen, and schemathesis accepts it (schemathesis.toml)."""

    status_code = 422


def labelled(label: str, message: str) -> str:
    """A field's message as one sentence ("Email must be …."), the label where the language
    puts it."""
    return _("%(label)s %(message)s.", label=label, message=message)


def check_fields(checks: dict, into: dict | None = None) -> dict:
    """Run every check (field → a callable returning the clean value) and return the values;
    one `Invalid` naming every bad field, so a form or an API caller hears of all at once
    (a `BrokenRule` when each of them broke a rule). `into` receives each value as it is made,
    for checks that depend on earlier ones."""
    values = {} if into is None else into
    problems, malformed = {}, False
    for field, check in checks.items():
        try:
            values[field] = check()
        except Invalid as error:
            problems.update(error.fields)
            malformed = malformed or not isinstance(error, BrokenRule)
    if problems:
        raise (Invalid if malformed else BrokenRule)(fields=problems)
    return values
