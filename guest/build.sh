#!/usr/bin/env bash
# Builds the Thaw guest image (a kernel and an initramfs) from Debian packages only.
#
#   guest/build.sh OUTDIR
#
# Writes OUTDIR/vmlinuz, OUTDIR/initramfs.img, OUTDIR/tsc-khz (this host's TSC rate, see
# tsc-khz.c), OUTDIR/no-thp.so (preloaded into QEMU for restores from a served memory file, see
# no-thp.c) and OUTDIR/kernel.txt, last, which marks the image complete. The kernel comes from
# Debian's linux-image package (fetched with `apt-get download`, unpacked with
# `dpkg-deb -x`, never installed on the host); busybox from busybox-static the same way.
# modules.txt and modules-image.txt name the kernel modules the guest loads. Host tools needed: apt-get, dpkg-deb, depmod/modprobe (kmod), gcc with a static libc,
# cpio, gzip. THAW_KERNEL_PACKAGE overrides the kernel package (default: what
# linux-image-amd64 depends on).
set -euo pipefail
out=$(realpath -m "${1:?usage: build.sh OUTDIR}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
chmod 755 "$work"  # apt-get download drops to the _apt user
trap 'rm -rf "$work"' EXIT

pkg=${THAW_KERNEL_PACKAGE:-$(apt-cache depends linux-image-amd64 2>/dev/null \
  | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')}
if [ -z "$pkg" ]; then
  echo "build.sh: cannot resolve the kernel package; run 'apt-get update' first" >&2
  exit 1
fi
echo "build.sh: kernel package $pkg" >&2
cd "$work"
apt-get download -q -o APT::Sandbox::User=root "$pkg" busybox-static >&2
dpkg-deb -x linux-image-*.deb kernel
dpkg-deb -x busybox-static_*.deb busybox
kver=$(ls kernel/lib/modules | head -1)

root=$work/root
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,lib/modules}
cp busybox/bin/busybox "$root/bin/busybox"
cp "$here/init" "$root/init"
chmod 755 "$root/init" "$root/bin/busybox"
gcc -static -O2 -Wall -Wextra -o "$root/sbin/thaw-guest" "$here/thaw-guest.c"

# Resolve each module's dependencies in load order and copy exactly those files. The modules
# of modules.txt load at every boot; those of modules-image.txt (disks, ext4, overlayfs,
# fw_cfg) only for functions from an image, so the built-in functions boot as before.
depmod -b "$work/kernel" "$kver"
resolve() {  # resolve LIST OUT: OUT gets the module files LIST needs that no earlier list has
  : > "$2"
  while read -r mod; do
    [ -n "$mod" ] || continue
    modprobe -d "$work/kernel" -S "$kver" --show-depends "$mod" | while read -r kind path _; do
      [ "$kind" = insmod ] || continue
      name=$(basename "$path")
      name=${name%.xz}; name=${name%.zst}
      [ -e "$root/lib/modules/$name" ] && continue
      case "$path" in
        *.xz) xz -dc "$path" > "$root/lib/modules/$name" ;;
        *.zst) zstd -qdc "$path" > "$root/lib/modules/$name" ;;
        *) cp "$path" "$root/lib/modules/$name" ;;
      esac
      echo "/lib/modules/$name" >> "$2"
    done
  done < "$1"
}
resolve "$here/modules.txt" "$root/etc/thaw-modules"
resolve "$here/modules-image.txt" "$root/etc/thaw-modules-image"

mkdir -p "$out"
cp "kernel/boot/vmlinuz-$kver" "$out/vmlinuz"
# A reproducible archive: sorted names, fixed times and owners.
(cd "$root" && find . -exec touch -h -d @0 {} + && find . | LC_ALL=C sort \
  | cpio --quiet -o -H newc -R 0:0 --reproducible | gzip -n -9) > "$out/initramfs.img"
gcc -O2 -o "$work/tsc-khz" "$here/tsc-khz.c"
"$work/tsc-khz" > "$out/tsc-khz"
gcc -O2 -Wall -Wextra -shared -fPIC -o "$out/no-thp.so" "$here/no-thp.c" -ldl
echo "$pkg $kver" > "$out/kernel.txt"
echo "build.sh: wrote $out ($(du -sh "$out" | cut -f1))" >&2
