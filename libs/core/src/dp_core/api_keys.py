"""What a client of the API sends to be let in: its key from the secret store, when the target
requires keys (`api.auth = "api_key"`; the API's side is `dp_api.auth`)."""

from __future__ import annotations

from dp_core.resources import Resources

KEYS_PATH = "api-keys"


def api_headers(resources: Resources, client: str = "dev") -> dict[str, str]:
    """`Authorization: Bearer <key>` for `client`, or nothing where the API needs no key."""
    if resources.settings.api.auth == "none":
        return {}
    return {"Authorization": f"Bearer {resources.secrets.get(KEYS_PATH)[client]}"}
