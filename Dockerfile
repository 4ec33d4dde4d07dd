# The worker image, in two stages: the build stage compiles the TypeScript and bundles the workflows (`npm run build`);
# the runtime stage holds the production dependencies, that output and the migrations, so neither TypeScript nor
# webpack runs in production. Scale out with `docker-compose up --scale worker=N`.
# The Node version is the one of .node-version (test/foundation/node-version.unit.test.ts keeps them equal).
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY config ./config
COPY contract ./contract
COPY atlassian ./atlassian
COPY store ./store
COPY alerts ./alerts
COPY detections ./detections
COPY observability ./observability
COPY activities ./activities
COPY workflows ./workflows
COPY workers ./workers
COPY cli ./cli
RUN npm run build

FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY scripts/image/keep-own-platform.sh /usr/local/bin/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force && keep-own-platform.sh
# jemalloc instead of glibc's malloc, preloaded into every process of the image: glibc's per-thread arenas keep what the
# worker's native side (the SDK's Rust core, Node's buffers) frees, so its memory grows with the sources it runs, and
# jemalloc returns it (docs/sizing.md). The link gives it one path on amd64 and arm64.
RUN apt-get update && apt-get install -y --no-install-recommends libjemalloc2=5.3.0-1 && rm -rf /var/lib/apt/lists/* \
  && ln -s "/usr/lib/$(uname -m)-linux-gnu/libjemalloc.so.2" /usr/local/lib/libjemalloc.so.2
ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2
COPY migrations ./migrations
# The built-in rules' fixtures, for `packs test` run from the image (dist/ holds no YAML).
COPY detections/fixtures ./detections/fixtures
COPY --from=build /app/dist ./dist
# The workflow bundle made at build time: the worker loads it instead of bundling workflows/ at start.
ENV TEMPORAL_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
USER node
# Prometheus scrapes both ports (docs/observability.md); unset either to turn it off.
ENV METRICS_PORT=9464 HEALTH_PORT=8081
EXPOSE 9464 8081
# Healthy means ready: Temporal and PostgreSQL answer and the worker polls. docker-compose.yml repeats this command.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.HEALTH_PORT}/readyz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The operator CLI runs from the same image: `docker-compose run --rm worker node dist/cli/main.js list`.
# The flags are WORKER_HEAP_FLAGS of scripts/stack/supervised-worker.ts (test/foundation/production-build.test.ts runs this CMD).
CMD ["node", "--max-semi-space-size=64", "dist/workers/main.js"]
