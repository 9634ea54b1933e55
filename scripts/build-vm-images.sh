#!/usr/bin/env bash
# Build bootable Debian VM disks for molecule/vm: the container test image's debootstrap
# root (scripts/build-images.sh) plus a kernel, GRUB installed on the disk, networking and
# an ssh key taken from a per-run seed disk. Nothing per-host is baked in (no host keys,
# no machine-id, no apt lists). A disk is rebuilt only when its recipe (this script and
# the container image it starts from) changed: the recipe hash sits beside the disk.
#
# Needs root, Docker, the keel-test/debian images, e2fsprogs (mkfs.ext4 -d), sfdisk and
# qemu-system-x86_64 (installed from Debian's archive when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

releases=("${@:-bookworm}")
read -r -a releases <<<"${releases[*]}"
cache="${KEEL_VM_CACHE:-/var/cache/keel-ssm/vm}"
disk_mib=4096
part_offset=$((1024 * 1024))

# What an instance image brings beyond the container image. ansible-core and boto3 are
# pre-installed (without recommends, as keel-run installs them) so each scenario run does
# not unpack them under software emulation; keel-run's own install path is what the
# rehearsal scenario proves on containers.
packages=(
  linux-image-cloud-amd64 grub-pc initramfs-tools udev kmod
  ansible-core python3-boto3
)

vm_recipe_version=1
script_hash=$(sha256sum "$0" | cut -c1-16)

