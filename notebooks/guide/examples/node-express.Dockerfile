# The guide's Node.js/Express recipe (chapter 5), written for sample_apps/node-express
# (the build context). Its choices are kept: the full node image in both stages, dependencies
# installed from the manifests first, then for Express "no build": the app code (not
# node_modules) moved to the production image and the dependencies re-installed there with
# production only. No USER, no HEALTHCHECK: the guide's listing has neither.
# Adapted: node:24-bookworm for the guide's node:18 (the Node line every sample here uses).
FROM node:24-bookworm AS builder
WORKDIR /app
COPY package*.json ./
RUN npm install
COPY . .

FROM node:24-bookworm
WORKDIR /app
COPY --from=builder /app/package*.json ./
COPY --from=builder /app/src ./src
RUN npm install --production
EXPOSE 3000
CMD ["npm", "start"]
