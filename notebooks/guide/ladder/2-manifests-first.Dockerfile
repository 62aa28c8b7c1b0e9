# Rung 2: the dependency manifests before the sources, so a source edit keeps `npm install` cached.
FROM node:24-bookworm
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install
COPY . .
EXPOSE 3000
CMD ["npm", "start"]
