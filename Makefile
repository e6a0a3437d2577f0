# netlab: `make up` launches the lab, `make test` runs everything, `make down` cleans up.
# Every target that needs them runs the idempotent machine set-up first (scripts/setup.sh).

SHELL := bash
.DEFAULT_GOAL := help
# A project-local Node 24 (installed by setup on machines whose Node is too old) comes first.
export PATH := $(CURDIR)/.tools/node/bin:$(PATH)
COMPOSE := docker compose
TEST_ARGS ?=
ARGS ?=

##@ Lab
.PHONY: up
up: images ## Set up the machine, build the images, start every service and print the table
	@bind="$${NETLAB_BIND:-$$(sed -n 's/^NETLAB_BIND=//p' .env 2>/dev/null | tail -n 1)}"; case "$${bind:-127.0.0.1}" in 127.*|::1|localhost) ;; *) echo "warning: NETLAB_BIND=$$bind publishes the lab beyond this machine: the UDP ports and the unauthenticated faults API (8474) become reachable from the LAN" >&2 ;; esac
	$(COMPOSE) up -d --wait --remove-orphans
	@node scripts/lab-status.ts

.PHONY: down
down: ## Remove every container, network and volume the lab created
	-$(COMPOSE) --profile tools down --volumes --remove-orphans

.PHONY: ps
ps: ## Show the running services, their addresses, ports and an example each
	@node scripts/lab-status.ts

.PHONY: logs
logs: ## Follow the services' JSON logs
	$(COMPOSE) logs -f --tail=100

.PHONY: client
client: ## Run the client in the lab: make client ARGS='tcp upper hi' (no ARGS: a session)
	$(COMPOSE) run --rm client $(ARGS)

##@ Build
.PHONY: setup
setup: ## Install what is missing: Node >= 22.22, npm deps, Docker engine, Compose v2, base image
	@bash scripts/setup.sh

.PHONY: build
build: ## Compile TypeScript to dist/ and stage the image contents in .build/image
	@bash scripts/setup.sh node
	@bash scripts/stage.sh

.PHONY: images
images: setup build bench-images ## Build every image (services, client and the bench's load generator)
	$(COMPOSE) --profile tools --profile bench build -q

.PHONY: bench-images
bench-images: setup ## Build the bench's iperf3/sockperf and Python baseline images (offline; skipped when current)
	@bash scripts/bench-images/build.sh

##@ Test
.PHONY: test
test: images ## Run the whole suite: unit, then cross-container integration
	@bash scripts/setup.sh test
	npx vitest run $(TEST_ARGS)

.PHONY: test-unit
test-unit: ## Unit tests only (no Docker)
	@bash scripts/setup.sh node
	npx vitest run --project unit $(TEST_ARGS)

.PHONY: test-integration
test-integration: images ## Integration tests only (containers)
	@bash scripts/setup.sh test
	npx vitest run --project integration $(TEST_ARGS)

.PHONY: soak
soak: images ## Bounded mixed load on a fresh lab, memory and sockets sampled: SOAK_SECONDS=180 SOAK_RATE=20
	node tests/soak/main.ts

FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= 10000
FUZZ_REPORT := $(CURDIR)/.build/fuzz-report.jsonl

.PHONY: fuzz
fuzz: images ## Fuzz every parser (FUZZ_RUNS inputs a property) and every live port (FUZZ_SECONDS), print the figures
	@bash scripts/setup.sh test
	@mkdir -p .build && rm -f $(FUZZ_REPORT)
	FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_REPORT=$(FUZZ_REPORT) npx vitest run --project unit --testTimeout=0 tests/unit/fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_REPORT=$(FUZZ_REPORT) npx vitest run --project integration tests/integration/net-fuzz.test.ts
	@node scripts/fuzz-report.ts $(FUZZ_REPORT)

.PHONY: lint
lint: ## Lint and check formatting (Biome)
	@bash scripts/setup.sh node
	npx biome ci .

.PHONY: format
format: ## Format and apply safe lint fixes
	npx biome check --write .

.PHONY: typecheck
typecheck: ## Type-check everything, tests included (tsc --noEmit)
	@bash scripts/setup.sh node
	npx tsc --noEmit

##@ Bench
BENCH_SECONDS ?= 3
BENCH_ARGS ?=
.PHONY: bench
bench: images ## Benchmark the running lab (make up first) against baselines: make bench BENCH_SECONDS=10
	node bench/main.ts --seconds $(BENCH_SECONDS) $(BENCH_ARGS)

.PHONY: bench-compare
bench-compare: ## Compare two result files: make bench-compare A=bench-results/x.json B=bench-results/latest.json
	@test -n "$(A)" -a -n "$(B)" || { echo 'usage: make bench-compare A=old.json B=new.json [ARGS="--threshold 5 --json"]' >&2; exit 2; }
	@node bench/compare.ts $(ARGS) "$(A)" "$(B)"

##@ Help
.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*##"} /^##@/ {printf "\n\033[1m%s\033[0m\n", substr($$0, 5)} /^[a-z-]+:.*##/ {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)
