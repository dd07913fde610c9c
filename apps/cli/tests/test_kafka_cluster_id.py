"""The stack's Kafka cluster id is one argument a command line cannot mistake for an option."""

import base64
import uuid

from dp_cli.stack import services


def test_a_cluster_id_never_starts_with_a_dash(monkeypatch):
    # 0xF8 encodes to "-" as the first URL-safe base64 character; the second draw does not.
    draws = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=b"\x01" + bytes(15))])
    monkeypatch.setattr(services.uuid, "uuid4", lambda: next(draws))

    cluster_id = services.new_kafka_cluster_id()

    assert cluster_id == "AQAAAAAAAAAAAAAAAAAAAA"
    assert base64.urlsafe_b64decode(cluster_id + "==") == b"\x01" + bytes(15)
