# The entry points of the README (demo, up, test, check). Each installs what is missing first.
.PHONY: install node tools build check test demo up lint bench reset

# Every target runs on the Node of .node-version (the image's too), fetched once into the per-user cache and put first
# on PATH, so npm ci, tsc, jest and the workers it spawns all run on it, whatever Node the machine has.
NODE_VERSION := $(shell cat .node-version)
NODE_DIR := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/atlassian-audit-source/node-$(NODE_VERSION)
export PATH := $(NODE_DIR)/bin:$(PATH)
NPM_STAMP := node_modules/.package-lock.json

install: $(NPM_STAMP)

node:
	@scripts/stack/install-node.sh $(NODE_VERSION) $(NODE_DIR)

# npm rewrites node_modules/.package-lock.json on every install, so it tracks whether package-lock.json changed since
# (or the pinned Node did: npm ci runs on it too).
$(NPM_STAMP): package.json package-lock.json .node-version | node
	npm ci --no-audit --no-fund

tools:
	@scripts/stack/install-debian-packages.sh

# The fast inner loop: types, lint, the import rules and the unit tier (test/**/*.unit.test.ts), no server started.
# Warm runs reuse tsc's and eslint's caches (in node_modules/.cache), so only what changed is checked again.
check: install
	npx tsc --noEmit -p . --incremental --tsBuildInfoFile node_modules/.cache/tsc/check.tsbuildinfo
	npx eslint --cache --cache-location node_modules/.cache/eslint/ .
	npm run --silent lint:imports
	npx jest --runInBand --config jest.unit.config.js

test: install tools
	npx tsc --noEmit -p .
	npx eslint .
	npm run --silent lint:imports
	npx jest --runInBand
	# The cluster profile under worker kills, server and PostgreSQL restarts and API faults: fails on any event lost or
	# doubled and any alert missed, spurious or not delivered once.
	npm run --silent chaos -- --quick
	# The previous release (releases.json), built from its commit in a temporary worktree, backfills and polls with a
	# silence alert open; then this checkout's workers replace its workers: fails on any nondeterminism, any event lost
	# or doubled, and an alert not resolved once.
	npm run --silent drill:upgrade

# STACK=cluster runs what docker-compose.yml deploys (the Temporal server on PostgreSQL, WORKERS=N workers).
demo: install
	npm run --silent demo

up: install
	npm run --silent up

lint: install
	npx eslint .
	npm run --silent lint:imports

bench: install
	npm run --silent bench:backfill

# Deletes the local stack's state: the dev server's database, the embedded PostgreSQL data, logs, the demo key.
reset:
	rm -rf .data

# dist/: the compiled JavaScript and the prebuilt workflow bundle that the image runs.
build: install
	npm run --silent build
