# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The Debian-kernel VM: virtme-ng (vng) under qemu with software emulation (TCG; KVM is unusable on
# this kind of machine).  The guest sees the host's root filesystem read-only over 9p with
# writable tmpfs layers (/etc, /var, /tmp, ...); /var/cache is an empty tmpfs in the guest, so
# $LAB_CACHE (Libreswan, virtme-ng) is passed in explicitly.  Unix sockets cannot be created on a
# 9p share: run files stay on the guest's /tmp, only logs go to the shared results directory.
#
#   lab_vm_kernel                     prints the kernel to boot ($LAB_VM_KERNEL or the newest
#                                     /boot/vmlinuz-* that has /lib/modules)
#   lab_vm_exec RWDIR TIMEOUT CMD     boots the VM once, runs CMD (a shell string) as root, prints
#                                     the console to stdout; exit status = CMD's (124 on timeout).
#                                     It EXECs: call it in the background (&) or in a subshell.

lab_vm_kernel() {
	if [ -n "${LAB_VM_KERNEL:-}" ]; then
		echo "$LAB_VM_KERNEL"
		return 0
	fi
	local k ver best=""
	for k in /boot/vmlinuz-*; do
		[ -f "$k" ] || continue
		ver=${k#/boot/vmlinuz-}
		[ -d "/lib/modules/$ver" ] || continue
		best=$(printf '%s\n%s\n' "$best" "$k" | sed '/^$/d' | sort -V | tail -n1)
	done
	[ -n "$best" ] || return 1
	echo "$best"
}

lab_vm_exec() {
	local rwdir=$1 tmo=$2 cmd=$3 kernel
	kernel=$(lab_vm_kernel) || {
		echo "lab: no kernel with modules in /boot (install linux-image-amd64)" >&2
		return 1
	}
	[ -x "$LAB_VENV/bin/vng" ] || {
		echo "lab: virtme-ng not installed in $LAB_VENV (run tests/lab/install-deps)" >&2
		return 1
	}
	local args=(--disable-kvm --run "$kernel" --cpus "${LAB_VM_CPUS:-$(nproc)}" --memory "${LAB_VM_MEMORY:-4G}"
		--rwdir "$rwdir" --rodir "$LAB_CACHE")
	# paths the guest hides behind its own tmpfs mounts
	case $LAB_REPO/ in
	/var/cache/* | /var/tmp/* | /var/log/* | /var/lib/private/* | /var/lib/apt/* | /run/*)
		args+=(--rodir "$LAB_REPO")
		;;
	esac
	# exec: the caller's (sub)shell becomes `timeout`, so "lab_vm_exec ... &" gives its PID in $!.
	# timeout has its own process group: on TERM the whole VM (vng, virtme-run, qemu) is stopped.
	PATH="$LAB_VENV/bin:$PATH" exec timeout --kill-after=20 "$tmo" \
		"$LAB_VENV/bin/vng" "${args[@]}" -- "$cmd" </dev/null
}
