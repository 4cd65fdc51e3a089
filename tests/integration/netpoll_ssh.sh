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

SSH_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DEAD=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$S/sshd_config" <<EOT
Port $SSH_PORT
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
	while ! python3 -c "import socket; socket.create_connection(('127.0.0.1', $SSH_PORT), 1)" 2>/dev/null; do
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
URI=ssh://$USER_NAME@127.0.0.1:$SSH_PORT
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
assert_contains "$(output_of "$OUT")" "[127.0.0.1]:$SSH_PORT: unknown host key"
assert_contains "$(output_of "$OUT")" "$FP"
[ "$(status_of "$OUT")" = 2 ] || fail "unknown key: not CRITICAL"
[ "$(alive_of "$OUT")" = 0 ] || fail "unknown key: the device answered"
[ ! -s "$KH" ] || fail "an unknown key was written without trust_first_use"
ok "an unknown host key is refused, naming the host and $FP"

# ---------------------------------------------------------- trust on first use
# The key's line is added at the end: what was there (comments, other
# hosts, a line with no newline at its end) stays as it was.
printf '# hosts of ward 3\nother.test ssh-ed25519 %s' \
    "$(cut -d' ' -f2 "$S/id.pub")" > "$KH"
cp "$KH" "$S/kh.first"
sprobe 0 "$URI" --key "$S/id" --known-hosts "$KH" --trust-first-use
grep -q "^\[127.0.0.1\]:$SSH_PORT ssh-ed25519 " "$KH" ||
    fail "trust on first use did not write the key: $(cat "$KH" 2>&1)"
ssh-keygen -F "[127.0.0.1]:$SSH_PORT" -f "$KH" >/dev/null ||
    fail "ssh-keygen cannot find the written key"
[ "$(head -2 "$KH")" = "$(cat "$S/kh.first")" ] && [ "$(wc -l < "$KH")" = 3 ] ||
    fail "trust on first use did not keep what known_hosts held: $(cat "$KH")"
ok "trust on first use adds the key, as OpenSSH reads it, keeping the rest"

# A key marked @revoked is refused, the host's own line or not, and
# trust on first use does not take it.
printf '@revoked * %s\n' "$(cut -d' ' -f1,2 "$S/host.pub")" >> "$KH"
cp "$KH" "$S/kh.revoked"
sprobe 1 "$URI" --key "$S/id" --known-hosts "$KH" --trust-first-use
assert_contains "$(output_of "$OUT")" "[127.0.0.1]:$SSH_PORT: its ssh-ed25519 key $FP is REVOKED (line 4 of $KH); refused"
cmp -s "$KH" "$S/kh.revoked" || fail "a revoked key touched known_hosts"
sed -i '/^@revoked/d' "$KH"
ok "a key marked @revoked in known_hosts is refused"

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

# ---------------------------------------------------------- --once, collector
require_cmd sqlite3
make_test_ca
collector_conf "$T/collector.conf" 1
(umask 077
"$WARD_COLLECTOR" -c "$T/collector.conf" token add --role agent --name np \
    > "$T/token" 2>/dev/null) || fail "token add failed"
start_collector
cat > "$T/netpoll.conf" <<CONF
[netpoll]
datacentre = harlow
state_dir = $T/state
secrets_file = $T/no-secrets-needed
include_dir = $T/netpoll.d
[collector]
url = $URL
ca_file = $T/ca.crt
token_file = $T/token
retry_max = 1s

# One server, its inventory and two command checks.
[ssh "web1"]
address = 127.0.0.1
port = $SSH_PORT
user = $USER_NAME
key_file = $S/id
known_hosts = $KH
profile = unix
command = echo all good
[ssh "web1-disk"]
address = 127.0.0.1
port = $SSH_PORT
user = $USER_NAME
key_file = $S/id
known_hosts = $KH
host = web1
command = echo disk 91% used; exit 1

