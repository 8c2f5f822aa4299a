# The React/nginx app (seed 000/001) in a monorepo, built from the repository root.
ARG NODE_IMAGE=node:20.18-alpine
ARG WEB_IMAGE=nginx:1.27-alpine

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY services/web/package.json services/web/package-lock.json ./
RUN npm ci --no-audit --no-fund --offline
COPY services/web/scripts ./scripts
COPY services/web/src ./src
COPY libs/shared ./libs/shared
ARG PUBLIC_URL=/
RUN npm run build && cp libs/shared/*.js build/

FROM build AS dev
COPY services/web/dev ./dev
CMD ["npm", "run", "dev"]

FROM ${WEB_IMAGE} AS web
COPY --from=build /app/build /usr/share/nginx/html
EXPOSE 80
