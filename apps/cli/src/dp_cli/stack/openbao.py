"""Least privilege on the stack's OpenBao: one policy per workload, one token per service.

The policies are the HCL files the clusters use (`k8s/base/openbao/policies/<workload>.hcl`);
each service of `dp stack` gets a token carrying only its workload's policy, so a service reads
its own secrets and is refused the others, as in a cluster with Kubernetes auth. The root token
stays with the operator (`dp stack`, the `dp` steps run by hand).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

POLICIES = Path("k8s/base/openbao/policies")
# Long enough for a development stack that is up for days; clusters use 1 h (Kubernetes auth).
STACK_TOKEN_TTL = "720h"


def write_policies(client: Any, repo: Path) -> list[str]:
    """Every workload's policy into OpenBao; their names."""
    names = []
    files = sorted((repo / POLICIES).glob("*.hcl"))
    if not files:
        raise FileNotFoundError(f"no OpenBao policies in {repo / POLICIES}: run dp from the repo")
    for path in files:
        client.sys.create_or_update_acl_policy(name=path.stem, policy=path.read_text())
        names.append(path.stem)
    return names


def mint_token(
    client: Any, workload: str, ttl: str = STACK_TOKEN_TTL, policies: list[str] | None = None
) -> str:
    """A token with the workload's policy only (no root, no other workload's); an orchestrator
    that runs several workloads' steps gets exactly their `policies`."""
    answer = client.auth.token.create(
        policies=policies or [workload],
        ttl=ttl,
        renewable=True,
        display_name=f"stack-{workload}",
        meta={"workload": workload},
    )
    return str(answer["auth"]["client_token"])


def token_file(root: Path, workload: str) -> Path:
    return root / "tokens" / workload
