#!/usr/bin/env bash
# `make test-deploy`: the docker-compose stack built and run end to end on a Docker engine of its own.
#
# Installs what is missing (Debian's docker.io, docker-compose, debootstrap), starts a dockerd with
# its own data root, exec root, pidfile and socket under $DEPLOY_WORK, makes the base image (a
# debootstrap bookworm root, `docker import`ed; the tarball is kept in $DEPLOY_WORK for the next
# run), runs the checks (imdb_tracker_tests/deploy: builds, `up`, what a user does, `down`/`up`),
# prints how long each stage took, and stops that dockerd (and only it) whatever happened.
#
# DEPLOY_WORK (default ~/.cache/imdb-tracker-deploy) is kept between runs, images included, so a
# second run on one machine builds only what changed; DEPLOY_CLEAN=1 starts from nothing.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="${DEPLOY_WORK:-${XDG_CACHE_HOME:-$HOME/.cache}/imdb-tracker-deploy}"
BASE_IMAGE=imdb-tracker-ci/base:bookworm
BASE_RECIPE="bookworm-minbase-python3-v1"  # change to rebuild the cached base tarball
SUDO=""; [[ "$(id -u)" == 0 ]] || SUDO=sudo
export PATH="/usr/bin:/usr/sbin:$PATH"  # Debian's docker 20.10 CLI before any other on PATH
export DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0
PIDFILE="$WORK/run/dockerd.pid"
SOCKET="$WORK/run/docker.sock"
export DOCKER_HOST="unix://$SOCKET"

