# Rung 6: the runtime stage on distroless node: no shell, no package manager, no npm.
FROM node:24-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM gcr.io/distroless/nodejs24-debian12 AS runtime
WORKDIR /app
ENV NODE_ENV=production PORT=3000
COPY --from=build /app/node_modules ./node_modules
COPY package.json healthcheck.js ./
COPY src ./src
EXPOSE 3000
ENTRYPOINT ["/nodejs/bin/node", "/app/src/server.js"]
