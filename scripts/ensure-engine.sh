#!/usr/bin/env bash
# Make a Docker Engine answer on this machine, or say what to install.
# No-op where an engine already answers (DOCKER_HOST, the default socket).
# On Debian/Ubuntu as root: installs docker.io if missing, starts dockerd in the
# background with its log in ${DOCKOPT_STATE:-.dockopt}/dockerd.log, waits (bounded).
set -euo pipefail

state_dir=${DOCKOPT_STATE:-$(pwd)/.dockopt}
wait_s=${DOCKOPT_ENGINE_WAIT_S:-60}
# Debian's engine ships its own CLI at /usr/bin/docker; a newer client elsewhere on PATH
# (without buildx) would refuse DOCKER_BUILDKIT=1, so prefer the engine's own.
docker_cli=/usr/bin/docker
[ -x "$docker_cli" ] || docker_cli=$(command -v docker || true)

answers() { [ -n "$docker_cli" ] && timeout 10 "$docker_cli" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if answers; then
  echo "engine: already answering ($("$docker_cli" version --format 'Engine {{.Server.Version}}, API {{.Server.APIVersion}}'))"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "engine: installing docker.io from the distribution (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null
    docker_cli=/usr/bin/docker
  else
    cat >&2 <<'MSG'
engine: no Docker Engine answers and this is not a Debian/Ubuntu machine where I am root.
Install one, then run this again:
  - Docker Desktop (macOS, Windows), or Docker Engine for your distribution: https://docs.docker.com/engine/install/
  - or point DOCKER_HOST at a reachable engine.
MSG
    exit 1
  fi
fi

mkdir -p "$state_dir"
if ! pgrep -x dockerd >/dev/null 2>&1; then
  echo "engine: starting dockerd (log: $state_dir/dockerd.log)"
  nohup dockerd >"$state_dir/dockerd.log" 2>&1 </dev/null &
fi
for _ in $(seq 1 "$wait_s"); do
  if answers; then
    echo "engine: answering ($("$docker_cli" version --format 'Engine {{.Server.Version}}, API {{.Server.APIVersion}}'))"
    exit 0
  fi
  sleep 1
done
echo "engine: dockerd did not answer within ${wait_s}s; see $state_dir/dockerd.log" >&2
tail -20 "$state_dir/dockerd.log" >&2 || true
exit 1
