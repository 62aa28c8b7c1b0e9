# Rung 1: the same Dockerfile; the ignore file next to it keeps the clutter out of the context.
FROM node:24-bookworm
WORKDIR /app
COPY . .
RUN npm install
EXPOSE 3000
CMD ["npm", "start"]
