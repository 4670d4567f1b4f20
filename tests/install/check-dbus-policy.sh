#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Check our D-Bus policy on a private system bus whose base policy mimics Debian's system.conf
# (deny own and method calls by default) and which includes the policy under test:
#   - the file is valid XML;
#   - root may own org.freedesktop.NetworkManager.ike and ...ike.Connection_1 and call them;
#   - an unprivileged user (nobody) may do neither.
# Usage: check-dbus-policy.sh POLICY_FILE
set -euo pipefail
policy=$(realpath "$1")
NAME=org.freedesktop.NetworkManager.ike
fail() { echo "check-dbus-policy: $*" >&2; exit 1; }

xmllint --noout "$policy" || fail "$policy is not well-formed XML"
grep -q '<busconfig>' "$policy" || fail "$policy has no <busconfig>"

dir=$(mktemp -d /tmp/nm-ike-dbus.XXXXXX)
chmod 755 "$dir"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT

cat > "$dir/bus.conf" <<EOC
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$dir/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
  <include>$policy</include>
</busconfig>
EOC
dbus-daemon --config-file="$dir/bus.conf" --nofork --nopidfile >"$dir/bus.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do [ -S "$dir/bus" ] && break; sleep 0.1; done
[ -S "$dir/bus" ] || fail "private bus did not start: $(cat "$dir/bus.log")"
chmod 777 "$dir/bus"
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/bus"

# request_name USER NAME -> prints the RequestName reply or the error name
request_name() {
    local user=$1 name=$2
    local -a asuser=()
    [ "$user" = root ] || asuser=(setpriv --reuid="$user" --regid=nogroup --clear-groups)
    "${asuser[@]}" gdbus call --system --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
        --method org.freedesktop.DBus.RequestName "$name" 0 2>&1 || true
}
# Root owns the name (reply (uint32 1,) = primary owner), nobody is refused.
out=$(request_name root "$NAME");                [[ $out == *"(uint32 1,)"* ]] || fail "root could not own $NAME: $out"
out=$(request_name root "$NAME.Connection_1");   [[ $out == *"(uint32 1,)"* ]] || fail "root could not own $NAME.Connection_1: $out"
out=$(request_name nobody "$NAME");              [[ $out == *AccessDenied* ]] || fail "nobody was not denied owning $NAME: $out"
out=$(request_name nobody "$NAME.Connection_1"); [[ $out == *AccessDenied* ]] || fail "nobody was not denied owning $NAME.Connection_1: $out"
echo "check-dbus-policy: own: root allowed, nobody denied"

# Calls: dbus-test-tool (package dbus-tests) owns the name as root and answers every call;
# root's call must reach it, nobody's call must be denied by the bus.
dbus-test-tool echo --system --name="$NAME" >"$dir/owner.log" 2>&1 &
pids+=($!)
owner=""
for _ in $(seq 1 50); do
    owner=$(gdbus call --system --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
        --method org.freedesktop.DBus.GetNameOwner "$NAME" 2>&1) && break
    sleep 0.1
done
[[ $owner == *"':"* ]] || fail "dbus-test-tool did not get $NAME: $owner $(cat "$dir/owner.log")"
call() {
    local user=$1
    local -a asuser=()
    [ "$user" = root ] || asuser=(setpriv --reuid="$user" --regid=nogroup --clear-groups)
    "${asuser[@]}" dbus-send --system --print-reply --reply-timeout=1000 --dest="$NAME" \
        /org/freedesktop/NetworkManager/VPN/Plugin org.freedesktop.NetworkManager.VPN.Plugin.Disconnect 2>&1 || true
}
out=$(call root);   [[ $out == *"method return"* ]] || fail "root's call did not reach $NAME: $out"
out=$(call nobody); [[ $out == *AccessDenied* ]] || fail "nobody's call to $NAME was not denied: $out"
echo "check-dbus-policy: send: root allowed, nobody denied"
echo "check-dbus-policy: $policy OK"
