"""The part of Tilt's Starlark API our Tiltfile uses, recorded (and, where asked, run).

Each builtin checks its arguments the way Tilt would reject them (unknown keywords, missing
files) and records what it declares, so the checks can ask: does every file, image and resource
the Tiltfile names exist? With `run=True` the builtins that Tilt executes while loading the
Tiltfile do execute, in the Tiltfile's folder: `local()` runs its command and `kustomize()`
renders with kubectl. Evaluated in a copy of a fresh clone, that is what `tilt up` would meet.
"""

from __future__ import annotations

import subprocess
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
    "local": {"quiet", "echo_off", "env", "dir", "command_bat"},
}


class TiltfileError(ValueError):
    """The Tiltfile would not load in Tilt, or names something that does not exist."""


@dataclass
class Declared:
    images: dict[str, dict[str, Any]] = field(default_factory=dict)
    k8s_resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    local_resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    kustomize_paths: list[str] = field(default_factory=list)
    rendered: dict[str, str] = field(default_factory=dict)
    local_commands: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    contexts: list[str] = field(default_factory=list)


def evaluate(tiltfile: Path, config: dict[str, Any], run: bool = False) -> Declared:
    """Evaluate `tiltfile` with `config` as `tilt_config.json`; return what it declared.
    `run`: execute `local()` and `kustomize()` as Tilt does while loading."""
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

    def live_run(command: str, **kwargs: Any) -> dict[str, Any]:
        return {"run": command, "trigger": [must_exist(p) for p in kwargs.get("trigger", [])]}

    def kustomize(path: str) -> str:
        seen.kustomize_paths.append(must_exist(path))
        if not run:
            return path
        done = subprocess.run(
            ["kubectl", "kustomize", path], cwd=repo, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise TiltfileError(f"kustomize('{path}') fails while loading: {done.stderr.strip()}")
        seen.rendered[path] = done.stdout
        return done.stdout

    def local(command: str, **kwargs: Any) -> str:
        seen.local_commands.append(command)
        if not run:
            return ""
        done = subprocess.run(command, shell=True, cwd=repo, capture_output=True, text=True)
        if done.returncode != 0:
            raise TiltfileError(f"local('{command}') fails while loading: {done.stderr.strip()}")
        return done.stdout

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
        "run": live_run,
        "kustomize": kustomize,
        "local": local,
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
