from __future__ import annotations

import pandas as pd
import pytest

from dp_core.resources import Resources
from dp_core.secrets import EnvSecretStore, OpenBaoSecretStore, SecretError
from dp_core.settings import SecretsSettings, Settings
from dp_core.storage import ObjectStore, Zone

pytestmark = pytest.mark.core


def test_zone_uris_for_local_and_s3() -> None:
    local = ObjectStore("file:///lake/{zone}", {})
    s3 = ObjectStore("s3://dp-{zone}", {})
    assert local.uri(Zone.RAW, "transactions") == "file:///lake/raw/transactions"
    assert s3.uri(Zone.CURATED, "x") == "s3://dp-curated/x"
    assert s3.spark_uri(Zone.CURATED, "x") == "s3a://dp-curated/x"
    assert local.spark_uri(Zone.RAW) == "file:///lake/raw"


def test_parquet_round_trip_replaces_the_dataset(settings: Settings) -> None:
    store = Resources(settings).store
    uri = store.uri(Zone.STAGING, "t")
    frame = pd.DataFrame({"a": [1, 2, 3], "date": ["d1", "d1", "d2"]})
    store.write_parquet(frame, uri, ["date"])
    store.write_parquet(frame.head(2), uri, ["date"])
    back = store.read_parquet(uri).sort_values("a")
    assert back["a"].tolist() == [1, 2]
    assert [p.rsplit("/", 2)[-2] for p in store.list_files(uri, ".parquet")] == ["date=d1"]


def test_text_objects_and_removal(settings: Settings) -> None:
    store = Resources(settings).store
    uri = store.uri(Zone.CURATED, "x", "_validation", "s.json")
    store.write_text(uri, "{}")
    assert store.read_text(uri) == "{}"
    store.remove(store.uri(Zone.CURATED, "x"))
    assert not store.exists(uri)


def test_env_secret_store_reads_prefixed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DP_SECRET_S3_ACCESS_KEY", "ak")
    monkeypatch.setenv("DP_SECRET_S3_SECRET_KEY", "sk")
    assert EnvSecretStore().get("s3") == {
        "access_key": "ak",
        "secret_key": "sk",  # pragma: allowlist secret
    }  # pragma: allowlist secret


def test_unreachable_openbao_names_the_service() -> None:
    store = OpenBaoSecretStore(SecretsSettings(backend="openbao", url="http://127.0.0.1:9"))
    with pytest.raises(SecretError, match=r"OpenBao at http://127.0.0.1:9 is unreachable"):
        store.get("s3")
