"""The committed dashboards are what their code writes, and Grafana's provisioning loads each."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).parents[1]
DASHBOARDS = REPO / "k8s/base/grafana/dashboards"


def test_the_committed_json_is_what_the_code_writes() -> None:
    done = subprocess.run(
        [sys.executable, "dev/grafana/dashboards.py", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_grafana_provisions_every_dashboard_with_the_provisioned_datasource() -> None:
    kustomization = yaml.safe_load((REPO / "k8s/base/grafana/kustomization.yaml").read_text())
    generator = next(
        g for g in kustomization["configMapGenerator"] if g["name"] == "grafana-dashboards"
    )
    assert sorted(generator["files"]) == sorted(
        f"dashboards/{p.name}" for p in DASHBOARDS.glob("*.json")
    )
    datasources = yaml.safe_load((REPO / "k8s/base/grafana/datasources.yaml").read_text())
    uids = {d["uid"] for d in datasources["datasources"]}
    for path in DASHBOARDS.glob("*.json"):
        for panel in json.loads(path.read_text())["panels"]:
            if panel["type"] != "row":
                assert panel["datasource"]["uid"] in uids, f"{path.name}: {panel['title']}"
                assert panel["targets"], f"{path.name}: {panel['title']} has no query"
