# The worker image: runs workflows and activities; scale out with `docker-compose up --scale worker=N`.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# Dev dependencies (jest, eslint, typescript) stay out; tsx, in dependencies, runs the TypeScript sources directly.
RUN npm ci --omit=dev --no-audit --no-fund
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
COPY scripts ./scripts
COPY migrations ./migrations
COPY tsconfig.json ./
USER node
# Prometheus scrapes both ports (README, "Metrics and health"); unset either to turn it off.
ENV METRICS_PORT=9464 HEALTH_PORT=8081
EXPOSE 9464 8081
# Healthy means ready: Temporal and PostgreSQL answer and the worker polls. docker-compose.yml repeats this command.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.HEALTH_PORT}/readyz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The flags are those of WORKER_NODE_FLAGS in scripts/stack/local-stack.ts.
CMD ["node", "--max-semi-space-size=64", "--import", "tsx", "workers/main.ts"]
