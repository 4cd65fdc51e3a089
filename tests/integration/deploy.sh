#!/bin/sh
# deploy.sh: the packages and the playbooks on a throwaway Debian target,
# never this machine's own /etc: a minimal debootstrap root in the test's
# temp dir, booted with systemd by systemd-nspawn in a network namespace of
# its own (loopback only), which Ansible reaches over SSH through that
# namespace.
#  1. dpkg: version N installed, state made, a conffile edited and another
#     broken; the upgrade to N+1 keeps state and edits and leaves the
#     service whose configuration fails -n running as it was; purge.
#  2. site.yml installs N from the freshly built packages, secrets from an
#     encrypted vault; the collector and agent run and the agent's host is
#     in the collector's API; a second run and a --check --diff run change
#     nothing; a broken variable fails -n and leaves the agent running;
#     upgrade.yml, rotate-agent-tokens.yml and decommission-host.yml run.
. "$top_srcdir/tests/integration/lib.sh"
require_root "debootstrap and systemd-nspawn need it"
for c in debootstrap systemd-nspawn nsenter socat ssh ssh-keygen \
    ansible-playbook ansible-vault curl openssl dpkg-deb jq; do
	require_cmd $c
done

DEBS=$top_builddir/tests/integration/deb.out
ARCH=$(dpkg --print-architecture)
VERSION=$(dpkg-parsechangelog -l "$top_srcdir/debian/changelog" -S Version)
NEXT=$VERSION+1
PKGS="ward-agent ward-netpoll ward-collector ward-idsync ward"
deb() { echo "$DEBS/${1}_${2}_$ARCH.deb"; }
for p in $PKGS; do
	[ -f "$(deb $p "$VERSION")" ] && [ -f "$(deb $p "$NEXT")" ] ||
	    fail "no $p $VERSION and $NEXT in $DEBS: deb.sh builds them (make check runs it first)"
done

# ------------------------------------------------------------ the target
# What ward's packages depend on, and what a managed Debian server has:
# systemd, sshd, python3 and python3-apt for Ansible, the plugins the
# agent runs.
deps=$(for p in $PKGS; do dpkg-deb -f "$(deb $p "$VERSION")" Depends; done |
    tr ',' '\n' | sed -e 's/[|(].*//' -e 's/ //g' |
    grep -v -e '^\$' -e '^ward' -e '^$' | sort -u | tr '\n' ',')
INCLUDE=${deps}systemd,systemd-sysv,dbus,openssh-server,python3,python3-apt,
INCLUDE=${INCLUDE}monitoring-plugins-basic
SUITE=$(. /etc/os-release && echo "$VERSION_CODENAME")
# The mirror this machine's apt uses for its release (WARD_DEBIAN_MIRROR
# overrides it).
MIRROR=${WARD_DEBIAN_MIRROR:-$(apt-get indextargets \
    --format '$(RELEASE) $(REPO_URI)' 'Created-By: Packages' 2>/dev/null |
    awk -v s="$SUITE" '$1 == s { print $2; exit }')}
[ -n "$MIRROR" ] || fail "no apt source for $SUITE: set WARD_DEBIAN_MIRROR"

# The root is made once (a minimal variant, about a minute) and kept as a
# tar in the build tree, or in WARD_DEPLOY_CACHE (./quickstart check
# points every build of the checkout at one), for later runs.
R=$T/root
key=$(printf '%s %s %s' "$SUITE" "$MIRROR" "$INCLUDE" | md5sum | cut -c1-12)
cachedir=${WARD_DEPLOY_CACHE:-$top_builddir/tests/integration}
mkdir -p "$cachedir"
cache=$cachedir/deploy-root-$key.tar
mkdir "$R"
if [ -f "$cache" ]; then
	tar -C "$R" -xf "$cache" || fail "cannot unpack $cache"
	ok "target root from $cache"
else
	start=$(date +%s)
	debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$R" \
	    "$MIRROR" > "$T/debootstrap.log" 2>&1 ||
	    fail "debootstrap $SUITE from $MIRROR: $(tail -5 "$T/debootstrap.log")"
	rm -f "$cachedir"/deploy-root-*.tar
	tar -C "$R" -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"
	ok "target root: debootstrap $SUITE minbase in $(($(date +%s) - start)) s"
fi

echo ward-target > "$R/etc/hostname"
ssh-keygen -q -t ed25519 -N '' -f "$T/id" -C ward-deploy-test
mkdir -p -m 0700 "$R/root/.ssh"
cp "$T/id.pub" "$R/root/.ssh/authorized_keys"
MACHINE=ward-deploy-$$