stop_dockerd() {
  [[ -f "$PIDFILE" ]] || return 0
  local pid; pid="$(cat "$PIDFILE")"
  if kill -0 "$pid" 2>/dev/null; then
    docker ps -q | xargs -r docker kill >/dev/null 2>&1 || true
    kill "$pid"
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$PIDFILE"
}
SUBNET=172.30.117.0/24  # the stack network's fixed subnet (deploy/ci/docker-compose.ci.yml)
remove_stale_network() {  # what a dockerd of ours that died without cleaning up left on the host
  # Bridges holding an address in SUBNET (a second route to it sends the checks' traffic nowhere:
  # "No route to host"), their veths, and the iptables rules that name them.
  local bridge prefix="${SUBNET%.*/*}."
  for bridge in $(ip -o -4 addr show | awk -v p="$prefix" 'index($4, p) == 1 && $2 ~ /^br-/ { print $2 }' | sort -u); do
    echo "removing stale bridge $bridge ($SUBNET) left by an earlier dockerd" >&2
    for veth in $(ip -o link show master "$bridge" | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
      ip link delete "$veth" 2>/dev/null || true
    done
    ip link delete "$bridge" 2>/dev/null || true
  done
  local table rule
  for table in filter nat; do  # rules naming a br-* that no longer exists, or the subnet itself
    while read -r rule; do
      [[ "$rule" == "-A "* ]] || continue
      local stale=0 name
      [[ "$rule" != *"$SUBNET"* ]] || stale=1
      for name in $(grep -oE 'br-[0-9a-f]{12}' <<<"$rule" || true); do
        [[ -e "/sys/class/net/$name" ]] || stale=1
      done
      if [[ "$stale" == 1 ]]; then eval "iptables -t $table ${rule/-A/-D}" 2>/dev/null || true; fi
    done < <(iptables -t "$table" -S 2>/dev/null || true)
  done
  if ip route show "$SUBNET" | grep -q .; then
    echo "error: $SUBNET is still routed on this host ($(ip route show "$SUBNET")); the stack network needs it" >&2
    return 1
  fi
}
unmount_work() {  # what a dockerd of ours left mounted under $WORK (network namespaces, overlays)
  findmnt -rn -o TARGET | grep -F "$WORK/" | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
}

if [[ "${DEPLOY_CLEAN:-0}" == 1 && -d "$WORK" ]]; then
  stop_dockerd
  unmount_work
  rm -rf "$WORK"
fi
mkdir -p "$WORK/run"

declare -a STAGES=()
now() { date +%s.%N; }
stage_done() {  # NAME START
  local took; took="$(awk -v a="$2" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')"
  STAGES+=("$(printf '%-44s %7s s' "$1" "$took")")
  echo "== stage: $1: ${took} s" >&2
}


t0="$(now)"
RUN_STARTED="$(date +%s)"
start="$(now)"
missing=()
for pkg in docker.io docker-compose debootstrap; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
stage_done "install packages (${missing[*]:-none missing})" "$start"

finish() {
  local status=$?
  # Earlier generations of our images (untagged when a build moved their tag): pruned, so $WORK keeps
  # one generation instead of growing by up to a GB per change of setup.py or pyproject.toml. This
  # run's images, and the build cache they are made of, stay.
  if [[ -f "$PIDFILE" ]] && docker info >/dev/null 2>&1; then
    docker image prune -f --filter "until=$RUN_STARTED" >/dev/null 2>&1 || true
  fi
  stop_dockerd
  remove_stale_network || true
  echo
  echo "make test-deploy stage timings ($WORK, $(du -sh "$WORK" 2>/dev/null | cut -f1) on disk):"
  printf '  %s\n' "${STAGES[@]}"
  printf '  %-44s %7.1f s\n' "total" "$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')"
  printf '  %s\n' "${STAGES[@]}" > "$WORK/last-timings.txt"
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT TERM

start="$(now)"
stop_dockerd  # one left by an interrupted run of ours (its own pidfile only)
remove_stale_network
dockerd --storage-driver=overlay2 --data-root "$WORK/data" --exec-root "$WORK/exec" \
  --pidfile "$PIDFILE" --host "$DOCKER_HOST" --bridge=none >"$WORK/dockerd.log" 2>&1 &
for _ in $(seq 120); do docker version >/dev/null 2>&1 && break; sleep 0.5; done
docker version --format 'engine {{.Server.Version}} on {{.Server.Os}}' || { tail -20 "$WORK/dockerd.log"; exit 1; }
stage_done "start dockerd" "$start"

start="$(now)"
if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  tarball="$WORK/base-$BASE_RECIPE.tar.gz"
  if [[ ! -s "$tarball" ]]; then
    root="$WORK/rootfs"
    rm -rf "$root"
    debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
      bookworm "$root" http://deb.debian.org/debian >"$WORK/debootstrap.log" 2>&1 \
      || { tail -20 "$WORK/debootstrap.log"; exit 1; }
    printf '%s\n' "deb http://deb.debian.org/debian bookworm main" \
      "deb http://deb.debian.org/debian bookworm-updates main" \
      "deb http://deb.debian.org/debian-security bookworm-security main" >"$root/etc/apt/sources.list"
    # Builds reach the package registries through this machine's CA bundle.
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/build-host-ca.crt"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -czf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
  fi
  docker import \
    --change 'ENV PIP_CERT=/etc/ssl/certs/build-host-ca.crt NODE_EXTRA_CA_CERTS=/etc/ssl/certs/build-host-ca.crt LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' "$tarball" "$BASE_IMAGE" >/dev/null
fi
stage_done "base image (debootstrap bookworm, docker import)" "$start"

start="$(now)"
cd "$REPO"
set +e
DEPLOY_STAGE_FILE="$WORK/pytest-stages.txt" DEPLOY_WORK="$WORK" DOCKER_SOCKET="$SOCKET" \
  "$REPO/.venv/bin/pytest" --deploy imdb_tracker_tests/deploy -x -p no:cacheprovider "$@"
status=$?
set -e
if [[ -f "$WORK/pytest-stages.txt" ]]; then
  mapfile -t -O "${#STAGES[@]}" STAGES <"$WORK/pytest-stages.txt"
fi
stage_done "checks (pytest, all of the above)" "$start"
exit "$status"
