#!/usr/bin/env bash
# Make a container registry answer at $DOCKOPT_REGISTRY (default 127.0.0.1:5000), or say what to install.
#   ensure-registry.sh          no-op when /v2/ answers there; else start Debian's docker-registry
#                               (CNCF distribution 2.8; apt-get installs it where we are root on Debian/Ubuntu)
#                               with its config, data, log and pid under ${DOCKOPT_STATE:-.dockopt}/registry/
#   ensure-registry.sh --stop   stop the registry this script started (its pid file), nothing else
# Prints "registry: started <addr> pid <pid>" when it started one, so a caller can stop exactly that.
# Engine 20.10 treats registries on 127.0.0.0/8 as insecure by default: push/pull need no daemon config.
set -euo pipefail

addr=${DOCKOPT_REGISTRY:-127.0.0.1:5000}
state_dir=${DOCKOPT_STATE:-$(pwd)/.dockopt}/registry
wait_s=${DOCKOPT_REGISTRY_WAIT_S:-30}
pid_file=$state_dir/registry-${addr//[:\/]/_}.pid

answers() { curl -fsS -o /dev/null --max-time 3 "http://$addr/v2/" 2>/dev/null || \
            python3 - "$addr" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(f"http://{sys.argv[1]}/v2/", timeout=3)
PY
}

if [ "${1:-}" = "--stop" ]; then
  if [ -f "$pid_file" ]; then
    pid=$(cat "$pid_file")
    if kill -0 "$pid" 2>/dev/null && grep -q registry "/proc/$pid/cmdline" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      echo "registry: stopped pid $pid ($addr)"
    fi
    rm -f "$pid_file"
  else
    echo "registry: nothing started by this script at $addr"
  fi
  exit 0
fi

if answers; then
  echo "registry: already answering at http://$addr/v2/"
  exit 0
fi

case "$addr" in
  127.*|localhost:*) ;;
  *) echo "registry: nothing answers at $addr and it is not a loopback address I may start one on;" \
          "start that registry, or unset DOCKOPT_REGISTRY to use 127.0.0.1:5000" >&2; exit 1 ;;
esac

bin=$(command -v docker-registry || command -v registry || true)
if [ -z "$bin" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "registry: installing docker-registry from the distribution (apt-get)"
    # The package's own service is not wanted: this script runs one with its own config. Where
    # invoke-rc.d may start services, the package's default one would listen on :5000 of every interface.
    apt-get install -y -qq --no-install-recommends docker-registry >/dev/null 2>&1 || {
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        docker-registry >/dev/null; }
    bin=$(command -v docker-registry)
  else
    cat >&2 <<'MSG'
registry: no registry answers and this is not a Debian/Ubuntu machine where I am root. Either
  - install Debian's docker-registry (CNCF distribution), or run `docker run -d -p 127.0.0.1:5000:5000 registry:2`
  - or point DOCKOPT_REGISTRY at a registry you can push to (HOST:PORT).
MSG
    exit 1
  fi
fi

mkdir -p "$state_dir/data"
config=$state_dir/config-${addr//[:\/]/_}.yml
cat >"$config" <<YAML
# written by scripts/ensure-registry.sh; data stays under this folder
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $state_dir/data
  delete:
    enabled: true
http:
  addr: $addr
YAML
log=$state_dir/registry-${addr//[:\/]/_}.log
echo "registry: starting $bin on $addr (data: $state_dir/data, log: $log)"
nohup "$bin" serve "$config" >"$log" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$pid_file"
for _ in $(seq 1 $((wait_s * 5))); do
  if answers; then
    echo "registry: started $addr pid $pid"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 0.2
done
echo "registry: $bin did not answer at http://$addr/v2/ within ${wait_s}s; see $log" >&2
tail -20 "$log" >&2 || true
kill "$pid" 2>/dev/null || true
rm -f "$pid_file"
exit 1