# A session that hangs, one where nothing listens: each fails alone.
[ssh "hang1"]
address = 127.0.0.1
port = $SSH_PORT
user = $USER_NAME
key_file = $S/id
known_hosts = $KH
command = sleep 60
timeout = 2s
CONF
mkdir -p "$T/netpoll.d"
cat > "$T/netpoll.d/dead.conf" <<CONF
[ssh "dead1"]
address = 127.0.0.1
port = $DEAD
user = $USER_NAME
key_file = $S/id
known_hosts = $KH
profile = unix
CONF
run 0 "$NP" -n -c "$T/netpoll.conf"
set +e
"$NP" -c "$T/netpoll.conf" --once > "$T/once.log" 2>&1
rc=$?
set -e
[ $rc = 0 ] || fail "--once exited $rc: $(cat "$T/once.log")"
assert_contains "$(cat "$T/once.log")" "3 device reports delivered"
db() {
	sqlite3 "$T/ward.db" "$1"
}
chk() {
	db "select c.status || '|' || c.output from checks c join hosts h
	    on h.id = c.host_id where h.agent_id = '$1' and c.name = '$2'"
}
expect_check() {
	got=$(chk "$1" "$2")
	case $got in
	"$3|$4"*) ;;
	*) fail "$1 $2: got \"$got\", expected \"$3|$4...\"" ;;
	esac
}
expect_check netpoll:harlow:web1 ssh.web1 0 "SSH OK: 3 commands in "
expect_check netpoll:harlow:web1 ssh.web1-disk 1 'SSH command: "echo disk 91% used; exit 1" exited 1: disk 91% used'
expect_check netpoll:harlow:web1 alive 0 "the device answers (2 of 2 checks got through)"
expect_check netpoll:harlow:hang1 ssh.hang1 2 'SSH timeout: "sleep 60" did not finish within 2s'
expect_check netpoll:harlow:dead1 ssh.dead1 2 "SSH connect: 127.0.0.1 port $DEAD"
expect_check netpoll:harlow:dead1 alive 2 "no check reached the device: SSH connect:"
[ "$(db "select kind from hosts where agent_id = 'netpoll:harlow:web1'")" = server ] ||
    fail "web1's kind: $(db "select * from hosts where agent_id = 'netpoll:harlow:web1'")"
ok "--once: three hosts of SSH sessions delivered, each with its own outcome"

# Bad configurations are named.
printf '[ssh "x"]\naddress = 127.0.0.1\nuser = u\nkey_file = %s\n' "$S/other" \
    > "$T/bad.conf"
run 1 "$NP" -n -c "$T/bad.conf"
assert_contains "$OUT" '[ssh "x"] key_file'
assert_contains "$OUT" 'mode 0644'
printf '[ssh "y"]\naddress = 127.0.0.1\nuser = u\nkey_file = %s\n' "$S/id" \
    > "$T/bad.conf"
run 1 "$NP" -n -c "$T/bad.conf"
assert_contains "$OUT" '[ssh "y"]: no command and profile none'
ok "-n names a key file open to others and a session with nothing to run"

stop_sshd
rm -f "$S/host" "$S/host.pub"
ssh-keygen -q -t ed25519 -N '' -f "$S/host" -C host2 || fail "host key 2"
FP2=$(ssh-keygen -l -f "$S/host.pub" | awk '{print $2}')
start_sshd
cp "$KH" "$S/kh.before"
sprobe 1 "$URI" --key "$S/id" --known-hosts "$KH" --trust-first-use
assert_contains "$(output_of "$OUT")" "[127.0.0.1]:$SSH_PORT: HOST KEY CHANGED"
assert_contains "$(output_of "$OUT")" "$FP2"
cmp -s "$KH" "$S/kh.before" || fail "a changed key touched known_hosts"
ok "a changed host key is refused, even with trust_first_use"

