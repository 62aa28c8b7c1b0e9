# Rung 4: only production dependencies (npm ci --omit=dev): the dev tools stay out of the image.
FROM node:24-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm AS runtime
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY package.json healthcheck.js ./
COPY src ./src
EXPOSE 3000
CMD ["node", "src/server.js"]
