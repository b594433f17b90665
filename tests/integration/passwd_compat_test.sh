#!/usr/bin/env bash
# Integration: `cairn passwd` against the real mosquitto (Debian's 2.0.11).
#   (a) a file written by `cairn passwd` (password on stdin) is accepted by a
#       real mosquitto broker: mosquitto_pub with the right password connects,
#       with a wrong one or an unknown user it is refused;
#   (b) a file written by `mosquitto_passwd -b` and then updated by
#       `cairn passwd` keeps every line it did not change byte for byte, and
#       both tools and the broker still read it;
#   (c) what `cairn passwd` refuses (a file that does not parse, an empty
#       password, a user name with ':') leaves the file as it was.
#
# usage: passwd_compat_test.sh CAIRN_BINARY
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
cairn="$1"
passed=0
failed=0
dir="$(mktemp -d)"

cleanup() {
  # Only this script's own children still running: PIDs are reused here.
  local pid
  for pid in $(jobs -r -p); do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
}
trap cleanup EXIT



# `cairn passwd FILE USER` with the password on stdin; prints the exit code.
cairn_passwd() {  # file user password
  local code=0
  printf '%s\n' "$3" | "$cairn" passwd "$1" "$2" >"$dir/out" 2>"$dir/err" || code=$?
  echo "$code"
}

# A mosquitto broker on a free loopback port reading FILE; sets $port and
# $broker. Run as root, mosquitto drops to the `mosquitto` user unless told
# otherwise, and could then not read a mode 0600 file.
start_mosquitto() {  # file
  port="$(free_port)"
  {
    echo "listener $port 127.0.0.1"
    echo "allow_anonymous false"
    echo "password_file $1"
    echo "persistence false"
    echo "log_dest stderr"
    if [[ "$(id -u)" == 0 ]]; then echo "user root"; fi
  } >"$dir/mosquitto.conf"
  /usr/sbin/mosquitto -c "$dir/mosquitto.conf" >"$dir/mosquitto.log" 2>&1 &
  broker=$!
  for _ in $(seq 100); do
    if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "mosquitto did not start:"
  cat "$dir/mosquitto.log"
  exit 1
}

stop_mosquitto() {
  kill "$broker" 2>/dev/null || true
  wait "$broker" 2>/dev/null || true
}

# mosquitto_pub's exit code for USER and PASSWORD: 0 connected, 5 refused.
publish_as() {  # user password
  local code=0
  mosquitto_pub -h 127.0.0.1 -p "$port" -u "$1" -P "$2" -t passwd/test -m hi \
    >/dev/null 2>&1 || code=$?
  echo "$code"
}

# --- (a) written by cairn passwd, read by mosquitto -----------------------
file="$dir/cairn_passwd"
check "cairn passwd creates the file" 0 "$(cairn_passwd "$file" alice 'open sesame')"
check "it says what it did" "cairn passwd: added user 'alice' to $file" "$(cat "$dir/out")"
check "a new file has mode 0600" 600 "$(stat -c %a "$file")"
check "a second user" 0 "$(cairn_passwd "$file" bob 'b0b:$pw')"
check "two lines" 2 "$(wc -l <"$file")"
start_mosquitto "$file"
check "mosquitto accepts alice's password" 0 "$(publish_as alice 'open sesame')"
check "mosquitto accepts bob's password" 0 "$(publish_as bob 'b0b:$pw')"
check "mosquitto refuses a wrong password" 5 "$(publish_as alice 'open sesame ')"
check "mosquitto refuses alice with bob's password" 5 "$(publish_as alice 'b0b:$pw')"
check "mosquitto refuses an unknown user" 5 "$(publish_as carol 'open sesame')"
stop_mosquitto
check "mosquitto read the file without complaint" "" \
  "$(grep -i 'password\|pwfile' "$dir/mosquitto.log" || true)"