# A key of another type from a host known_hosts knows: changed, as
# OpenSSH takes it, not a new host to trust on first use.
stop_sshd
rm -f "$S/host" "$S/host.pub"
ssh-keygen -q -t ecdsa -b 256 -N '' -f "$S/host" -C host3 || fail "host key 3"
FP3=$(ssh-keygen -l -f "$S/host.pub" | awk '{print $2}')
start_sshd
sprobe 1 "$URI" --key "$S/id" --known-hosts "$KH" --trust-first-use
assert_contains "$(output_of "$OUT")" "[127.0.0.1]:$SSH_PORT: HOST KEY CHANGED: $KH has other keys for it, and it offers a ecdsa-sha2-nistp256 key $FP3"
cmp -s "$KH" "$S/kh.before" || fail "a key of another type was written to known_hosts"
ok "a key of another type is a changed key: refused, even with trust_first_use"

# ---------------------------------------------------------- a silent resolver
# A host name whose DNS server never answers costs that host its own
# timeout, named as such, while the others go on: netpoll runs in a mount
# namespace of its own whose resolv.conf names a server that reads queries
# and never replies.
require_cmd unshare
require_cmd python3
[ "$(id -u)" = 0 ] || skip "a mount namespace for resolv.conf needs root"
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.44.0.1", 53))
open(sys.argv[1], "w").write("ready\n")
time.sleep(600)
' "$T/dns.ready" &
DNS_PID=$!
at_exit 'kill $DNS_PID 2>/dev/null'
i=0
until [ -s "$T/dns.ready" ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "the silent DNS server did not start"
	sleep 0.1
done
printf 'nameserver 127.44.0.1\noptions timeout:5 attempts:1\n' > "$T/resolv.conf"
cat > "$T/netpoll-dns.conf" <<CONF
[netpoll]
datacentre = harlow
state_dir = $T/state-dns
secrets_file = $T/no-secrets-needed
[collector]
url = $URL
ca_file = $T/ca.crt
token_file = $T/token
retry_max = 1s
[ssh "slowdns1"]
address = slow-host.test
port = $SSH_PORT
user = $USER_NAME
key_file = $S/id
known_hosts = $KH
profile = unix
timeout = 1s
[ssh "dead2"]
address = 127.0.0.1
port = $DEAD
user = $USER_NAME
key_file = $S/id
known_hosts = $KH
profile = unix
CONF
set +e
unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' \
    sh "$T/resolv.conf" "$NP" -c "$T/netpoll-dns.conf" --once \
    > "$T/dns.log" 2>&1
rc=$?
set -e
[ $rc = 0 ] || fail "--once with a silent resolver exited $rc: $(cat "$T/dns.log")"
expect_check netpoll:harlow:slowdns1 ssh.slowdns1 2 \
    "SSH resolve: slow-host.test: no answer from the resolver within 1s"
expect_check netpoll:harlow:slowdns1 alive 2 "no check reached the device"
expect_check netpoll:harlow:dead2 ssh.dead2 2 "SSH connect: 127.0.0.1 port $DEAD"
ok "a resolver that never answers costs its host its own timeout"

# A host with an ed25519 and an ECDSA key, known by its ed25519 key only
# (as OpenSSH leaves known_hosts): the key type on record is asked for
# first, and the host is checked against it, as OpenSSH does.
stop_sshd
rm -f "$S/host" "$S/host.pub" "$S/host2" "$S/host2.pub"
ssh-keygen -q -t ed25519 -N '' -f "$S/host" -C host4 || fail "host key 4"
ssh-keygen -q -t ecdsa -b 256 -N '' -f "$S/host2" -C host5 || fail "host key 5"
sed -i "s#^HostKey $S/host\$#HostKey $S/host2\nHostKey $S/host#" "$S/sshd_config"
start_sshd
printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$S/host.pub")" > "$S/kh2"
sprobe 0 "$URI" --key "$S/id" --known-hosts "$S/kh2"
assert_contains "$(output_of "$OUT")" "SSH OK"
ok "a host known by one of its key types is asked for that type and checked against it"
