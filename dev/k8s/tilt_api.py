"""The part of Tilt's Starlark API our Tiltfile uses, recorded instead of run.

Each builtin checks its arguments the way Tilt would reject them (unknown keywords, missing
files) and records what it declares, so the checks can ask: does every file, image and resource
the Tiltfile names exist?
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import starlark as sl

PRELUDE = """
config = struct(define_bool=_config_define_bool, define_string=_config_define_string,
                parse=_config_parse)
"""
KEYWORDS = {
    "docker_build": {"dockerfile", "only", "live_update", "build_args", "target", "entrypoint"},
    "local_resource": {"serve_cmd", "resource_deps", "labels", "trigger_mode", "auto_init", "deps"},
    "k8s_resource": {"labels", "resource_deps", "port_forwards", "trigger_mode", "auto_init"},
    "k8s_yaml": set(),
    "kustomize": set(),
    "allow_k8s_contexts": set(),
    "sync": set(),
    "run": {"trigger"},
    "fall_back_on": set(),
}


class TiltfileError(ValueError):
    """The Tiltfile would not load in Tilt, or names something that does not exist."""


@dataclass
class Declared:
    images: dict[str, dict[str, Any]] = field(default_factory=dict)
    k8s_resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    local_resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    kustomize_paths: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    contexts: list[str] = field(default_factory=list)


def evaluate(tiltfile: Path, config: dict[str, Any]) -> Declared:
    """Evaluate `tiltfile` with `config` as `tilt_config.json`; return what it declared."""
    repo = tiltfile.parent
    seen = Declared()

    def builtin(name: str, action: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            unknown = set(kwargs) - KEYWORDS[name]
            if unknown:
                raise TiltfileError(f"{name}() got unknown keywords {sorted(unknown)}")
            return action(*args, **kwargs)

        return call

    def must_exist(path: str) -> str:
        if not (repo / path).exists():
            raise TiltfileError(f"the Tiltfile names {path}, which does not exist")
        seen.files.append(path)
        return path

    def docker_build(ref: str, context: str, **kwargs: Any) -> None:
        must_exist(context)
        must_exist(kwargs.get("dockerfile", "Dockerfile"))
        for path in kwargs.get("only", []):
            must_exist(path)
        seen.images[ref] = kwargs

    def sync(local: str, remote: str) -> dict[str, str]:
        return {"sync": must_exist(local), "to": remote}

    def fall_back_on(paths: list[str]) -> dict[str, list[str]]:
        return {"fall_back_on": [must_exist(p) for p in paths]}

    def run(command: str, **kwargs: Any) -> dict[str, Any]:
        return {"run": command, "trigger": [must_exist(p) for p in kwargs.get("trigger", [])]}

    def kustomize(path: str) -> str:
        seen.kustomize_paths.append(must_exist(path))
        return path

    def local_resource(name: str, cmd: str = "", **kwargs: Any) -> None:
        seen.local_resources[name] = {"cmd": cmd, **kwargs}

    def k8s_resource(name: str, **kwargs: Any) -> None:
        merged = seen.k8s_resources.setdefault(name, {})
        merged.update(kwargs)

    module = sl.Module()
    callables = {
        "docker_build": docker_build,
        "sync": sync,
        "fall_back_on": fall_back_on,
        "run": run,
        "kustomize": kustomize,
        "k8s_yaml": lambda value: None,
        "local_resource": local_resource,
        "k8s_resource": k8s_resource,
        "allow_k8s_contexts": lambda contexts: seen.contexts.extend(contexts),
    }
    for name, action in callables.items():
        module.add_callable(name, builtin(name, action))
    module.add_callable("_config_define_bool", lambda name: None)
    module.add_callable("_config_define_string", lambda name: None)
    module.add_callable("_config_parse", lambda: dict(config))
    module["TRIGGER_MODE_MANUAL"] = "manual"
    module["TRIGGER_MODE_AUTO"] = "auto"
    globals_ = sl.Globals.extended_by([sl.LibraryExtension.StructType, sl.LibraryExtension.Print])
    ast = sl.parse("Tiltfile", PRELUDE + tiltfile.read_text(), sl.Dialect.extended())
    try:
        sl.eval(module, ast, globals_)
    except sl.StarlarkError as exc:
        raise TiltfileError(str(exc)) from exc
    return seen
