#!/usr/bin/env bash
# CCUS Gate terminal: install or update on Raspberry Pi OS Lite (Bookworm, 64-bit), as root.
#
#   sudo ./install.sh ccus-gate-terminal-<version>.tar.gz [bundle.json]
#
# Installs Node 20 when missing, the release into /opt/ccus-gate (production dependencies,
# native modules built on the Pi), the service user and its groups, UART or SPI as the
# bundle's hardware profile needs, the systemd unit (enabled) and volatile journald, then
# applies the provisioning bundle (default: ccus-gate-bundle.json on the boot partition) and
# deletes it, since it holds the terminal's password. Safe to run twice.
#
# ROOT=/some/folder installs into that folder instead of this system (the tests do): no
# packages are installed, nothing is started, users go into ROOT/etc with --prefix.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: sudo ./install.sh <ccus-gate-terminal-<version>.tar.gz> [bundle.json]

Installs or updates the CCUS Gate terminal on Raspberry Pi OS Lite (Bookworm, 64-bit):
Node 20 when missing, the release into /opt/ccus-gate, the service user, UART or SPI for
the bundle's hardware profile, the systemd unit, then applies the provisioning bundle
(default: ccus-gate-bundle.json on the boot partition) and deletes it. Safe to run twice.
See firmware/README.md, "Install on a Pi".
USAGE
}
case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
  '')
    usage >&2
    exit 2
    ;;
esac
release=$1
root=${ROOT:-/}
root=${root%/}
bundle=${2:-$root/boot/firmware/ccus-gate-bundle.json}
service_user=ccus-gate
live=false
if [ -z "$root" ]; then live=true; fi

say() { printf 'ccus-gate install: %s\n' "$*"; }
fail() {
  say "$*" >&2
  exit 1
}
# Appends a line to a file unless it is there already (so a second run changes nothing).
ensure_line() {
  local file=$1 line=$2
  mkdir -p "$(dirname "$file")"
  touch "$file"
  grep -qxF "$line" "$file" || printf '%s\n' "$line" >>"$file"
}

[ -f "$release" ] || fail "no release tarball at $release"
if [ -f "$release.sha256" ]; then
  (cd "$(dirname "$release")" && sha256sum --check --quiet "$(basename "$release").sha256") ||
    fail "$release does not match its checksum; download it again"
fi

# The release's version, before anything changes: a tarball that is not a release changes nothing.
# (Read with sed: on a fresh Pi, Node is not installed yet.)
version=$( (tar -xzOf "$release" --wildcards '*/release.json' 2>/dev/null |
  sed -n 's/^ *"version": *"\([0-9A-Za-z.-]*\)".*/\1/p') || true)
[ -n "$version" ] || fail "$release has no release.json: it is not a terminal release"

# 1. Node 20 or newer, and what native modules build with.
if $live; then
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -lt 20 ]; then
    say "installing Node 20"
    apt-get update -q
    apt-get install -y -q ca-certificates curl
    curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
  fi
  apt-get install -y -q nodejs build-essential python3 libsystemd-dev
fi

# 2. The service user, in the groups the hardware needs (dialout: UART; gpio, spi: pins, RC522).
prefix=()
if ! $live; then prefix=(--prefix "$root"); fi
for group in dialout gpio spi; do
  grep -q "^$group:" "$root/etc/group" || groupadd "${prefix[@]}" --system "$group"
done
if ! grep -q "^$service_user:" "$root/etc/passwd"; then
  useradd "${prefix[@]}" --system --user-group --home-dir /var/lib/ccus-gate --no-create-home \
    --shell /usr/sbin/nologin "$service_user"
fi
usermod "${prefix[@]}" --append --groups dialout,gpio,spi "$service_user"

