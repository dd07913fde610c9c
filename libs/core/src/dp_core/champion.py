"""Registered models by alias (the champion, the challenger): loaded from MLflow and followed
when the alias moves."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import lightgbm as lgb
import numpy as np

from dp_core.inference import ModelUnavailable
from dp_core.logs import get_logger
from dp_core.settings import MlflowSettings, Settings

if TYPE_CHECKING:
    from mlflow import MlflowClient

log = get_logger(__name__)


@dataclass(frozen=True)
class LoadedModel:
    name: str
    version: str
    booster: lgb.Booster
    signature: Any = None  # the registered version's MLflow ModelSignature (inputs and outputs)

    def score(self, inputs: np.ndarray) -> np.ndarray:
        """Fraud probability per row of model inputs."""
        return np.asarray(self.booster.predict(inputs, num_threads=1), dtype="float64")


def served_name(settings: MlflowSettings, alias: str) -> str:
    """The model server's name for the version under `alias`: the champion keeps the model's
    name (what clients call), any other alias is `<model>-<alias>`."""
    if alias == settings.champion_alias:
        return settings.model_name
    return f"{settings.model_name}-{alias}"


def alias_version(client: MlflowClient, settings: MlflowSettings, alias: str) -> str:
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(settings.model_name, alias).version)
    except MlflowException as exc:
        raise ModelUnavailable(
            f"no '{alias}' version of '{settings.model_name}' in MLflow at "
            f"{settings.tracking_uri}; run `dp train` (and `dp promote`)"
        ) from exc


def champion_version(client: MlflowClient, settings: MlflowSettings) -> str:
    return alias_version(client, settings, settings.champion_alias)


def pinned_version(settings: Settings, alias: str) -> str:
    """The version served under `alias` whatever the alias says: `model_server.pinned_version`
    for the champion (a GitOps release pins it on oci), else none ("")."""
    return settings.model_server.pinned_version if alias == settings.mlflow.champion_alias else ""


def served_version(client: MlflowClient, settings: Settings, alias: str) -> str:
    """The version a model server of these settings serves under `alias`."""
    return pinned_version(settings, alias) or alias_version(client, settings.mlflow, alias)


def load_version(settings: MlflowSettings, version: str) -> LoadedModel:
    """The native LightGBM booster of one registered version (not the pyfunc wrapper), from the
    registry `Resources.mlflow` pointed MLflow at."""
    import mlflow.lightgbm
    import mlflow.models
    from mlflow.exceptions import MlflowException

    uri = f"models:/{settings.model_name}/{version}"
    try:
        booster = mlflow.lightgbm.load_model(uri)
        signature = mlflow.models.get_model_info(uri).signature
    except (MlflowException, OSError) as exc:
        raise ModelUnavailable(
            f"version {version} of '{settings.model_name}' could not be loaded: {exc}"
        ) from exc
    return LoadedModel(settings.model_name, version, booster, signature)


class AliasedModel:
    """The version an alias names, reloaded by a background thread when the alias moves; or,
    when `pinned`, that version and no other."""

    def __init__(
        self,
        client: MlflowClient,
        settings: MlflowSettings,
        alias: str,
        poll_seconds: float,
        pinned: str = "",
    ) -> None:
        self._client = client
        self._settings = settings
        self.alias = alias
        self.pinned = pinned
        self._poll_seconds = 0 if pinned else poll_seconds
        self._model: LoadedModel | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def model(self) -> LoadedModel:
        if self._model is None:
            raise ModelUnavailable(f"the '{self.alias}' model is not loaded yet")
        return self._model

    def refresh(self) -> bool:
        """Load the alias's (or the pinned) version if it differs from the one held; True when
        it changed."""
        version = self.pinned or alias_version(self._client, self._settings, self.alias)
        if self._model is not None and self._model.version == version:
            return False
        self._model = load_version(self._settings, version)
        log.info("model_loaded", model=self._settings.model_name, alias=self.alias, version=version)
        return True

    def follow(self) -> None:
        """Load now if the alias names a version, then poll the alias in a daemon thread."""
        try:
            self.refresh()
        except ModelUnavailable as exc:
            log.warning("model_not_loaded", alias=self.alias, reason=str(exc))
        if self._poll_seconds > 0 and self._thread is None:
            self._thread = threading.Thread(
                target=self._poll, name=f"{self.alias}-follower", daemon=True
            )
            self._thread.start()

    def _poll(self) -> None:
        said = ""
        while not self._stop.wait(self._poll_seconds):
            try:
                self.refresh()
                said = ""
            except Exception as exc:  # keep serving the loaded version; say why, once
                if str(exc) != said:
                    log.warning("model_refresh_failed", alias=self.alias, error=str(exc))
                    said = str(exc)

    def stop(self) -> None:
        self._stop.set()
