#!/bin/sh
# playbooks.sh: playbooks/ passes ansible-lint's production profile (with
# yamllint) and ansible-playbook --syntax-check; a lint violation is
# caught; the example inventory has the eight datacentres as groups and
# keeps every secret in the vault, none in clear. deploy.sh runs them.
. "$top_srcdir/tests/integration/lib.sh"
for c in ansible-lint ansible-playbook ansible-inventory yamllint; do
	require_cmd $c
done

# A copy: ansible-lint keeps a cache in the project, and the tree may be
# read-only (make distcheck).
cp -r "$top_srcdir/playbooks" "$T/playbooks"
export ANSIBLE_HOME="$T/ansible" ANSIBLE_LOCAL_TEMP="$T/ansible/tmp" \
    ANSIBLE_NOCOLOR=1 NO_COLOR=1 XDG_CACHE_HOME="$T/cache"
cd "$T/playbooks"
lint() {
	set +e
	OUT=$(ansible-lint --offline --nocolor --profile production 2>&1)
	got=$?
	set -e
}
lint
[ "$got" = 0 ] || fail "ansible-lint --profile production ($got):
$OUT"
assert_contains "$OUT" "Passed with production profile"
ok "ansible-lint: production profile, no failure, no warning"

for p in site.yml collector.yml netpoll.yml agent.yml idsync.yml tui.yml \
    upgrade.yml rotate-agent-tokens.yml decommission-host.yml; do
	[ -f "$p" ] || fail "no playbook $p"
	run 0 ansible-playbook -i inventories/example/hosts.yml --syntax-check "$p"
done
ok "ansible-playbook --syntax-check: every playbook"

# The lint can fail: a task without a name, a command that always changes.
cat >> roles/ward_tui/tasks/main.yml <<'YAML'

- ansible.builtin.command: ls /etc/ward
YAML
lint
[ "$got" != 0 ] || fail "ansible-lint passed a nameless, always-changed command"
assert_contains "$OUT" "no-changed-when"
assert_contains "$OUT" "name[missing]"
ok "ansible-lint catches a bad task"

# The example inventory: the eight datacentres, a netpoll in each, one
# collector and one idsync host, the agents everywhere.
inv=$(ansible-inventory -i inventories/example/hosts.yml --list)
n() { printf '%s' "$inv" | jq -r "$1"; }
[ "$(n '.datacentres.children | length')" = 8 ] ||
    fail "datacentres: $(n '.datacentres.children')"
[ "$(n '.ward_netpoll.hosts | length')" = 8 ] || fail "netpolls: $(n .ward_netpoll)"
[ "$(n '.ward_collector.hosts | length')" = 1 ] || fail "collector"
[ "$(n '.ward_idsync.hosts | length')" = 1 ] || fail "idsync"
for dc in $(n '.datacentres.children[]'); do
	[ "$(n ".\"$dc\".hosts | length")" -ge 2 ] || fail "$dc has no servers"
	v=$(n "._meta.hostvars[.\"$dc\".hosts[0]].ward_datacentre")
	[ "$v" = "$(echo "$dc" | tr _ -)" ] || fail "$dc's hosts say datacentre $v"
done
ok "the example inventory: eight datacentres with a netpoll each, one collector, one idsync"

# Secrets: referred to as vault_* variables, defined in no group_vars.
defined=$(grep -rhoE '^ *vault_[a-z0-9_]+:' inventories/example/group_vars || true)
[ -z "$defined" ] || fail "a secret in clear in the example: $defined"
for v in $(grep -rhoE 'vault_[a-z0-9_]+' inventories/example/group_vars | sort -u); do
	grep -q "^$v:" inventories/example/vault.example.yml ||
	    fail "$v is not listed in vault.example.yml"
done
grep -rq 'no_log: true' roles/ward_common/tasks/token.yml ||
    fail "the token tasks do not hide their output"
ok "the example's secrets are vault_* variables, listed, none in clear"
