"""Fixtures: the API on fakes of its dependencies, in process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from apps.api.tests.fakes import FakeEvents, FakeFeatures, FakeModel
from dp_api.app import create_app
from dp_core.resources import Resources
from dp_core.settings import Settings


@pytest.fixture
def fakes() -> tuple[FakeFeatures, FakeModel]:
    return FakeFeatures(), FakeModel()


@pytest.fixture
def events() -> FakeEvents:
    return FakeEvents()


@pytest.fixture
def client(
    settings: Settings, fakes: tuple[FakeFeatures, FakeModel], events: FakeEvents
) -> Iterator[TestClient]:
    features, model = fakes
    app = create_app(Resources(settings), features=features, model=model, events=events)  # type: ignore[arg-type]
    with TestClient(app) as test_client:
        yield test_client
