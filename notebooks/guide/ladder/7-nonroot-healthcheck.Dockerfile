# Rung 7: a non-root user and a HEALTHCHECK the runtime can execute (distroless has no curl:
# the runtime's own node asks /health).
FROM node:24-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM gcr.io/distroless/nodejs24-debian12:nonroot AS runtime
WORKDIR /app
ENV NODE_ENV=production PORT=3000
COPY --from=build /app/node_modules ./node_modules
COPY package.json healthcheck.js ./
COPY src ./src
USER 65532:65532
EXPOSE 3000
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=3 CMD ["/nodejs/bin/node", "/app/healthcheck.js"]
ENTRYPOINT ["/nodejs/bin/node", "/app/src/server.js"]
