# data-platform: every entry point a developer, CI, Tilt or a Job uses. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
# uv runs from the base interpreter, never a venv's: a make nested in `dp stack run` or
# `dp pods run` (or run from an activated venv) finds the venv's python3 first, without uv or pip.
SYSTEM_PYTHON ?= $(shell python3 -c 'import sys; print(sys.base_prefix + "/bin/python3")')
export SYSTEM_PYTHON
UV := $(SYSTEM_PYTHON) -m uv
RUN := $(UV) run --frozen
TARGET ?= embedded
export DP_TARGET := $(TARGET)

##@ Help
.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make \033[36m<target>\033[0m [TARGET=embedded|stack|kind|oci]\n"} \
	  /^[a-zA-Z_-]+:.*?##/ { printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2 } \
	  /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Setup
.PHONY: setup
setup: ## Install uv (pinned) and the locked environment
	@$(UV) --version >/dev/null 2>&1 || $(SYSTEM_PYTHON) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	@$(UV) sync --frozen --compile-bytecode --quiet

##@ Run
.PHONY: run
run: setup ## Run the whole flow on TARGET (SERVE=1 leaves the API up)
	$(RUN) dp run $(if $(SERVE),--serve)

##@ Stack (real services as local processes)
STACK := $(RUN) dp --target stack stack
TIMED := bash dev/timed.sh
# Commands after `$(STACK) run --` run inside the locked environment already (uv run's PATH).

.PHONY: stack-setup
stack-setup: setup ## Install the stack's servers and jars (Debian packages, Maven Central)
	bash dev/stack/install.sh

.PHONY: up
up: stack-setup ## Start every service of the stack and wait until healthy
	$(STACK) up

.PHONY: down
down: ## Stop what `make up` started (data stays until `make clean`)
	$(STACK) down

.PHONY: dags-repo
dags-repo: setup ## Publish dags/ to the DAGs repository Airflow reads (a local bare Git repo)
	$(STACK) publish-dags

.PHONY: status
status: ## Service, URL, healthy or not
	$(STACK) status

##@ Test
.PHONY: test
test: setup ## Every test: lint, unit, integration, k8s and OpenTofu validation, DAGs, e2e, load and promotion on the stack, images, e2e on pods, the release bump
	@# OpenTofu compiles from source for minutes: in the background, while the tests run
	@# (validate-infra waits for it).
	@mkdir -p .cache && (bash dev/infra/install-tofu.sh >.cache/install-tofu.log 2>&1 &)
	$(TIMED) lint $(MAKE) --no-print-directory lint
	@# The servers come first: unit tests start real ones too (redis-server for the API's faults).
	$(TIMED) stack-setup $(MAKE) --no-print-directory stack-setup
	$(TIMED) unit $(MAKE) --no-print-directory unit
	$(TIMED) integration $(MAKE) --no-print-directory integration
	$(TIMED) validate-k8s $(MAKE) --no-print-directory validate-k8s
	$(TIMED) validate-infra $(MAKE) --no-print-directory validate-infra
	$(TIMED) "DAGs repository (its own CI)" env DP_CLI=$(CURDIR)/.venv/bin/dp \
	  $(MAKE) --no-print-directory -C dags test
	$(TIMED) "stack: e2e, load gate, promotion" $(MAKE) --no-print-directory stack-test
	$(TIMED) "cluster path (images, contract, e2e and load gate on pods)" \
	  bash dev/containers/cluster-path.sh
	$(TIMED) "release bump on a scratch GitOps clone" bash dev/release/check.sh

.PHONY: stack-test
stack-test: stack-setup ## The stack up (Kafka on three brokers); the e2e suite, a 20 s load gate and `dp promote` on it; the stack down
	DP_KAFKA__BROKERS=3 $(STACK) run -- $(MAKE) --no-print-directory e2e load promote TARGET=stack DURATION=20

.PHONY: load
load: setup ## Locust at the SLO file's constant rate against TARGET (services up); exits 1 on a miss
	$(RUN) python loadtests/gate.py --target $(TARGET) $(if $(DURATION),--duration $(DURATION))

.PHONY: promote
promote: setup ## Gate the challenger on TARGET (promotion.gates); all pass → champion. ROLLBACK=1 undoes the last
	$(RUN) dp promote $(if $(ROLLBACK),--rollback)

.PHONY: release
release: setup k8s-setup ## GitOps bump: pushed digests (reports/images.json) and the champion into the oci overlay, on a branch (PUSH=1 pushes it)
	$(RUN) python dev/release/bump.py release --repo $(or $(RELEASE_REPO),.) \
	  $(if $(MODEL_VERSION),--model-version $(MODEL_VERSION)) $(if $(PUSH),--push)

.PHONY: bench
bench: stack-setup ## Serving path against this machine's limit, freshness, make run: reports/bench.json
	$(STACK) run -- bash -c \
	  'dp --target stack run --rows 40000 --days 14 && DP_TARGET=stack python -m bench.run'

.PHONY: profile
profile: stack-setup ## Where the API's CPU goes per prediction: py-spy under wrk, CPU ms per request (reports/profile-api.json)
	$(STACK) run -- bash -c \
	  'dp --target stack run --rows 40000 --days 14 && DP_TARGET=stack python -m bench.profile $(PROFILE_ARGS)'

.PHONY: bench-scale
bench-scale: stack-setup ## Batch flow time and memory at 200 k, 1 M, 5 M rows (+ executors): reports/scale.json, docs/images/scale.png
	$(STACK) run -- bash -c 'DP_TARGET=stack python -m bench.scale $(SCALE_ARGS)'

.PHONY: e2e
e2e: setup ## The e2e suite against TARGET (its services must be up)
	$(RUN) pytest e2e --target $(TARGET) -ra

.PHONY: unit
unit: stack-setup k8s-setup ## Unit tests only (no Spark flow): real servers and kustomize too
	$(RUN) pytest -m "not integration" --durations=8

.PHONY: integration
integration: stack-setup ## The integration tests: the embedded flow, Spark executors, real servers of our own
	$(RUN) pytest -m integration --durations=8

##@ Quality
##@ Kubernetes (kind under Tilt, OKE under ArgoCD)
CHECKOV_VERSION := 3.3.30
# `kustomize edit set image` (make images); kubectl's built-in kustomize renders.
KUSTOMIZE_VERSION := v5.7.1

.PHONY: k8s-setup
k8s-setup: setup ## Install checkov in its own venv (its pins clash with ours), kustomize and cert-manager's CRDs (Go proxy)
	@test -x .cache/checkov/bin/checkov || { $(SYSTEM_PYTHON) -m venv .cache/checkov && \
	  .cache/checkov/bin/pip install --quiet --disable-pip-version-check "checkov==$(CHECKOV_VERSION)"; }
	@test -x .cache/bin/kustomize || \
	  GOBIN=$(CURDIR)/.cache/bin go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)
	@bash dev/k8s/fetch-crds.sh

.PHONY: validate-k8s
validate-k8s: k8s-setup stack-setup ## Render, schema-validate, policy-check, parity-check the manifests; promtool the alerts; evaluate the Tiltfile
	bash dev/cluster/secrets.sh >/dev/null
	$(RUN) python dev/k8s/validate.py

##@ Infrastructure (OpenTofu for Oracle Cloud; the OCI provider is not reachable here)
.PHONY: infra-setup
infra-setup: ## OpenTofu built from its Go source into .cache/bin (the Go module proxy serves it)
	bash dev/infra/install-tofu.sh

.PHONY: validate-infra
validate-infra: infra-setup k8s-setup ## tofu fmt -check, checkov's Terraform checks, tests over the parsed HCL
	env -u TF_CLI_CONFIG_FILE .cache/bin/tofu fmt -check -recursive -diff infra/tofu
	BC_SKIP_MAPPING=TRUE .cache/checkov/bin/checkov -d infra/tofu --framework terraform \
	  --quiet --compact --skip-download
	$(RUN) pytest -q -p no:cacheprovider tests/test_tofu.py

##@ Containers (images, the registry, the pods target)
.PHONY: engine-setup
engine-setup: ## podman + runc with this repo's config, or the Docker that answers; podman's Docker API socket
	bash dev/containers/engine-setup.sh

.PHONY: base-images
base-images: engine-setup ## The apps' base image from Debian's packages (debootstrap); rebuilt only when its recipe changes
	bash dev/containers/base-images.sh

.PHONY: registry-up
registry-up: engine-setup ## The local image registry on 127.0.0.1:5005 (Debian's docker-registry)
	bash dev/containers/registry.sh up

.PHONY: registry-down
registry-down: ## Stop the local registry (its images stay under .dp/registry)
	bash dev/containers/registry.sh down

.PHONY: images
images: setup k8s-setup base-images registry-up ## Build every app image, push it, pin its digest in the overlays (BASE=local|public)
	bash dev/containers/images.sh

.PHONY: image-contract
image-contract: setup ## Every container of both overlays can start its command in its pinned image
	$(RUN) python dev/containers/contract.py

# The pods target keeps its own state (infrastructure data, credentials), apart from the stack's:
# a target starts from what it made itself (the stack's streamed features would otherwise sit in
# Redis newer than anything the pods' batch flow materialises).
PODS := DP_STATE_DIR=$(CURDIR)/.dp/pods-target $(RUN) dp --target stack

.PHONY: pods-up
pods-up: stack-setup ## The stack's infrastructure, then the kind overlay's own workloads as podman pods
	$(PODS) stack up --only openbao --only seaweedfs --only postgres --only postgres-exporter --only redis --only redis-exporter --only node-exporter --only kafka --only prometheus
	$(PODS) pods up

.PHONY: pods-down
pods-down: ## Remove the pods and stop the stack's infrastructure
	$(PODS) pods down
	$(PODS) stack down

.PHONY: pods-test
pods-test: stack-setup ## The e2e suite and a 20 s load gate on the pods target (images pushed by `make images`); tears everything down
	$(PODS) pods run -- bash -c \
	  'pytest e2e --target pods -ra && $(MAKE) --no-print-directory load TARGET=stack DURATION=20'

.PHONY: cluster-up
cluster-up: ## Create the kind cluster and its local registry (ctlptl), then `tilt up`
	ctlptl apply -f dev/cluster/ctlptl.yaml

.PHONY: cluster-down
cluster-down: ## Delete the kind cluster and its registry
	ctlptl delete -f dev/cluster/ctlptl.yaml

.PHONY: lint
lint: setup ## ruff, mypy, and no secret in the tracked tree (detect-secrets, reviewed baseline)
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	git ls-files -z | grep -zv 'uv.lock$$' | xargs -0 $(RUN) detect-secrets-hook --baseline .secrets.baseline

.PHONY: dashboards
dashboards: setup ## Write the Grafana dashboards from their code (dev/grafana/dashboards.py)
	$(RUN) python dev/grafana/dashboards.py

.PHONY: fmt
fmt: setup ## Format and fix what ruff can
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

##@ Clean
.PHONY: clean
clean: ## Remove local state, run reports and caches
	-$(STACK) down 2>/dev/null
	rm -rf .dp runs reports .pytest_cache .ruff_cache .mypy_cache spark-warehouse
