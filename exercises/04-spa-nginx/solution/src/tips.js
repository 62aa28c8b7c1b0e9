export const tips = [
  { tag: 'cache', text: 'Copy the dependency manifests and install before copying the sources.' },
  { tag: 'size', text: 'Build in one stage, ship only the output in a small runtime stage.' },
  { tag: 'size', text: 'A static site needs a web server, not the toolchain that built it.' },
  { tag: 'security', text: 'Run as a non-root user; a read-only image needs writable /tmp only.' },
  { tag: 'security', text: 'Never pass a token as a build argument: it stays in the image history.' },
  { tag: 'context', text: 'A .dockerignore keeps .git, .env and node_modules out of the build context.' },
  { tag: 'ops', text: 'A HEALTHCHECK lets the engine tell a running container from a working one.' },
  { tag: 'apt', text: 'apt-get update, install and rm -rf /var/lib/apt/lists/* belong in one RUN.' },
];
