# Rung 3: two stages, both on the full node image: the split alone changes what is copied,
# not the base the runtime carries.
FROM node:24-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install

FROM node:24-bookworm AS runtime
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY package.json healthcheck.js ./
COPY src ./src
EXPOSE 3000
CMD ["node", "src/server.js"]
