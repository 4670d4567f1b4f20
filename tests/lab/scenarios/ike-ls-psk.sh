# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# lab-vm: yes
# lab-timeout: 240
# lab-description: our nm-ike initiator -> Libreswan pluto, IKEv2 PSK, site to site; pluto's own log and trafficstatus show the IKE SA and Child SA with the expected algorithms

# shellcheck source=../lib/nm-ike.sh
source "$LAB_DIR/lib/nm-ike.sh"
PSK="lab-ike-ls-psk-0123456789"

scenario_run() {
	lab_topo
	lab_pluto_s2s_psk "$PSK"
	lab_ike_up left left
	lab_ike_wait left CHILD_SA_UP 60
	lab_timing tunnel-up
	lab_check "pluto trafficstatus shows no SA for s2s" lab_pluto_has_sa right s2s
	lab_ls_assert_log right "sent IKE_SA_INIT reply \{cipher=AES_GCM_16_256 integ=n/a prf=HMAC_SHA2_512 group=DH19\}"
	lab_ls_assert_log right "responder established IKE SA; authenticated peer using authby=secret and ID_FQDN .@left.lab.test."
	lab_ls_assert_log right "established Child SA.*IPsec tunnel \[10\.2\.0\.0-10\.2\.0\.255:0-65535 0\] -> \[10\.1\.0\.0-10\.1\.0\.255:0-65535 0\].*xfrm=AES_GCM_16_256-NONE"
	lab_ike_event left CHILD_SA_UP | lab_grepq "local_ts=$LAB_LEFT_LAN remote_ts=$LAB_RIGHT_LAN" ||
		lab_fail "our selectors differ: $(lab_ike_event left CHILD_SA_UP)"
	lab_daemon_stop left 10
	lab_wait "$(lab_scale 10)" "pluto to drop the SA" eval "! lab_pluto_has_sa right s2s"
}