# --- (b) written by mosquitto_passwd, updated by cairn passwd -------------
file="$dir/mosquitto_passwd"
mosquitto_passwd -c -b "$file" carol 'carol pass'
mosquitto_passwd -H sha512 -b "$file" dave 'dave pass'
chmod 640 "$file"
cp "$file" "$dir/before"
check "cairn passwd adds a user" 0 "$(cairn_passwd "$file" erin 'erin pass')"
check "the old lines stay byte for byte" "" "$(head -n 2 "$file" | cmp - "$dir/before" 2>&1)"
check "the new line is last" "erin:\$7\$101\$" "$(tail -n 1 "$file" | cut -c 1-12)"
check "the mode of an existing file is kept" 640 "$(stat -c %a "$file")"

# mosquitto_passwd reads what cairn wrote (it stops at a line it cannot).
cp "$file" "$dir/before"
check "mosquitto_passwd updates the file cairn wrote" 0 \
  "$(mosquitto_passwd -b "$file" frank 'frank pass' >/dev/null 2>&1; echo $?)"
check "and keeps cairn's line" "" "$(head -n 3 "$file" | cmp - "$dir/before" 2>&1)"

# mosquitto_passwd 2.0.11 drops comments when it rewrites a file (and calls
# them corrupt); cairn keeps them, and the broker skips them.
printf '# the plant floor\n\n' >>"$file"
cp "$file" "$dir/before"
check "cairn passwd changes carol's password" 0 "$(cairn_passwd "$file" carol 'new carol')"
check "it says what it did" "cairn passwd: changed the password of user 'carol' in $file" \
  "$(cat "$dir/out")"
check "every other line stays byte for byte" "" \
  "$(diff <(sed 1d "$dir/before") <(sed 1d "$file") 2>&1)"
check "carol's line is new" "carol:\$7\$101\$ changed" \
  "$(head -n 1 "$file" | cut -c 1-13) $(cmp -s <(head -n 1 "$dir/before") <(head -n 1 "$file") || echo changed)"

start_mosquitto "$file"
check "mosquitto: carol's new password" 0 "$(publish_as carol 'new carol')"
check "mosquitto: carol's old password" 5 "$(publish_as carol 'carol pass')"
check "mosquitto: dave (\$6\$ from mosquitto_passwd)" 0 "$(publish_as dave 'dave pass')"
check "mosquitto: erin (added by cairn)" 0 "$(publish_as erin 'erin pass')"
check "mosquitto: frank (added by mosquitto_passwd)" 0 "$(publish_as frank 'frank pass')"
stop_mosquitto

cp "$file" "$dir/before"
code=0
"$cairn" passwd -D "$file" dave >"$dir/out" 2>&1 </dev/null || code=$?
check "cairn passwd -D deletes a user" 0 "$code"
check "only dave's line is gone" "" "$(diff <(grep -v '^dave:' "$dir/before") "$file" 2>&1)"
code=0
"$cairn" passwd --delete "$file" dave >/dev/null 2>"$dir/err" </dev/null || code=$?
check "deleting a user who is not there fails" 1 "$code"
check "and says so" "cairn passwd: user 'dave' is not in $file" "$(cat "$dir/err")"

# --- (c) what cairn passwd refuses leaves the file alone ------------------
cp "$file" "$dir/before"
check "an empty password is refused" 1 "$(cairn_passwd "$file" erin '')"
check "and named" "cairn passwd: the password is empty; $file not changed" "$(cat "$dir/err")"
check "a user name with ':' is refused" 2 "$(cairn_passwd "$file" 'a:b' 'pw')"
check "and named" "cairn passwd: the user name contains ':'" "$(cat "$dir/err")"
check "the file is unchanged" "" "$(cmp "$file" "$dir/before" 2>&1)"

lines="$(wc -l <"$file")"
echo "mallory" >>"$file"
cp "$file" "$dir/before"
check "a file that does not parse is refused" 1 "$(cairn_passwd "$file" erin 'pw')"
check "naming the line" \
  "cairn passwd: password file $file line $((lines + 1)): no ':' between a user name and a password hash; not changed" \
  "$(cat "$dir/err")"
check "and it is unchanged" "" "$(cmp "$file" "$dir/before" 2>&1)"
check "no temporary file is left" "" "$(find "$dir" -name '*.cairn-passwd-*')"

echo "passwd_compat: $passed passed, $failed failed"
[[ "$failed" == 0 ]]