# target_stop: halts the target (SIGTERM asks systemd-nspawn to shut it
# down), by PID, and waits for it.
target_stop() {
	[ -n "${NSPAWN:-}" ] || return 0
	kill -TERM "$NSPAWN" 2>/dev/null || true
	i=0
	while kill -0 "$NSPAWN" 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$NSPAWN" 2>/dev/null || true
	wait "$NSPAWN" 2>/dev/null || true
	rmdir "/run/systemd/nspawn/propagate/$MACHINE" 2>/dev/null || true
}
at_exit target_stop

systemd-nspawn -q -D "$R" --boot --machine="$MACHINE" --register=no \
    --keep-unit --private-network --hostname=ward-target \
    --console=read-only > "$T/console.log" 2>&1 < /dev/null &
NSPAWN=$!
LEADER=
i=0
while [ -z "$LEADER" ] && [ $i -lt 100 ]; do
	kill -0 "$NSPAWN" 2>/dev/null ||
	    fail "systemd-nspawn stopped: $(tail -20 "$T/console.log")"
	LEADER=$(pgrep -P "$NSPAWN" | head -1) || true
	[ -n "$LEADER" ] || sleep 0.1
	i=$((i + 1))
done
[ -n "$LEADER" ] || fail "the target's init did not start"

# tx CMD...: runs CMD in the target, as root, in a clean environment.
tx() {
	nsenter --target "$LEADER" --all \
	    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"
}
# Until systemd answers on its bus, and then until it has booted.
i=0
while :; do
	state=$(tx timeout 60 systemctl is-system-running --wait 2>&1) || true
	case $state in
	running|degraded) break ;;
	esac
	[ $i -lt 100 ] ||
	    fail "the target did not boot ($state): $(tail -20 "$T/console.log")"
	sleep 0.2
	i=$((i + 1))
done
ok "target booted with systemd ($state), network: loopback only"

# unit_pid UNIT: the unit's main PID in the target (0 when not running).
unit_pid() {
	tx systemctl show -p MainPID --value "$1"
}
active() {
	tx systemctl is-active --quiet "$1" ||
	    fail "$1 is not active: $(tx journalctl -u "$1" --no-pager -n 20 2>&1)"
}

# ------------------------------------------------------------ 1. dpkg
mkdir "$R/root/n" "$R/root/next"
for p in $PKGS; do
	cp "$(deb $p "$VERSION")" "$R/root/n/"
	cp "$(deb $p "$NEXT")" "$R/root/next/"
done
tx sh -c 'dpkg -i /root/n/*.deb' > "$T/dpkg-n.log" 2>&1 ||
    fail "dpkg -i $VERSION: $(tail -20 "$T/dpkg-n.log")"
tx getent passwd ward > /dev/null || fail "no user ward"
[ "$(tx stat -c '%U %a' /var/lib/ward)" = "ward 750" ] ||
    fail "/var/lib/ward: $(tx stat -c '%U %a' /var/lib/ward)"
# The collector's example works as it is; the agent and netpoll wait,
# disabled, for a collector's address and a token.
active ward-collector
for u in ward-agent ward-netpoll ward-idsync.timer; do
	tx systemctl is-active --quiet $u && fail "$u started before it has a token"
	tx systemctl is-enabled --quiet $u && fail "$u was enabled before it has a token"
done
for u in ward-agent ward-netpoll; do
	assert_contains "$(cat "$T/dpkg-n.log")" "$u: installed, not enabled"
done
assert_contains "$(cat "$T/dpkg-n.log")" "ward-idsync: installed, its timer not enabled"
tx systemctl is-active --quiet ward-idsync.service &&
    fail "dpkg ran ward-idsync"
ok "$VERSION installed: user ward, /var/lib/ward, the collector running; agent, netpoll and idsync's timer waiting"

