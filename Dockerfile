# The sidecar as an image of your own. The Helm chart needs none (it runs the
# single-file build on the stock node image); use this where images must come
# from your own registry or pipeline. From the repository root:
#   docker build -t registry.example/njs-tracing-sidecar:0.1.0 .
# then, in the chart's values:
#   global.tracing.sidecar.image.repository=registry.example/njs-tracing-sidecar
#   global.tracing.sidecar.image.tag=0.1.0
#   global.tracing.sidecar.runMountedFile=false

# 1. Bundle src/sidecar into dist/sidecar.js (dependencies stay external).
FROM node:22-alpine AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY scripts/build-sidecar.mjs ./scripts/
RUN node scripts/build-sidecar.mjs

# 2. Runtime dependencies only, the bundle, the command; not root.
FROM node:22-alpine
ENV NODE_ENV=production
# A capped heap keeps RSS well under 200 MB; the sidecar fits its queues to it (docs/sidecar.md "Memory").
ENV NODE_OPTIONS="--max-old-space-size=128"
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY bin ./bin
COPY --from=build /src/dist ./dist
# The chart runs it as the controller's user (101:82) to share the span file.
USER node
EXPOSE 9464
ENTRYPOINT ["node", "/app/bin/njs-tracing-sidecar.js"]
