# The three entry points of the README. Each installs what is missing first.
.PHONY: install tools test demo up lint bench reset

NPM_STAMP := node_modules/.package-lock.json

install: $(NPM_STAMP)

# npm rewrites node_modules/.package-lock.json on every install, so it tracks whether package-lock.json changed since.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund

tools:
	@scripts/stack/install-docker-compose.sh

test: install tools
	npx tsc --noEmit -p .
	npx eslint .
	npm run --silent lint:imports
	npx jest --runInBand

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
