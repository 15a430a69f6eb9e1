#!/usr/bin/env bash
# The initrd, made once (build-image.sh): every package with an initramfs hook would make it
# again as it installs, minutes each under emulation.
#   initramfs-later.sh hold <root>   before the packages: update-initramfs does nothing
#   initramfs-later.sh make <root>   after them: the real one, once; raspi-firmware's hook then
#                                    copies kernel, initrd and device trees to /boot/firmware
set -euo pipefail
root=$2
tool=/usr/sbin/update-initramfs
case "$1" in
  hold)
    chroot "$root" dpkg-divert --quiet --local --rename --add "$tool"
    printf '#!/bin/sh\n# Held while the image is built (firmware/image/initramfs-later.sh).\nexit 0\n' >"$root$tool"
    chmod 755 "$root$tool"
    ;;
  make)
    if [ -e "$root$tool.distrib" ]; then
      rm -f "$root$tool"
      chroot "$root" dpkg-divert --quiet --local --rename --remove "$tool"
    fi
    chroot "$root" env -i PATH=/usr/bin:/usr/sbin LANG=C.UTF-8 update-initramfs -c -k all >/dev/null
    ;;
  *)
    echo "usage: initramfs-later.sh hold|make <root>" >&2
    exit 2
    ;;
esac
