"""The champion model: loaded from MLflow by alias and followed when the alias moves."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import lightgbm as lgb
import numpy as np

from dp_core.inference import ModelUnavailable
from dp_core.logs import get_logger
from dp_core.settings import MlflowSettings

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


def champion_version(client: MlflowClient, settings: MlflowSettings) -> str:
    from mlflow.exceptions import MlflowException

    try:
        return str(
            client.get_model_version_by_alias(settings.model_name, settings.champion_alias).version
        )
    except MlflowException as exc:
        raise ModelUnavailable(
            f"no '{settings.champion_alias}' version of '{settings.model_name}' in MLflow at "
            f"{settings.tracking_uri}; run `dp train`"
        ) from exc


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


class Champion:
    """The current champion, reloaded by a background thread when the alias points elsewhere."""

    def __init__(self, client: MlflowClient, settings: MlflowSettings, poll_seconds: float) -> None:
        self._client = client
        self._settings = settings
        self._poll_seconds = poll_seconds
        self._model: LoadedModel | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def model(self) -> LoadedModel:
        if self._model is None:
            raise ModelUnavailable("the champion model is not loaded yet")
        return self._model

    def refresh(self) -> bool:
        """Load the alias's version if it differs from the one held; True when it changed."""
        version = champion_version(self._client, self._settings)
        if self._model is not None and self._model.version == version:
            return False
        self._model = load_version(self._settings, version)
        log.info("champion_loaded", model=self._settings.model_name, version=version)
        return True

    def follow(self) -> None:
        """Load now if there is a champion, then poll the alias in a daemon thread."""
        try:
            self.refresh()
        except ModelUnavailable as exc:
            log.warning("champion_not_loaded", reason=str(exc))
        if self._poll_seconds > 0 and self._thread is None:
            self._thread = threading.Thread(
                target=self._poll, name="champion-follower", daemon=True
            )
            self._thread.start()

    def _poll(self) -> None:
        while not self._stop.wait(self._poll_seconds):
            try:
                self.refresh()
            except Exception as exc:  # keep serving the loaded version; say why
                log.warning("champion_refresh_failed", error=str(exc))

    def stop(self) -> None:
        self._stop.set()