# Set up by hand as the messages say, against the collector's example
# (plain HTTP on loopback): a token each, the edits to their conffiles.
for spec in ward-agent:agent ward-netpoll:netpoll; do
	u=${spec%%:*} c=${spec#*:}
	tx sh -c "umask 077; ward-collector token add --role agent \
	    --name $c.manual > /etc/ward/$c.token 2>/dev/null" ||
	    fail "token add for $u"
	tx chown ward:ward /etc/ward/$c.token
	tx sed -i -e "s|^url = https://.*|url = http://127.0.0.1:8443|" \
	    -e "s|^#token_file = |token_file = |" /etc/ward/$c.conf
	tx systemctl enable --now --quiet $u
	active $u
done
# State: a token in the collector's database, the agent's id and its
# reports there, an edited conffile; and a conffile broken by hand, of a
# running service.
tx ward-collector token add --role read --name upgrade-test \
    > /dev/null 2>&1 || fail "token add"
i=0
while ! tx ward-collector token list |
    awk '$1 == "agent.manual" && $4 != "never" { f = 1 } END { exit !f }'; do
	[ $i -lt 100 ] || fail "the agent never reported: $(tx journalctl -u ward-agent --no-pager -n 20)"
	sleep 0.2
	i=$((i + 1))
done
agent_id=$(tx cat /var/lib/ward/agent/id) || fail "the agent made no id"
tx sed -i 's/^interval = 60s$/interval = 120s/' /etc/ward/agent.conf
tx grep -qx 'interval = 120s' /etc/ward/agent.conf || fail "edit agent.conf"
tx sh -c 'echo "no_such_key = 1" >> /etc/ward/netpoll.conf'
tx runuser -u ward -- ward-netpoll -n -c /etc/ward/netpoll.conf \
    > /dev/null 2>&1 &&
    fail "the broken netpoll.conf passes -n"
netpoll_pid=$(unit_pid ward-netpoll)
collector_pid=$(unit_pid ward-collector)
agent_pid=$(unit_pid ward-agent)

tx sh -c 'dpkg -i /root/next/*.deb' > "$T/dpkg-next.log" 2>&1 ||
    fail "dpkg -i $NEXT: $(tail -20 "$T/dpkg-next.log")"
for p in $PKGS; do
	v=$(tx dpkg-query -W -f '${Version}' $p)
	[ "$v" = "$NEXT" ] || fail "$p is at $v after the upgrade"
done
tx ward-collector token list | grep -q '^upgrade-test .* live$' ||
    fail "the collector's database lost its token: $(tx ward-collector token list)"
[ "$(tx cat /var/lib/ward/agent/id)" = "$agent_id" ] ||
    fail "the agent's id changed"
tx grep -qx 'interval = 120s' /etc/ward/agent.conf &&
    tx grep -qx 'token_file = /etc/ward/agent.token' /etc/ward/agent.conf ||
    fail "the edits to agent.conf were lost"
assert_contains "$(cat "$T/dpkg-next.log")" \
    'ward-netpoll: /etc/ward/netpoll.conf fails "ward-netpoll -n"'
assert_contains "$(cat "$T/dpkg-next.log")" 'no_such_key'
[ "$(unit_pid ward-netpoll)" = "$netpoll_pid" ] ||
    fail "ward-netpoll was restarted with a configuration that fails -n: $(tx journalctl -u ward-netpoll --no-pager -n 30)"
active ward-netpoll
for u in ward-collector ward-agent; do
	[ "$(unit_pid $u)" != "$(eval echo \$${u#ward-}_pid)" ] ||
	    fail "$u was not restarted by the upgrade"
	active $u
done
ok "upgrade to $NEXT: database, id and edited conffile kept; the broken netpoll left running, with a message"

tx dpkg --purge $PKGS > "$T/dpkg-purge.log" 2>&1 ||
    fail "dpkg --purge: $(tail -20 "$T/dpkg-purge.log")"
for f in /var/lib/ward /lib/systemd/system/ward-agent.service \
    /usr/sbin/ward-collector; do
	tx test ! -e "$f" || fail "$f is still there after the purge"
done
# Only what the administrator put there stays: the two tokens.
left=$(tx ls /etc/ward | tr '\n' ' ')
[ "$left" = "agent.token netpoll.token " ] ||
    fail "/etc/ward after the purge: $left"
tx rm -r /etc/ward
for u in ward-collector ward-agent ward-netpoll; do
	tx systemctl is-active --quiet $u && fail "$u still runs after the purge"
done
tx getent passwd ward > /dev/null || fail "the purge removed the user ward"
ok "purge: services stopped, configuration and state gone; the tokens made by hand and the user kept"

# ------------------------------------------------------------ 2. Ansible
make_test_ca
# From here the collector's TLS key is ward's own, mode 0600: its
# commands run as ward (as root, they refuse the key).
INV=$T/inventory
mkdir -p "$INV/group_vars/all"
cat > "$INV/hosts.yml" <<INV
all:
  children:
    datacentres:
      children:
        basildon:
          hosts:
            ward-target:
    ward_collector:
      hosts:
        ward-target:
    ward_netpoll:
      hosts:
        ward-target:
    ward_agent:
      children:
        datacentres:
    ward_idsync:
      hosts:
        ward-target:
    ward_tui:
      hosts:
        ward-target:
  vars:
    ansible_user: root
    ansible_ssh_private_key_file: $T/id
    ansible_ssh_common_args: >-
      -o ProxyCommand="nsenter --target $LEADER --net
      socat STDIO TCP:127.0.0.1:22"
      -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
INV
cat > "$INV/group_vars/all/ward.yml" <<VARS
ward_version: "$VERSION"
ward_deb_dir: $DEBS
ward_collector_url: https://127.0.0.1:8443
ward_ca_cert_src: $T/ca.crt
ward_collector_tls_cert_src: $T/server.crt
ward_collector_tls_key: "{{ vault_ward_collector_tls_key }}"
ward_datacentre_groups: [basildon]
ward_datacentre: basildon
ward_agent_interval: 10s
ward_netpoll_communities:
  lab-ro: "{{ vault_lab_community }}"
ward_idsync_domains:
  - name: btuh
    uri: ldaps://127.0.0.2
    base: DC=btuh,DC=test
    bind_dn: CN=svc-ward,OU=Service Accounts,DC=btuh,DC=test
ward_idsync_bind_passwords:
  btuh: "{{ vault_btuh_password }}"
VARS
# The secrets, encrypted with ansible-vault as a site keeps them; none may
# show in any output.
COMMUNITY=lab-community-$$-Qx7
PASSWORD=bind-password-$$-Zr4
{
	echo "vault_ward_collector_tls_key: |"
	sed 's/^/  /' "$T/server.key"
	echo "vault_lab_community: $COMMUNITY"
	echo "vault_btuh_password: $PASSWORD"
} > "$INV/group_vars/all/vault.yml"
echo "vault-password-$$" > "$T/vault-pass"
ansible-vault encrypt --vault-password-file "$T/vault-pass" \
    "$INV/group_vars/all/vault.yml" > /dev/null 2>&1 ||
    fail "ansible-vault encrypt"
head -1 "$INV/group_vars/all/vault.yml" | grep -q '^\$ANSIBLE_VAULT' ||
    fail "the vault is not encrypted"
KEYLINE=$(sed -n 2p "$T/server.key")

# play NAME PLAYBOOK ARGS...: runs the playbook against the target; its
# output in $T/NAME.log and $OUT, its exit status in $got.
play() {
	name=$1
	shift
	set +e
	(cd "$top_srcdir/playbooks" &&
	    ANSIBLE_CONFIG=$top_srcdir/playbooks/ansible.cfg \
	    ANSIBLE_HOME=$T/ansible ANSIBLE_LOCAL_TEMP=$T/ansible/tmp \
	    ANSIBLE_SSH_CONTROL_PATH_DIR=$T/ansible/cp ANSIBLE_NOCOLOR=1 \
	    ANSIBLE_HOST_KEY_CHECKING=False \
	    ansible-playbook -i "$INV/hosts.yml" \
	    --vault-password-file "$T/vault-pass" "$@") > "$T/$name.log" 2>&1
	got=$?
	set -e
	OUT=$(cat "$T/$name.log")
	for secret in "$COMMUNITY" "$PASSWORD" "$KEYLINE"; do
		assert_not_contains "$OUT" "$secret"
	done
	if [ -s "$R/etc/ward/agent.token" ]; then
		assert_not_contains "$OUT" "$(cat "$R/etc/ward/agent.token")"
	fi
}
# recap FIELD: the number in the PLAY RECAP line for ward-target.
recap() {
	sed -n "s/^ward-target  *:.* $1=\([0-9]*\).*/\1/p" "$T/$name.log" | tail -1
}
played() {
	[ "$got" = 0 ] && [ "$(recap failed)" = 0 ] ||
	    fail "$name exited $got:
$(tail -40 "$T/$name.log")"
}

# Check mode on the new host: it says what it would do and fails nothing.
play fresh-check site.yml --check --diff
played
[ "$(recap changed)" -gt 0 ] || fail "--check on a new host would change nothing"
tx test ! -e /usr/sbin/ward-agent || fail "--check installed ward-agent"
ok "--check --diff on a new host: $(recap changed) changes shown, none made"

start=$(date +%s)
play converge site.yml
played
ok "site.yml converged in $(($(date +%s) - start)) s ($(recap changed) changed)"

for u in ward-collector ward-agent ward-netpoll; do
	active $u
done
for f in agent.token:ward netpoll.token:ward netpoll.secrets:ward \
    collector.key:ward btuh.password:ward automation.token:root; do
	got=$(tx stat -c '%U %a' "/etc/ward/${f%%:*}")
	[ "$got" = "${f#*:} 600" ] || fail "/etc/ward/${f%%:*} is $got"
done
tx grep -q "community = $COMMUNITY" /etc/ward/netpoll.secrets ||
    fail "the community from the vault is not in netpoll.secrets"
active ward-idsync.timer
ok "services running; tokens, key and secrets mode 0600, from the vault, never shown"

# api PATH: GET from the collector in the target, with the playbooks' token.
api() {
	nsenter --target "$LEADER" --net curl -fsS --cacert "$T/ca.crt" \
	    -H "Authorization: Bearer $(cat "$R/etc/ward/automation.token")" \
	    "https://127.0.0.1:8443/api/v1/$1"
}
i=0
until host=$(api hosts/ward-target 2>/dev/null) && [ -n "$host" ]; do
	[ $i -lt 60 ] || fail "ward-target never appeared in the collector's API: $(api hosts 2>&1)"
	sleep 0.5
	i=$((i + 1))
done
[ "$(printf '%s' "$host" | jq -r '[.datacentre, .state] | join(" ")')" = \
    "basildon UP" ] || fail "ward-target in the API: $host"
ok "the agent's host is in the collector's API, UP, in basildon"

play again site.yml
played
[ "$(recap changed)" = 0 ] ||
    fail "the second run changed $(recap changed):
$(grep -E '^changed:' "$T/again.log")"
ok "second run: changed=0"

play check site.yml --check --diff
played
[ "$(recap changed)" = 0 ] ||
    fail "--check --diff changed $(recap changed):
$(grep -E '^changed:' "$T/check.log")"
ok "--check --diff on a converged host: changed=0"

sum=$(tx sha256sum /etc/ward/agent.conf)
pid=$(unit_pid ward-agent)
play broken agent.yml -e ward_agent_interval=1s
[ "$got" != 0 ] || fail "a broken ward_agent_interval passed"
assert_contains "$OUT" "failed to validate"
assert_contains "$OUT" '[agent] interval: \"1s\": out of range'
[ "$(tx sha256sum /etc/ward/agent.conf)" = "$sum" ] ||
    fail "the broken configuration replaced agent.conf"
[ "$(unit_pid ward-agent)" = "$pid" ] ||
    fail "ward-agent was restarted by the broken run"
active ward-agent
ok "a broken variable fails ward-agent -n; agent.conf and the running agent untouched"

play upgrade upgrade.yml -e "ward_version=$NEXT"
played
for p in ward-collector ward-agent ward-netpoll; do
	v=$(tx dpkg-query -W -f '${Version}' $p)
	[ "$v" = "$NEXT" ] || fail "$p is at $v after upgrade.yml"
done
assert_contains "$OUT" "Wait until the collector has a new report from the host"
ok "upgrade.yml: $NEXT, and the host reported again before it finished"

old=$(cat "$R/etc/ward/agent.token")
play rotate rotate-agent-tokens.yml -e "ward_version=$NEXT"
played
[ "$(cat "$R/etc/ward/agent.token")" != "$old" ] ||
    fail "rotate-agent-tokens.yml left the token as it was"
live=$(tx runuser -u ward -- ward-collector token list | awk '$1 ~ /^agent\.ward-target\./ && $NF == "live"')
[ "$(printf '%s\n' "$live" | wc -l)" = 1 ] ||
    fail "not one live agent token after the rotation: $live"
tx runuser -u ward -- ward-collector token list | awk '$1 ~ /^agent\.ward-target\./ && $NF == "revoked"' |
    grep -q . || fail "the old agent token was not revoked"
ok "rotate-agent-tokens.yml: a new token in use, the old one revoked"

play decommission decommission-host.yml -l ward-target -e "ward_version=$NEXT"
played
tx dpkg-query -W -f '${Status}' ward-agent 2>/dev/null | grep -q installed &&
    fail "ward-agent is still installed"
tx test ! -e /etc/ward/agent.token || fail "the agent's token is still there"
tx runuser -u ward -- ward-collector token list | awk '$1 ~ /^(agent|netpoll)\.ward-target\./ && $NF == "live"' |
    grep -q . && fail "the host's tokens are still live"
tx runuser -u ward -- ward-collector maintenance list | grep -q ward-target ||
    fail "no maintenance window for the decommissioned host"
ok "decommission-host.yml: agent purged, tokens revoked, the host in maintenance"
