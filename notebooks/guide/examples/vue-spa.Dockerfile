# The guide's SPA recipe (chapter 5), written for sample_apps/vue-spa (the build context): node
# installs and builds, nginx serves dist/ with its stock configuration on port 80.
# Adapted: node:24-bookworm for the guide's node:18; nginx:1.27-bookworm for the guide's
# nginx:alpine, which cannot be provided here (no Alpine package mirror to install nginx on the
# alpine stand-in). The guide's listing copies no sources before `npm run build`; `COPY . .`
# (its own step 4 order) fills that gap.
FROM node:24-bookworm AS builder
WORKDIR /app
COPY package*.json ./
RUN npm install
COPY . .
RUN npm run build

FROM nginx:1.27-bookworm
COPY --from=builder /app/dist /usr/share/nginx/html
EXPOSE 80