need_tools() {
  local missing=()
  command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
  command -v sfdisk >/dev/null || missing+=(fdisk)
  if ((${#missing[@]})); then
    echo "installing ${missing[*]} from Debian's archive" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# Runs as PID 1 on the image's own kernel (init=): puts GRUB on the disk it booted from,
# writes grub.cfg, and powers off. grub-install needs the real block device, which only a
# booted kernel gives without loop devices.
finish_script='#!/bin/sh
set -e
mount -o remount,rw /
mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sysfs /sys
grub-install --target=i386-pc /dev/vda
update-grub
rm -f /usr/local/sbin/keel-image-finish
sync
echo KEEL-IMAGE-FINISHED
mount -o remount,ro /
echo o >/proc/sysrq-trigger
sleep 60
'

# First boot of every run: an ed25519 host key made in the guest, and root's
# authorized_keys from the seed disk (label KEELSEED) that the scenario makes per run.
seed_unit='[Unit]
Description=keel.ssm test VM: host key and root ssh key from the seed disk
DefaultDependencies=no
After=local-fs.target
Before=ssh.service
ConditionPathExists=/dev/disk/by-label/KEELSEED

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/keel-vm-seed

[Install]
WantedBy=multi-user.target
'
seed_script='#!/bin/sh
set -e
test -e /etc/ssh/ssh_host_ed25519_key || ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key
mkdir -p /run/keel-seed /root/.ssh
mount -o ro /dev/disk/by-label/KEELSEED /run/keel-seed
install -m 0600 /run/keel-seed/authorized_keys /root/.ssh/authorized_keys
umount /run/keel-seed
'

build_one() {
  local release=$1 image="$cache/debian-$1.img" base="keel-test/debian:$1"
  local base_recipe recipe
  base_recipe=$(docker image inspect -f '{{ index .Config.Labels "keel.recipe" }}' "$base")
  recipe=$( { echo "$vm_recipe_version $script_hash $base_recipe"; printf '%s\n' "${packages[@]}"; } | sha256sum | cut -c1-16)
  if [[ -f $image && "$(cat "$image.recipe" 2>/dev/null)" == "$recipe" ]]; then
    echo "$image is up to date (recipe $recipe)"
    return 0
  fi
  echo "building $image (recipe $recipe)"
  local work container
  work=$(mktemp -d "/var/tmp/keel-vm-$release.XXXXXX")
  trap 'rm -rf "$work"; docker rm -f "keel-vm-build-$release" >/dev/null 2>&1 || true' RETURN
  container="keel-vm-build-$release"
  docker rm -f "$container" >/dev/null 2>&1 || true
  docker run --name "$container" -e DEBIAN_FRONTEND=noninteractive "$base" bash -euc "
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends ${packages[*]} >/dev/null
    apt-get clean" >"$work/install.log" 2>&1 || { tail -30 "$work/install.log" >&2; return 1; }
  mkdir "$work/root"
  docker export "$container" | tar -C "$work/root" -x
  local root="$work/root"
  # Container-only traces (systemd-detect-virt would say docker) and per-host identity.
  rm -f "$root/.dockerenv" "$root"/etc/ssh/ssh_host_* "$root/var/lib/dbus/machine-id"
  : >"$root/etc/machine-id"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
  echo keel-vm >"$root/etc/hostname"
  # The container image masks the console and logind; a VM has both.
  for unit in getty.target console-getty.service systemd-logind.service; do
    [[ -L $root/etc/systemd/system/$unit ]] && rm -f "$root/etc/systemd/system/$unit"
  done
  printf '/dev/vda1 / ext4 errors=remount-ro 0 1\n' >"$root/etc/fstab"
  mkdir -p "$root/etc/systemd/network"
  printf '[Match]\nName=en*\n\n[Network]\nDHCP=ipv4\n' >"$root/etc/systemd/network/10-keel-vm.network"
  ln -sf /lib/systemd/system/systemd-networkd.service "$root/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
  # QEMU's user-mode network answers DNS at 10.0.2.3.
  rm -f "$root/etc/resolv.conf"
  echo 'nameserver 10.0.2.3' >"$root/etc/resolv.conf"
  cat >"$root/etc/default/grub" <<'EOF'
GRUB_DEFAULT=0
GRUB_TIMEOUT=0
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="console=ttyS0,115200"
GRUB_TERMINAL=serial
GRUB_SERIAL_COMMAND="serial --speed=115200"
GRUB_DISABLE_OS_PROBER=true
EOF
  printf '%s' "$finish_script" >"$root/usr/local/sbin/keel-image-finish"
  printf '%s' "$seed_script" >"$root/usr/local/sbin/keel-vm-seed"
  chmod 0755 "$root/usr/local/sbin/keel-image-finish" "$root/usr/local/sbin/keel-vm-seed"
  printf '%s' "$seed_unit" >"$root/etc/systemd/system/keel-vm-seed.service"
  ln -sf /etc/systemd/system/keel-vm-seed.service "$root/etc/systemd/system/multi-user.target.wants/keel-vm-seed.service"
  mkdir -p "$root/etc/ssh/sshd_config.d"
  printf 'HostKey /etc/ssh/ssh_host_ed25519_key\nPermitRootLogin prohibit-password\n' \
    >"$root/etc/ssh/sshd_config.d/keel-vm.conf"

  local disk="$work/disk.img"
  truncate -s "${disk_mib}M" "$disk"
  echo "start=2048, type=83, bootable" | sfdisk -q "$disk"
  mkfs.ext4 -q -F -L keelroot -d "$root" -E offset=$part_offset "$disk" $((disk_mib - 1))M
  cp "$root"/boot/vmlinuz-* "$work/vmlinuz"
  cp "$root"/boot/initrd.img-* "$work/initrd"
  rm -rf "$root"
  # One boot on the image's kernel to install GRUB on the disk (see finish_script).
  timeout 900 qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 1024 -nographic -no-reboot \
    -drive "file=$disk,if=virtio,format=raw" -kernel "$work/vmlinuz" -initrd "$work/initrd" \
    -append "root=/dev/vda1 rw console=ttyS0 panic=1 init=/usr/local/sbin/keel-image-finish" \
    -nic none </dev/null >"$work/finish.log" 2>&1 || true
  if ! grep -q KEEL-IMAGE-FINISHED "$work/finish.log"; then
    tail -40 "$work/finish.log" >&2
    echo "GRUB was not installed on $image" >&2
    return 1
  fi
  mkdir -p "$cache"
  mv "$disk" "$image"
  echo "$recipe" >"$image.recipe"
  echo "built $image"
}

need_tools
for release in "${releases[@]}"; do
  build_one "$release"
done
