# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: no
# lab-timeout: 120
# lab-description: charon under load (cookie threshold 1, one half-open IKE SA left by a replayed IKE_SA_INIT) demands a COOKIE; our initiator repeats IKE_SA_INIT with it and connects

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-ike-sw-cookie-0123456789"

scenario_run() {
	lab_topo
	lab_swanctl_conn gw conn=rw local_addrs="$LAB_RIGHT_IP" local_id=gw.lab.test \
		remote_id=client.lab.test psk="$PSK" pool="$LAB_POOL" local_ts="$LAB_RIGHT_LAN"
	lab_charon_start gw right --libipsec --extra "cookie_threshold = 1"
	# A captured strongSwan IKE_SA_INIT request, sent from another port, that nobody completes:
	# it leaves one half-open IKE SA on the gateway.
	lab_nsx left python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 40500))
s.sendto(open(sys.argv[3], "rb").read(), (sys.argv[2], 500))
s.settimeout(5)
print("half-open reply:", len(s.recv(2048)), "bytes")
' "$LAB_LEFT_IP" "$LAB_RIGHT_IP" "$LAB_REPO/ike-core/tests/data/swan-capture/gcm-00-ike_sa_init-req-500.bin"
	lab_ike_profile client right="$LAB_RIGHT_IP" rightid=gw.lab.test leftid=client.lab.test \
		rightsubnet="$LAB_RIGHT_LAN" secret.pskvalue="$PSK"
	lab_ike_up client left
	lab_ike_wait client CHILD_SA_UP 30
	grep -q "IKE_SA_INIT response 0 \[ N(COOKIE) \]" "$(lab_charon_dir gw)/charon.log" ||
		lab_fail "charon did not demand a COOKIE"
	grep -Eq "parsed IKE_SA_INIT request 0 \[ N\(COOKIE\) SA KE No" "$(lab_charon_dir gw)/charon.log" ||
		lab_fail "we did not repeat IKE_SA_INIT with the COOKIE first"
	lab_check "charon's CHILD_SA is not INSTALLED" lab_charon_child_installed gw c
}
