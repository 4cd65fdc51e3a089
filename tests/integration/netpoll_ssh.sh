#!/bin/sh
# netpoll_ssh.sh: ward-netpoll's SSH checks against a throwaway sshd on
# loopback with its own host key and a test user: key login and the Unix
# inventory; an unknown host key, a changed one and trust on first use; a
# wrong key, a key file open to others; a command that hangs, one that
# writes too much, one that fails; and a port where nothing listens.
. "$top_srcdir/tests/integration/lib.sh"
require_root "sshd's test user"
require_cmd jq
require_cmd ssh-keygen
[ -x /usr/sbin/sshd ] || skip "sshd is not installed (./quickstart installs openssh-server)"

NP=$WARD_NETPOLL
S=$T/ssh
mkdir -p "$S"
USER_NAME=ward-sshtest
if ! id "$USER_NAME" >/dev/null 2>&1; then
	useradd -M -d /nonexistent -s /bin/sh "$USER_NAME" ||
	    fail "useradd $USER_NAME"
fi
# A locked password that still lets keys in.
usermod -p '*' "$USER_NAME" || fail "usermod $USER_NAME"
mkdir -p /run/sshd

ssh-keygen -q -t ed25519 -N '' -f "$S/host" -C host || fail "host key"
ssh-keygen -q -t ed25519 -N '' -f "$S/id" -C user || fail "user key"
ssh-keygen -q -t ed25519 -N '' -f "$S/other" -C other || fail "other key"
cp "$S/id.pub" "$S/authorized_keys"
chmod 0600 "$S/id" "$S/other"
chmod 0755 "$S" "$T"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DEAD=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$S/sshd_config" <<EOT
Port $PORT
ListenAddress 127.0.0.1
HostKey $S/host
PidFile $S/sshd.pid
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $S/authorized_keys
AllowUsers $USER_NAME
LogLevel ERROR
EOT

start_sshd() {
	/usr/sbin/sshd -D -e -f "$S/sshd_config" 2>> "$S/sshd.log" &
	SSHD_PID=$!
	i=0
	while ! python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "sshd did not start: $(cat "$S/sshd.log")"
		kill -0 "$SSHD_PID" 2>/dev/null ||
		    fail "sshd exited: $(cat "$S/sshd.log")"
		sleep 0.1
	done
}
stop_sshd() {
	kill "$SSHD_PID" 2>/dev/null || true
	wait "$SSHD_PID" 2>/dev/null || true
}
start_sshd
at_exit 'stop_sshd'

FP=$(ssh-keygen -l -f "$S/host.pub" | awk '{print $2}')
URI=ssh://$USER_NAME@127.0.0.1:$PORT
KH=$S/known_hosts

# sprobe STATUS URI ARGS...: probes, fails unless it exits STATUS; the
# report in $OUT, the log in $ERR.
sprobe() {
	want=$1
	uri=$2
	shift 2
	set +e
	"$NP" "$@" probe "$uri" > "$S/out.json" 2> "$S/err"
	got=$?
	set -e
	OUT=$(cat "$S/out.json")
	ERR=$(cat "$S/err")
	[ "$got" = "$want" ] || fail "probe $uri $*: exited $got, expected $want:
$OUT
$ERR"
}

# check_of JSON: the ssh.probe check's status and output.
status_of() {
	printf '%s\n' "$1" | jq -r '.checks[] | select(.name == "ssh.probe") | .status'
}
output_of() {
	printf '%s\n' "$1" | jq -r '.checks[] | select(.name == "ssh.probe") | .output'
}
alive_of() {
	printf '%s\n' "$1" | jq -r '.checks[] | select(.name == "alive") | .status'
}

# ---------------------------------------------------------- unknown host key
: > "$KH"
sprobe 1 "$URI" --key "$S/id" --known-hosts "$KH"
assert_contains "$(output_of "$OUT")" "SSH host-key:"
assert_contains "$(output_of "$OUT")" "[127.0.0.1]:$PORT: unknown host key"
assert_contains "$(output_of "$OUT")" "$FP"
[ "$(status_of "$OUT")" = 2 ] || fail "unknown key: not CRITICAL"
[ "$(alive_of "$OUT")" = 0 ] || fail "unknown key: the device answered"
[ ! -s "$KH" ] || fail "an unknown key was written without trust_first_use"
ok "an unknown host key is refused, naming the host and $FP"

# ---------------------------------------------------------- trust on first use
rm -f "$KH"
sprobe 0 "$URI" --key "$S/id" --known-hosts "$KH" --trust-first-use
grep -q "^\[127.0.0.1\]:$PORT ssh-ed25519 " "$KH" ||
    fail "trust on first use did not write the key: $(cat "$KH" 2>&1)"
ssh-keygen -F "[127.0.0.1]:$PORT" -f "$KH" >/dev/null ||
    fail "ssh-keygen cannot find the written key"
