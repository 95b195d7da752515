"""Operator commands (``flask tenants|db|analytics|orders|menu|demo|worker|jobs|cluster``): thin
wrappers over the same services the HTTP API calls, one module per capability.

Each command that changes data is one unit of work (`command`): it commits at its end and
rolls back on any failure. Every failure ends in one readable line and a non-zero exit code:
2 for bad input (and a cluster command on plain PostgreSQL), 1 for everything else
(conflicts, unknown tenants, failed migrations).
"""

import functools

import click
from sqlalchemy.exc import DataError

from omniorder.core.errors import DomainError, Invalid
from omniorder.core.unit_of_work import unit_of_work

jobs_option = click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Tenant schemas worked on in parallel (processes).",
)


def command(function):
    """Run a command as one unit of work and turn a service's domain error (or input
    PostgreSQL cannot store) into click's one-line error and exit code."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            with unit_of_work():
                return function(*args, **kwargs)
        except Invalid as error:
            raise click.UsageError(error.message) from None
        except DomainError as error:
            failure = click.ClickException(error.message)
            failure.exit_code = error.cli_exit_code
            raise failure from None
        except DataError as error:
            raise click.UsageError(
                "the input contains characters or values that cannot be "
                f"stored: {str(error.orig).splitlines()[0]}"
            ) from None

    return wrapper
