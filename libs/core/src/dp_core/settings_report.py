"""Where each resolved setting came from, for `dp settings show` (secrets masked)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from dp_core.settings import ENV_FILE, Settings, load_profile

PREFIX, NESTING = "DP_", "__"
SECRET_KEY = re.compile(r"password|secret|token(?!_file)|credential", re.IGNORECASE)
URL_USERINFO = re.compile(r"(://[^:/@]+:)[^@]+@")
INLINE_PASSWORD = re.compile(r"(password=)[^,\s]+", re.IGNORECASE)
MASK = "****"


def describe(settings: Settings) -> list[tuple[str, str, str]]:
    """(dotted key, value, source) for every leaf setting, highest source named."""
    layers = [
        ("environment", _from_variables(dict(os.environ))),
        (ENV_FILE, _from_variables(_dotenv())),
        (f"profiles/{settings.target}.toml", _flatten(load_profile(settings.target))),
    ]
    defaults = _flatten(Settings.model_construct().model_dump(mode="json"))
    rows = []
    for key, value in _flatten(settings.model_dump(mode="json")).items():
        source = next((name for name, layer in layers if _provides(layer, key)), None)
        if source is None:
            source = "default" if defaults.get(key) == value else "derived"
        if key == "target":
            source = "argument or DP_TARGET" if source in ("default", "derived") else source
        rows.append((key, mask(key, value), source))
    return rows


def mask(key: str, value: Any) -> str:
    text = str(value)
    if SECRET_KEY.search(key.rsplit(".", 1)[-1]):
        return MASK
    return INLINE_PASSWORD.sub(rf"\g<1>{MASK}", URL_USERINFO.sub(rf"\g<1>{MASK}@", text))


def _provides(layer: dict[str, Any], key: str) -> bool:
    """A layer provides a key itself or a whole dict above it (an online store given as JSON)."""
    parts = key.split(".")
    return any(".".join(parts[:n]) in layer for n in range(1, len(parts) + 1))


def _dotenv() -> dict[str, str]:
    if not Path(ENV_FILE).is_file():
        return {}
    return {k: v for k, v in dotenv_values(ENV_FILE).items() if v is not None}


def _from_variables(variables: dict[str, str]) -> dict[str, Any]:
    return {
        name[len(PREFIX) :].lower().replace(NESTING, "."): value
        for name, value in variables.items()
        if name.startswith(PREFIX)
    }


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict) and value:
            flat |= _flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat
