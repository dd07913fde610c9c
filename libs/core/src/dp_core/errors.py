"""Failures a user can fix, told in one line that names the service, instead of a traceback."""

from __future__ import annotations

from dp_core.secrets import SecretError
from dp_core.settings import Settings


class MissingDependency(RuntimeError):
    """This environment lacks a module or tool a command needs; the message names them."""


class CheckFailed(RuntimeError):
    """A release check found the served path answering otherwise than the registry says."""


def explain(exc: BaseException, settings: Settings) -> str | None:
    """A one-line explanation of `exc` when it is a known, user-fixable failure; else None."""
    if isinstance(exc, SecretError | MissingDependency | CheckFailed):
        return str(exc)
    if isinstance(exc, PermissionError) and settings.storage.endpoint_url:
        return (
            f"S3 at {settings.storage.endpoint_url} refused the credentials from the secret store "
            f"(secret 's3'): {exc}"
        )
    if isinstance(exc, ConnectionError) and settings.storage.endpoint_url:
        return f"S3 at {settings.storage.endpoint_url} is unreachable: {exc}"
    return None
