# Rung 0: the traditional single-stage Dockerfile (full node image, whole context first, dev
# dependencies installed and shipped, root, no HEALTHCHECK).
FROM node:24-bookworm
WORKDIR /app
COPY . .
RUN npm install
EXPOSE 3000
CMD ["npm", "start"]
