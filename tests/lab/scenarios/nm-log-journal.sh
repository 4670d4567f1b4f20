# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 60
# lab-description: NM_VPN_LOG_SYSLOG: with 1, nm-ike-service writes to the journal's native socket (a stand-in journal in a private mount namespace receives the datagrams: SYSLOG_IDENTIFIER=nm-ike-service, PRIORITY=3 for an error, the message text), nothing on stderr; with 0 the same line goes to stderr and the journal receives nothing

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"

# journal_run SYSLOG_FLAG OUTDIR: runs nm-ike-service (with a bad NM_IKE_KERNEL, so it logs one
# error and exits) in a private mount namespace whose /run/systemd/journal/socket is a Python
# datagram listener writing what it receives to OUTDIR/journal.txt.
journal_run() {
	local flag=$1 out=$2 service
	service=$(dirname "$(lab_ike_bin)")/nm-ike-service
	[ -x "$service" ] || lab_fail "nm-ike-service is not built"
	mkdir -p "$out"
	unshare --mount --propagation private bash -c '
		set -e
		mkdir -p /run/systemd/journal
		mount -t tmpfs tmpfs /run/systemd/journal
		python3 - "$1/journal.txt" <<"PY" &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/run/systemd/journal/socket")
open(sys.argv[1] + ".ready", "w").close()
s.settimeout(3)
def fields(d):
    # journald native protocol: KEY=value\n, or KEY\n + 64-bit LE length + value + \n
    out, i = [], 0
    while i < len(d):
        nl = d.find(b"\n", i)
        nl = len(d) if nl < 0 else nl
        eq = d.find(b"=", i, nl)
        if eq >= 0:
            out.append(d[i:nl])
            i = nl + 1
        else:
            n = int.from_bytes(d[nl + 1:nl + 9], "little")
            out.append(d[i:nl] + b"=" + d[nl + 9:nl + 9 + n])
            i = nl + 9 + n + 1
    return out
with open(sys.argv[1], "wb") as f:
    try:
        while True:
            for line in fields(s.recv(65536)):
                f.write(line + b"\n")
            f.write(b"--\n")
            f.flush()
    except socket.timeout:
        pass
PY
		for _ in $(seq 50); do [ -e "$1/journal.txt.ready" ] && break; sleep 0.1; done
		NM_VPN_LOG_SYSLOG=$2 NM_IKE_KERNEL=bogus-backend "$3" --bus-name org.freedesktop.NetworkManager.ike.Connection_lab \
			>"$1/stdout.txt" 2>"$1/stderr.txt" && exit 9
		wait
	' journal "$out" "$flag" "$service" || lab_fail "the journal run (NM_VPN_LOG_SYSLOG=$flag) failed"
}

scenario_run() {
	lab_require unshare python3
	local j1="$LAB_OUT/syslog-1" j0="$LAB_OUT/syslog-0"
	journal_run 1 "$j1"
	grep -q '^SYSLOG_IDENTIFIER=nm-ike-service$' "$j1/journal.txt" ||
		lab_fail "the journal got no SYSLOG_IDENTIFIER=nm-ike-service (see syslog-1/journal.txt)"
	grep -q '^PRIORITY=3$' "$j1/journal.txt" || lab_fail "the error did not arrive with PRIORITY=3"
	grep -q 'bogus-backend' "$j1/journal.txt" || lab_fail "the journal did not get the error text"
	[ ! -s "$j1/stderr.txt" ] || lab_fail "with NM_VPN_LOG_SYSLOG=1 something still went to stderr: $(head -c 200 "$j1/stderr.txt")"
	lab_log "NM_VPN_LOG_SYSLOG=1: $(grep -c '^--$' "$j1/journal.txt") journal datagram(s), stderr empty"

	journal_run 0 "$j0"
	grep -q 'bogus-backend' "$j0/stderr.txt" || lab_fail "with NM_VPN_LOG_SYSLOG=0 the error is not on stderr"
	[ ! -s "$j0/journal.txt" ] || lab_fail "with NM_VPN_LOG_SYSLOG=0 the journal still got datagrams"
	lab_log "NM_VPN_LOG_SYSLOG=0: stderr has the error, the journal nothing"
}
