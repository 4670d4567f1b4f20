# shellcheck shell=bash
# Shared by the capture scripts (swan-capture.sh, v1-capture.sh, v1-capture-ls.sh): sourced
# after OUT, RUN, L and R are set. Makes OUT, removes the namespaces and daemons on exit, and
# runs one charon-to-charon exchange while tcpdump records it.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$OUT"
TCPDUMP_PID=

cleanup() {
  [ -n "$TCPDUMP_PID" ] && kill "$TCPDUMP_PID" 2>/dev/null
  for n in $L $R; do [ -f "$RUN/$n/pid" ] && kill "$(cat "$RUN/$n/pid")" 2>/dev/null; done
  sleep 0.5
  for n in $L $R; do
    for p in $(ip netns pids $n 2>/dev/null); do kill "$p" 2>/dev/null; done
  done
  sleep 0.2
  ip netns del $L 2>/dev/null; ip netns del $R 2>/dev/null
}
trap cleanup EXIT

# charon_pair_run NAME: with both swanctl.conf written (a `sw` function in the script runs
# swanctl in a namespace), records $RUN/NAME.pcap while charon L initiates child c of conn t
# to charon R and terminates it again.
charon_pair_run() {
  local name=$1
  ip netns exec $L tcpdump -i vL -U -s 0 -w "$RUN/$name.pcap" 'udp port 500 or udp port 4500' \
    > "$RUN/tcpdump.log" 2>&1 &
  TCPDUMP_PID=$!
  for n in $L $R; do
    ip netns exec $n sh -c "mount -t tmpfs tmpfs /run && STRONGSWAN_CONF=$RUN/$n/strongswan.conf exec /usr/lib/ipsec/charon" \
      > "$RUN/$n/stdout" 2>&1 &
    echo $! > "$RUN/$n/pid"
  done
  for n in $L $R; do for _ in $(seq 1 100); do [ -S "$RUN/$n/charon.vici" ] && break; sleep 0.3; done; done
  sleep 0.5
  sw $R --load-all --file "$RUN/$R/swanctl.conf" >/dev/null || return 1
  sw $L --load-all --file "$RUN/$L/swanctl.conf" >/dev/null || return 1
  sw $L --initiate --child c --timeout 30 > "$RUN/$L/initiate.log" 2>&1
  echo "$name: initiate rc=$?"
  sleep 0.5
  sw $L --terminate --ike t --timeout 10 > "$RUN/$L/terminate.log" 2>&1
  echo "$name: terminate rc=$?"
  sleep 1
  kill "$TCPDUMP_PID"; wait "$TCPDUMP_PID" 2>/dev/null; TCPDUMP_PID=
}
