# The qbsync worker image used by docker-compose.yml.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Installed the way CI installs (scripts/ensure.mjs: `npm install --no-save` following package-lock.json; a clean install
# refuses a lock made on a registry that serves only one platform's optional native packages). No Temporal CLI.
COPY package.json package-lock.json ./
COPY scripts/ensure.mjs scripts/temporal-cli.js ./scripts/
RUN QBSYNC_NO_TEMPORAL_CLI=1 node scripts/ensure.mjs
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/scripts ./scripts
COPY --from=build /app/package.json ./package.json
USER node
ENTRYPOINT ["node", "bin/qbsync.js"]
CMD ["worker"]
