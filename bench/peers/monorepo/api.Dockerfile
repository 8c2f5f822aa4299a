# The node service (seed 002) in a monorepo, built from the repository root: each stage
# copies only what it needs.
ARG NODE_IMAGE=node:20.18
ARG NODE_RUNTIME_IMAGE=node:20.18-alpine

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY services/api/package.json services/api/package-lock.json ./
COPY services/api/vendor ./vendor
RUN npm ci --no-audit --no-fund --offline

FROM deps AS prod-deps
RUN npm prune --omit=dev --no-audit --no-fund --offline

FROM ${NODE_IMAGE} AS builder
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY services/api/package.json ./
COPY services/api/scripts ./scripts
COPY services/api/src ./src
COPY libs/shared ./libs/shared
ARG APP_VERSION=0.0.0-dev
RUN npm run build && cp -r libs/shared dist/shared

FROM builder AS tester
COPY services/api/test ./test
RUN npm run lint && npm test

FROM builder AS dev
COPY services/api/test ./test
COPY services/api/dev ./dev
CMD ["node", "src/index.js"]

FROM ${NODE_RUNTIME_IMAGE} AS production
WORKDIR /app
ENV NODE_ENV=production
COPY --from=builder /app/dist ./dist
COPY --from=prod-deps /app/node_modules ./node_modules
COPY services/api/package.json ./
USER nobody
CMD ["node", "dist/index.js"]
