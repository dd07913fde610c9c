"""The Open Inference Protocol's parts KServe leaves out, over REST and gRPC alike.

KServe (0.15/0.16) answers `NotImplementedError` for the `versions/{version}` routes, ignores the
version of a gRPC request, and fixes `platform` to "" and `versions` to none in the metadata.
Here a served model names the MLflow version it holds (`versions`), the platform is LightGBM's,
and a request for a version is answered by that version or refused with 404 — a client that pins
a version never gets another one silently (docs/adr/0018). The subclasses below take KServe's
places by two module names (`install`), the only private surface this package relies on; the
e2e conformance test runs a v2 client we did not write against every route, so a KServe upgrade
that moves them fails there.
"""

from __future__ import annotations

from typing import Any

import kserve.model_server
import kserve.protocol.grpc.server
from fastapi import APIRouter, FastAPI, Request, Response
from kserve.errors import ModelNotFound, ModelNotReady
from kserve.protocol.dataplane import DataPlane
from kserve.protocol.grpc import grpc_predict_v2_pb2 as pb
from kserve.protocol.grpc.servicer import InferenceServicer
from kserve.protocol.infer_type import InferRequest
from kserve.protocol.rest.server import RESTServer
from kserve.protocol.rest.v2_datamodels import (
    InferenceRequest,
    ModelMetadataResponse,
    ModelReadyResponse,
)
from kserve.protocol.rest.v2_endpoints import V2Endpoints

PLATFORM = "lightgbm"


class VersionNotServed(ModelNotFound):
    """A version this server does not hold under that name: 404 (REST), NOT_FOUND (gRPC)."""

    def __init__(self, name: str, version: str, served: list[str]) -> None:
        super().__init__(name)
        self.reason = f"model '{name}' version '{version}' is not served here (served: {served})"


class VersionedDataPlane(DataPlane):
    """KServe's data plane, with the platform, the served versions and version checks."""

    def check_version(self, name: str, version: str | None) -> None:
        """Refuse a version the named model does not hold right now (no version: any)."""
        if not version:
            return
        served = list(getattr(self.get_model_from_registry(name), "versions", []))
        if version not in served:
            raise VersionNotServed(name, version, served)

    async def model_metadata(
        self, model_name: str, model_version: str | None = None
    ) -> dict[str, Any]:
        self.check_version(model_name, model_version)
        metadata = await super().model_metadata(model_name)
        versions = list(getattr(self.get_model_from_registry(model_name), "versions", []))
        return {**metadata, "platform": PLATFORM, "versions": versions}

    async def infer(
        self, model_name: str, request: dict[str, Any] | InferRequest, headers: Any = None
    ) -> Any:
        # The version a request carries (gRPC's `model_version`; REST's route is checked by
        # the endpoint), and readiness, which KServe checks for REST only (gRPC would get the
        # model's own error instead of UNAVAILABLE).
        if isinstance(request, InferRequest):
            self.check_version(model_name, request.model_version)
        if not await self.model_ready(model_name, disable_predictor_health_check=True):
            raise ModelNotReady(model_name)
        return await super().infer(model_name, request, headers)


class VersionedEndpoints(V2Endpoints):
    """The REST routes with `versions/{version}` answered instead of refused."""

    dataplane: VersionedDataPlane

    async def model_metadata(
        self, model_name: str, model_version: str | None = None
    ) -> ModelMetadataResponse:
        metadata = await self.dataplane.model_metadata(model_name, model_version)
        return ModelMetadataResponse.model_validate(metadata)

    async def model_ready(
        self, model_name: str, model_version: str | None = None
    ) -> ModelReadyResponse:
        self.dataplane.check_version(model_name, model_version)
        return await super().model_ready(model_name)

    async def infer(
        self,
        raw_request: Request,
        raw_response: Response,
        model_name: str,
        request_body: InferenceRequest | bytes,
        model_version: str | None = None,
    ) -> Any:
        self.dataplane.check_version(model_name, model_version)
        return await super().infer(raw_request, raw_response, model_name, request_body)


class ProtocolRESTServer(RESTServer):
    """KServe's REST server with the versioned routes and JSON as the default body."""

    def _add_middlewares(self, app: FastAPI) -> None:
        super()._add_middlewares(app)
        app.add_middleware(JsonByDefault)

    def _register_endpoints(self, app: FastAPI) -> None:
        endpoints = VersionedEndpoints(self.dataplane, self.model_repository_extension)
        router = APIRouter(prefix="/v2", tags=["V2"])
        for version in ("", "/versions/{model_version}"):
            model = "/models/{model_name}" + version
            router.add_api_route(model, endpoints.model_metadata, methods=["GET"])
            router.add_api_route(f"{model}/ready", endpoints.model_ready, methods=["GET"])
            router.add_api_route(f"{model}/infer", endpoints.infer, methods=["POST"])
        app.include_router(router)  # first, so these win over KServe's routes of the same paths
        super()._register_endpoints(app)


class VersionedServicer(InferenceServicer):
    """KServe's gRPC service with the request's version honoured and the metadata complete."""

    _data_plane: VersionedDataPlane

    async def ModelReady(self, request: pb.ModelReadyRequest, context: Any) -> Any:  # noqa: N802
        self._data_plane.check_version(request.name, request.version)
        return await super().ModelReady(request, context)

    async def ModelMetadata(self, request: pb.ModelMetadataRequest, context: Any) -> Any:  # noqa: N802
        metadata = await self._data_plane.model_metadata(request.name, request.version)
        return pb.ModelMetadataResponse(**metadata)


class JsonByDefault:
    """An infer request without a binary-tensor header and with no or a generic content type is
    JSON, as the protocol's JSON form is the default: KServe would read it as binary and refuse
    it ("inference-header-content-length header is missing")."""

    GENERIC = frozenset({b"", b"text/plain", b"application/octet-stream", b"*/*"})

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/infer"):
            headers = dict(scope["headers"])
            kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            if b"inference-header-content-length" not in headers and kind in self.GENERIC:
                rest = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
                scope = {**scope, "headers": [*rest, (b"content-type", b"application/json")]}
        await self.app(scope, receive, send)


def install() -> None:
    """Make KServe's ModelServer build these servers: it names its classes, with no hook."""
    kserve.model_server.RESTServer = ProtocolRESTServer
    kserve.protocol.grpc.server.InferenceServicer = VersionedServicer
