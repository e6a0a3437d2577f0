# netlab: `make up` launches the lab, `make test` runs everything, `make down` cleans up.
# Every target that needs them runs the idempotent machine set-up first (scripts/setup.sh).

SHELL := bash
.DEFAULT_GOAL := help
# A project-local Node 24 (installed by setup on machines whose Node is too old) comes first.
export PATH := $(CURDIR)/.tools/node/bin:$(PATH)
COMPOSE := docker compose
TEST_ARGS ?=
ARGS ?=
# `make logs` on a terminal: one line per event, local time, the service first (Compose 2.26 starts
# each --no-log-prefix line with an erase-line sequence, which sed takes off for pino-pretty)
PRETTY_ARGS := --singleLine --translateTime SYS:HH:MM:ss.l --ignore pid,hostname,service --messageFormat '{service} {msg}'

##@ Lab
# Settings given to `make up` (make up TCP_WORKERS=1) are kept in .env, so later compose
# commands (docker compose run --rm client ...) use them too; `make down` clears them.
.PHONY: up
up: images ## Set up the machine, build the images, start every service and print the table
	@node scripts/lab-settings.ts save
	@bind="$${NETLAB_BIND:-$$(sed -n 's/^NETLAB_BIND=//p' .env 2>/dev/null | tail -n 1)}"; case "$${bind:-127.0.0.1}" in 127.*|::1|localhost) ;; *) echo "warning: NETLAB_BIND=$$bind publishes the lab beyond this machine: the UDP ports and the unauthenticated faults API (8474) become reachable from the LAN" >&2 ;; esac
	$(COMPOSE) up -d --wait --remove-orphans
	@node scripts/lab-status.ts

.PHONY: down
down: ## Remove every container, network and volume the lab created; forget make up's settings
	-$(COMPOSE) --profile tools down --volumes --remove-orphans
	@node scripts/lab-settings.ts clear

JSON ?=
.PHONY: ps
ps: ## Show the services: state, container address:port, host port, an example each (JSON=1: JSON)
	@node scripts/lab-status.ts $(if $(JSON),--json)

SERVICE ?=
.PHONY: logs
logs: ## Follow the logs: SERVICE=tcp for one service; readable on a terminal, JSON=1 for raw JSON
	@if [ -n "$(JSON)" ] || [ ! -t 1 ]; then \
	  $(COMPOSE) logs -f --tail=100 $(SERVICE); \
	else \
	  $(COMPOSE) logs -f --tail=100 --no-log-prefix $(SERVICE) | sed -u 's/^\x1b\[2K//' | node_modules/.bin/pino-pretty $(PRETTY_ARGS); \
	fi

.PHONY: client
client: ## Run the client in the lab: make client ARGS='tcp upper hi' (no ARGS: a session)
	$(COMPOSE) run --rm client $(ARGS)

##@ Swarm (docs/swarm.md)
.PHONY: swarm-up
swarm-up: images ## Deploy the lab as a Swarm stack (a one-node swarm if none), wait until healthy: SWARM_REPLICAS=2
	@node deploy/swarm/swarm.ts up

.PHONY: swarm-ps
swarm-ps: ## Show the stack's replicas: node, container, overlay address, an example each
	@bash scripts/setup.sh node
	@node deploy/swarm/swarm.ts ps

.PHONY: swarm-client
swarm-client: ## Run the client on the stack's overlay: make swarm-client ARGS='tcp upper hi' (no ARGS: a session)
	@bash scripts/setup.sh node
	@node deploy/swarm/swarm.ts client $(ARGS)

.PHONY: swarm-test
swarm-test: images ## The Swarm tests, on a throwaway stack of their own beside any running one
	@bash scripts/setup.sh test
	npx vitest run --project integration tests/integration/swarm.test.ts $(TEST_ARGS)

.PHONY: swarm-down
swarm-down: ## Remove the stack, its network, volume and secret; leave the swarm if swarm-up made it
	@bash scripts/setup.sh node
	@node deploy/swarm/swarm.ts down

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
# The hostile suite's rows (tests/support/hostile/attack-report.ts), printed as one table.
HOSTILE_REPORT := $(CURDIR)/.build/hostile-report.jsonl
export HOSTILE_REPORT

.PHONY: test
test: images ## Run the whole suite: unit, then cross-container integration (the hostile table at the end)
	@bash scripts/setup.sh test
	@mkdir -p .build && rm -f $(HOSTILE_REPORT)
	@status=0; npx vitest run $(TEST_ARGS) || status=$$?; \
	  node scripts/hostile-report.ts --optional $(HOSTILE_REPORT) || true; exit $$status

.PHONY: hostile
hostile: images ## Each service under the worst load its limits allow (tests/integration/hostile); prints the table
	@bash scripts/setup.sh test
	@mkdir -p .build && rm -f $(HOSTILE_REPORT)
	@status=0; npx vitest run --project integration tests/integration/hostile $(TEST_ARGS) || status=$$?; \
	  node scripts/hostile-report.ts $(HOSTILE_REPORT) || status=1; exit $$status

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
