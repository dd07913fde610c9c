"""Parse the DAGs as the runtime does, in a throwaway AIRFLOW_HOME, for a chosen runner."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    home = tmp_path_factory.mktemp("airflow")
    os.environ["AIRFLOW_HOME"] = str(home)
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"


@pytest.fixture
def dagbag(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], object]:
    """The DagBag of this repository with `DP_RUNNER` set to the runner given."""

    def parse(runner: str) -> object:
        from airflow.dag_processing.dagbag import DagBag

        monkeypatch.setenv("DP_RUNNER", runner)
        monkeypatch.setenv("DP_COMMAND", "dp")
        return DagBag(dag_folder=REPO, bundle_path=REPO, bundle_name="dags", safe_mode=False)

    return parse