ok "trust on first use writes the key, as OpenSSH reads it"

# ---------------------------------------------------------- key login, inventory
sprobe 0 "$URI" --key "$S/id" --known-hosts "$KH"
[ "$(status_of "$OUT")" = 0 ] || fail "login: $(output_of "$OUT")"
assert_contains "$(output_of "$OUT")" "SSH OK: 2 commands"
. /etc/os-release
[ "$(printf '%s\n' "$OUT" | jq -r .host.os.id)" = "$ID" ] ||
    fail "os.id: $(printf '%s\n' "$OUT" | jq -c .host.os)"
[ "$(printf '%s\n' "$OUT" | jq -r .host.os.version_id)" = "$VERSION_ID" ] ||
    fail "os.version_id: $(printf '%s\n' "$OUT" | jq -c .host.os)"
[ "$(printf '%s\n' "$OUT" | jq -r .host.os.kernel)" = "$(uname -r)" ] ||
    fail "os.kernel: $(printf '%s\n' "$OUT" | jq -c .host.os)"
[ "$(printf '%s\n' "$OUT" | jq -r .host.os.pretty_name)" = "$PRETTY_NAME" ] ||
    fail "os.pretty_name: $(printf '%s\n' "$OUT" | jq -c .host.os)"
[ "$(alive_of "$OUT")" = 0 ] || fail "alive not OK"
ok "key login; os-release and uname -r read into host.os ($ID $VERSION_ID)"

# ---------------------------------------------------------- command checks
sprobe 1 "$URI" --key "$S/id" --known-hosts "$KH" --profile none \
    --command 'echo disk full; exit 2'
[ "$(status_of "$OUT")" = 2 ] || fail "exit 2 is not CRITICAL"
assert_contains "$(output_of "$OUT")" 'exited 2: disk full'
sprobe 0 "$URI" --key "$S/id" --known-hosts "$KH" --profile none \
    --command 'true'
ok "a command's exit status is its check's"

# ---------------------------------------------------------- timeout
sprobe 1 "$URI" --key "$S/id" --known-hosts "$KH" --profile none \
    --command 'sleep 60' --timeout 2s
assert_contains "$(output_of "$OUT")" 'SSH timeout: "sleep 60" did not finish within 2s'
[ "$(alive_of "$OUT")" = 0 ] || fail "a slow command: the device answered"
ok "a command that hangs ends at the timeout"

# ---------------------------------------------------------- output cap
sprobe 1 "$URI" --key "$S/id" --known-hosts "$KH" --profile none \
    --command 'yes' --output-max 4k --timeout 20s
[ "$(status_of "$OUT")" = 1 ] || fail "cut output: $(output_of "$OUT")"
assert_contains "$(output_of "$OUT")" 'wrote more than 4096 bytes'
ok "endless output is cut at output_max and the session ends"

# ---------------------------------------------------------- wrong key
sprobe 1 "$URI" --key "$S/other" --known-hosts "$KH"
assert_contains "$(output_of "$OUT")" "SSH auth: 127.0.0.1: user $USER_NAME with key $S/other: refused"
[ "$(alive_of "$OUT")" = 0 ] || fail "wrong key: the device answered"
ok "a key the server does not know is refused"

chmod 0644 "$S/other"
sprobe 1 "$URI" --key "$S/other" --known-hosts "$KH"
assert_contains "$(output_of "$OUT")" "SSH config: key file $S/other: mode 0644"
ok "a key file others can read is not used"

# ---------------------------------------------------------- dead port
sprobe 1 "ssh://$USER_NAME@127.0.0.1:$DEAD" --key "$S/id" \
    --known-hosts "$KH"
assert_contains "$(output_of "$OUT")" "SSH connect: 127.0.0.1 port $DEAD: Connection refused"
[ "$(alive_of "$OUT")" = 2 ] || fail "dead port: alive is not CRITICAL"
ok "a port where nothing listens: connect failure, alive CRITICAL"

# ---------------------------------------------------------- changed host key
stop_sshd
rm -f "$S/host" "$S/host.pub"
ssh-keygen -q -t ed25519 -N '' -f "$S/host" -C host2 || fail "host key 2"
FP2=$(ssh-keygen -l -f "$S/host.pub" | awk '{print $2}')
start_sshd
cp "$KH" "$S/kh.before"
sprobe 1 "$URI" --key "$S/id" --known-hosts "$KH" --trust-first-use
assert_contains "$(output_of "$OUT")" "[127.0.0.1]:$PORT: HOST KEY CHANGED"
assert_contains "$(output_of "$OUT")" "$FP2"
cmp -s "$KH" "$S/kh.before" || fail "a changed key touched known_hosts"
ok "a changed host key is refused, even with trust_first_use"
