# syntax=docker/dockerfile:1
# Roster's image: built in one stage, run from a slim one that holds the compiled server and its
# production packages only (no TypeScript, no sources, no build tools), as an unprivileged user.
#   docker build -t roster .
#   docker run -p 8080:8080 -v roster-data:/data roster
# test/container.test.ts runs these same steps without a container engine; keep them in step.

ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
# Packages first: this layer is reused while only the sources change. The client workspace comes
# along because installing builds it (the console bundles it).
COPY package.json package-lock.json ./
COPY client/ client/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/ scripts/
COPY bin/ bin/
COPY src/ src/
COPY console/ console/
RUN npm run build
RUN npm prune --omit=dev --no-audit --no-fund

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATABASE_URL=sqlite:/data/roster.db \
    ROSTER_GENERATED_ROOT_KEY_FILE=/data/root-key \
    LOG_FORMAT=json
WORKDIR /app
# /data belongs to the runtime user (SQLite's database and the first root key live there); `roster`
# on the PATH runs the CLI (docker exec <container> roster tenant list).
RUN mkdir /data && chown node:node /data && ln -s /app/bin/roster.js /usr/local/bin/roster
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules/ node_modules/
COPY --from=build /app/dist/ dist/
COPY --from=build /app/bin/ bin/
COPY LICENSE ./
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Roster drains in-flight requests and closes the database on SIGTERM.
STOPSIGNAL SIGTERM
CMD ["node", "--max-semi-space-size=8", "dist/main.js"]
