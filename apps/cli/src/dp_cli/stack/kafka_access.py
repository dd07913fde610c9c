"""Who may do what on Kafka: the workloads' SCRAM users and exactly the ACLs of `acls.txt`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dp_core.kafka import SCRAM

if TYPE_CHECKING:
    from confluent_kafka.admin import AclBinding, AdminClient

SCRAM_ITERATIONS = 8192


@dataclass(frozen=True)
class Acl:
    """One allowed operation of a user on a topic or group (a name or a name prefix)."""

    user: str
    operation: str
    resource: str
    name: str
    pattern: str

    def binding(self) -> AclBinding:
        from confluent_kafka.admin import (
            AclBinding,
            AclOperation,
            AclPermissionType,
            ResourcePatternType,
            ResourceType,
        )

        return AclBinding(
            ResourceType[self.resource],
            self.name,
            ResourcePatternType[self.pattern],
            f"User:{self.user}",
            "*",
            AclOperation[self.operation],
            AclPermissionType.ALLOW,
        )


def read_acls(path: Path) -> list[Acl]:
    """The ACL file: `user operation resource-type name pattern-type` per line, `#` comments."""
    acls = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) != 5:
            raise ValueError(f"{path}:{number}: want 5 fields, got {len(fields)}: {line!r}")
        acls.append(Acl(*fields))
    return acls


def apply_kafka_access(admin: AdminClient, passwords: dict[str, str], acls: list[Acl]) -> None:
    """Set each user's SCRAM password, add the declared ACLs and remove any other ACL, so the
    brokers allow exactly what the file says (a dropped line is a revoked right)."""
    from confluent_kafka.admin import (
        AclBindingFilter,
        AclOperation,
        AclPermissionType,
        ResourcePatternType,
        ResourceType,
        ScramCredentialInfo,
        ScramMechanism,
        UserScramCredentialAlteration,
        UserScramCredentialUpsertion,
    )

    mechanism = ScramMechanism[SCRAM.replace("-", "_")]
    upserts: list[UserScramCredentialAlteration] = [
        UserScramCredentialUpsertion(
            user, ScramCredentialInfo(mechanism, SCRAM_ITERATIONS), password.encode()
        )
        for user, password in sorted(passwords.items())
    ]
    for future in admin.alter_user_scram_credentials(upserts).values():
        future.result(timeout=30)
    wanted = {acl.binding() for acl in acls}
    anything: Any = None  # librdkafka's "any name, principal or host" (typed as str)
    every = AclBindingFilter(
        ResourceType.ANY,
        anything,
        ResourcePatternType.ANY,
        anything,
        anything,
        AclOperation.ANY,
        AclPermissionType.ANY,
    )
    present = set(admin.describe_acls(every).result(timeout=30))
    stale = [
        AclBindingFilter(
            b.restype,
            b.name,
            b.resource_pattern_type,
            b.principal,
            b.host,
            b.operation,
            b.permission_type,
        )
        for b in present - wanted
    ]
    if stale:
        for future in admin.delete_acls(stale).values():
            future.result(timeout=30)
    if wanted - present:
        for future in admin.create_acls(sorted(wanted - present, key=str)).values():
            future.result(timeout=30)
