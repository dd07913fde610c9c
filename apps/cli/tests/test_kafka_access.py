"""The ACL file both the stack and the kafka-topics Job read."""

from __future__ import annotations

from pathlib import Path

import pytest

from dp_cli.stack.kafka_access import Acl, read_acls

REPO = Path(__file__).parents[3]


def test_the_shipped_acls_name_only_known_operations_resources_and_patterns() -> None:
    from confluent_kafka.admin import AclOperation, ResourcePatternType, ResourceType

    acls = read_acls(REPO / "k8s/base/kafka/acls.txt")
    assert {a.user for a in acls} == {"api", "stream"}
    for acl in acls:
        binding = acl.binding()  # raises on an unknown name
        assert binding.operation in set(AclOperation)
        assert binding.restype in {ResourceType.TOPIC, ResourceType.GROUP}
        assert binding.resource_pattern_type in set(ResourcePatternType)


def test_a_line_with_the_wrong_number_of_fields_is_refused_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "acls.txt"
    path.write_text("# users\napi WRITE TOPIC predictions LITERAL\napi READ TOPIC\n")
    with pytest.raises(ValueError, match=r"acls.txt:3: want 5 fields, got 3"):
        read_acls(path)


def test_comments_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "acls.txt"
    path.write_text("\n# x\napi WRITE TOPIC predictions LITERAL  # publish\n")
    assert read_acls(path) == [Acl("api", "WRITE", "TOPIC", "predictions", "LITERAL")]
