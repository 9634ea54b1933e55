#!/usr/bin/env bash
# Build the Debian test images that stand in for hosts (no registry is reachable,
# so nothing can be pulled). An image is rebuilt only when it is missing or when
# its recipe (this script) changed: the recipe hash is stored as an image label.
set -euo pipefail
cd "$(dirname "$0")/.."

releases=("${@:-bookworm trixie}")
read -r -a releases <<<"${releases[*]}"
mirror="${KEEL_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
repo_name="keel-test/debian"

# Test tooling only: the roles under test install their own packages (ufw,
# libpam-pwquality, auditd, ...) so that their install tasks are exercised.
packages=(
  python3 python3-apt systemd systemd-sysv dbus sudo ca-certificates
  iproute2 procps iptables openssh-server netcat-openbsd
  pamtester libpwquality-tools
)

# Bump when the way the base image is made changes (debootstrap options, masks, ...).
base_recipe_version=1
recipe_hash=$( { echo "$base_recipe_version"; printf '%s\n' "${packages[@]}"; } | sha256sum | cut -c1-16)

command -v debootstrap >/dev/null || {
  echo "debootstrap missing: installing it from Debian's archive" >&2
  apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null
}

build_one() {
  local release=$1 tag="$repo_name:$1"
  local current
  current=$(docker image inspect -f '{{ index .Config.Labels "keel.recipe" }}' "$tag" 2>/dev/null || true)
  if [[ $current == "$recipe_hash" ]]; then
    echo "$tag is up to date (recipe $recipe_hash)"
    return 0
  fi
  local root
  root=$(mktemp -d "/tmp/keel-rootfs-$release.XXXXXX")
  trap 'rm -rf "$root"' RETURN
  echo "building $tag (recipe $recipe_hash)"
  local include
  include=$(IFS=,; echo "${packages[*]}")
  debootstrap --variant=minbase --include="$include" "$release" "$root" "$mirror" \
    >"$root.log" 2>&1 || { tail -30 "$root.log" >&2; return 1; }
  # Containers have no console: keep systemd from waiting for one, and let sshd start.
  chroot "$root" systemctl mask getty.target console-getty.service systemd-logind.service >/dev/null 2>&1 || true
  rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*_Packages
  tar -C "$root" -c . | docker import \
    -c 'CMD ["/lib/systemd/systemd"]' \
    -c 'ENV container=docker' \
    -c "LABEL keel.recipe=$recipe_hash" \
    - "$tag" >/dev/null
  rm -f "$root.log"
  echo "built $tag"
}

# keel-test/moto: a moto server image for scenarios whose hosts must reach the AWS
# stand-in over a private network. Built FROM the bookworm image, so after it.
build_moto() {
  local tag="keel-test/moto:latest" hash current
  hash=$( { cat docker/moto/Dockerfile; echo "$recipe_hash"; } | sha256sum | cut -c1-16)
  current=$(docker image inspect -f '{{ index .Config.Labels "keel.recipe" }}' "$tag" 2>/dev/null || true)
  if [[ $current == "$hash" ]]; then
    echo "$tag is up to date (recipe $hash)"
    return 0
  fi
  echo "building $tag (recipe $hash)"
  local context
  context=$(mktemp -d /tmp/keel-moto-context.XXXXXX)
  cp docker/moto/Dockerfile "$context/"
  # pip inside the build must trust the same CAs as this machine (TLS may be intercepted).
  cp "${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}" "$context/host-ca.crt"
  docker build -q --label "keel.recipe=$hash" -t "$tag" "$context" >/dev/null || { rm -rf "$context"; return 1; }
  rm -rf "$context"
  echo "built $tag"
}

pids=()
for release in "${releases[@]}"; do
  build_one "$release" &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
if ((status == 0)) && [[ " ${releases[*]} " == *" bookworm "* ]]; then
  build_moto || status=1
fi
exit $status
