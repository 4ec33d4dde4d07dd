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
COPY activities ./activities
COPY workflows ./workflows
COPY workers ./workers
COPY scripts ./scripts
COPY migrations ./migrations
COPY tsconfig.json ./
USER node
# The flags are those of WORKER_NODE_FLAGS in scripts/stack/local-stack.ts.
CMD ["node", "--max-semi-space-size=64", "--import", "tsx", "workers/main.ts"]
