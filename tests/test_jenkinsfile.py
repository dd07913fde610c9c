"""The Jenkinsfile's contract (Jenkins does not run here): every `sh` step is `make <target>` for
targets the Makefile has, and each of those targets runs in this repository's own CI, i.e. is
reached from `make test` through prerequisites, `$(MAKE) …` recipe lines, or `make …` lines of
the scripts those recipes run. The Makefile is read as make reads it: rules and recipe lines."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).parents[1]
RULE = re.compile(r"^([a-zA-Z0-9_-]+):(?!=)([^#\n]*)", re.MULTILINE)
MAKE_CALL = re.compile(r"(?:\$\(MAKE\)|(?<![\w/.-])make)\s+([^;&|'\"\n\\]*)")
ECHO = re.compile(r"\becho\s+(\"[^\"]*\"|'[^']*')")  # what a script says is not what it runs
SCRIPT = re.compile(r"\bbash\s+(dev/[\w/.-]+\.sh)")
SH_STEP = re.compile(r"\bsh\s+'([^']*)'|\bsh\s+\"([^\"]*)\"")


def rules() -> dict[str, tuple[list[str], str]]:
    """Target → (prerequisites, recipe text), from the Makefile's own lines."""
    text = (REPO / "Makefile").read_text()
    found: dict[str, tuple[list[str], str]] = {}
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = RULE.match(line)
        if not match or line.startswith(".PHONY"):
            continue
        recipe = []
        for following in lines[index + 1 :]:
            if not following.startswith("\t") and not (recipe and recipe[-1].endswith("\\")):
                break
            recipe.append(following)
        found[match.group(1)] = (match.group(2).split(), "\n".join(recipe))
    return found


def targets_called(text: str) -> set[str]:
    """The targets `make` / `$(MAKE)` invocations in `text` name (options and VAR=value aside)."""
    called = set()
    commands = "\n".join(
        ECHO.sub("", re.sub(r"\s#\s.*$", "", line))
        for line in text.splitlines()
        if not line.strip().lstrip("@").startswith("#")
    )
    for match in MAKE_CALL.finditer(commands):
        words = match.group(1).split()
        if "-C" in words:
            continue  # another directory's Makefile (dags/): its own CI
        called |= {w for w in words if not w.startswith("-") and "=" not in w and "$" not in w}
    return called


def reached_from(start: str) -> set[str]:
    """Every target `make <start>` runs, following prerequisites, recipes and their scripts."""
    table = rules()
    seen: set[str] = set()
    todo = [start]
    while todo:
        target = todo.pop()
        if target in seen or target not in table:
            continue
        seen.add(target)
        prerequisites, recipe = table[target]
        scripts = "\n".join((REPO / s).read_text() for s in SCRIPT.findall(recipe))
        todo += prerequisites + sorted(targets_called(recipe) | targets_called(scripts))
    return seen


def jenkins_steps() -> list[str]:
    text = (REPO / "Jenkinsfile").read_text()
    return [single or double for single, double in SH_STEP.findall(text)]


def test_the_makefile_reader_sees_the_known_structure() -> None:
    table = rules()
    assert {"test", "lint", "unit", "images", "pods-test", "release"} <= set(table)
    assert "setup" in table["lint"][0]
    assert targets_called("$(MAKE) --no-print-directory -C dags test") == set()
    assert targets_called("make --no-print-directory release RELEASE_REPO=/x MODEL_VERSION=1") == {
        "release"
    }


def test_every_sh_step_is_a_make_target_that_ci_runs() -> None:
    steps = jenkins_steps()
    assert len(steps) >= 8, steps
    in_ci = reached_from("test")
    table = rules()
    for step in steps:
        argv = shlex.split(step)
        assert argv[0] == "make", f"`{step}` is not a make target"
        targets = [a for a in argv[1:] if not a.startswith("-") and "=" not in a]
        assert targets, f"`{step}` names no target"
        for target in targets:
            assert target in table, f"`{step}`: the Makefile has no target {target}"
            assert target in in_ci, f"`{step}`: {target} never runs in CI (make test)"


@pytest.mark.parametrize("stage", ["images", "pods-test", "stack-test", "release", "unit"])
def test_the_delivery_loop_is_all_there(stage: str) -> None:
    assert any(f"make {stage}" in step for step in jenkins_steps())


def test_the_agent_pod_template_is_valid_yaml_with_a_daemonless_builder() -> None:
    text = (REPO / "Jenkinsfile").read_text()
    template = yaml.safe_load(text.split("yaml '''", 1)[1].split("'''", 1)[0])
    containers = {c["name"]: c for c in template["spec"]["containers"]}
    assert {"builder", "podman"} <= set(containers)
    podman = containers["podman"]
    assert podman["securityContext"].get("privileged") is not True
    assert podman["securityContext"]["runAsUser"] != 0
    assert "container('podman') { sh 'make pods-test' }" in text
