"""The `pods` target: the kind overlay's own workloads, from the registry's images, run by
`podman kube play` on the host network against the stack's infrastructure processes.

`manifests` turns the rendered overlay into what podman runs (pure, unit-tested); `runner`
renders, plays, waits on the manifests' own readiness probes, runs Jobs to completion and
tears down; `commands` is `dp pods up|down|job|status`. What podman cannot reproduce is listed
in e2e/targets/pods.toml and docs/deployment/kind.md.
"""