# 3. The release beside the ones before it (releases/versions/<version>), `current` pointing
# at it, and the launcher that starts `current` and rolls an over-the-air update back
# (firmware/README.md, "Updates"). The service user owns releases/: it installs updates there.
releases="$root/opt/ccus-gate/releases"
say "installing release $version into /opt/ccus-gate/releases"
install -d -m 755 "$root/opt/ccus-gate" "$releases" "$releases/versions"
# An install from before updates kept everything in /opt/ccus-gate itself: it goes.
find "$root/opt/ccus-gate" -mindepth 1 -maxdepth 1 ! -name releases ! -name launch ! -name launch-check.mjs -exec rm -rf {} +
rm -rf "$releases/versions/$version"
install -d -m 755 "$releases/versions/$version"
tar -xzf "$release" -C "$releases/versions/$version" --strip-components=1 --no-same-owner
# CCUS_GATE_NPM_FLAGS: e.g. --ignore-scripts where native modules cannot be built (tests).
# shellcheck disable=SC2086
(cd "$releases/versions/$version" && npm ci --omit=dev --no-audit --no-fund ${CCUS_GATE_NPM_FLAGS:-})
ln -sfn "versions/$version" "$releases/current.install"
mv -Tf "$releases/current.install" "$releases/current"
# This release and the one before it stay (an update may go back to it); older ones go.
find "$releases/versions" -mindepth 1 -maxdepth 1 -printf '%T@ %f\n' | sort -rn | tail -n +3 | cut -d' ' -f2- |
  while read -r old; do [ "$old" = "$version" ] || rm -rf "${releases:?}/versions/$old"; done
rm -f "$releases/update.json"
install -m 755 "$releases/versions/$version/deploy/launch" "$root/opt/ccus-gate/launch"
install -m 644 "$releases/versions/$version/deploy/launch-check.mjs" "$root/opt/ccus-gate/launch-check.mjs"
if $live; then chown -R "$service_user:$service_user" "$releases"; fi
cli="$releases/current/node_modules/@ccus-gate/firmware/dist/cli/main.js"

# 4. The serial port or SPI bus the bundle's hardware profile uses.
profile=""
if [ -f "$bundle" ]; then
  profile=$(node -e 'const b = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); process.stdout.write(String(b.hardwareProfile ?? ""))' "$bundle" || true)
fi
boot="$root/boot/firmware"
case "$profile" in
  *uart*)
    ensure_line "$boot/config.txt" "enable_uart=1"
    # The UART is the reader's, not a login console's.
    if [ -f "$boot/cmdline.txt" ]; then sed -i -E 's/(^| )console=(serial0|ttyAMA0|ttyS0),[0-9]+//; s/^ //' "$boot/cmdline.txt"; fi
    ;;
  *spi*) ensure_line "$boot/config.txt" "dtparam=spi=on" ;;
  *) ;;
esac

# 5. Config folder: the service user's own; provision writes owner-only files into it.
install -d -m 700 "$root/etc/ccus-gate"
if $live; then chown "$service_user:$service_user" "$root/etc/ccus-gate"; fi

# 6. The unit, enabled; logs in memory only (an SD card wears with every write).
install -d -m 755 "$root/etc/systemd/system/multi-user.target.wants" "$root/etc/systemd/journald.conf.d"
install -m 644 "$releases/current/deploy/ccus-gate-terminal.service" "$root/etc/systemd/system/ccus-gate-terminal.service"
ln -sfn ../ccus-gate-terminal.service "$root/etc/systemd/system/multi-user.target.wants/ccus-gate-terminal.service"
install -m 644 "$releases/current/deploy/journald-ccus-gate.conf" "$root/etc/systemd/journald.conf.d/ccus-gate.conf"

# 7. The bundle: applied as the service user, then deleted (it holds the password).
if [ -f "$bundle" ]; then
  say "applying $bundle"
  if $live; then
    systemctl stop ccus-gate-terminal 2>/dev/null || true
    runuser -u "$service_user" -- node "$cli" provision "$bundle" --config /etc/ccus-gate/terminal.json
  else
    node "$cli" provision "$bundle" --config "$root/etc/ccus-gate/terminal.json"
  fi
  rm -f "$bundle"
elif [ ! -f "$root/etc/ccus-gate/terminal.json" ]; then
  say "no bundle at $bundle and no config yet: put the bundle there and run this again"
fi

if $live; then
  systemctl daemon-reload
  systemctl restart systemd-journald
  if [ -f /etc/ccus-gate/terminal.json ]; then systemctl restart ccus-gate-terminal; fi
  say "done; check with: runuser -u $service_user -- node $cli doctor --login"
else
  say "done (into $root; nothing started)"
fi
