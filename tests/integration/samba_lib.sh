# samba_lib.sh: sourced by tests that need real Active Directory: three
# Samba AD domain controllers (realms BTUH.TEST, MEHT.TEST, SOUTHEND.TEST)
# in the network namespace wardad, on 127.0.0.2, .3 and .4, each serving
# LDAP and LDAPS with a certificate of the test's own CA.
#
# Provisioning costs seconds per domain, so it is done once per build tree
# and kept under tests/integration/samba-cache/ (`make clean` removes it);
# each test runs copies of those domains in its own temp dir. The
# addresses and ports are fixed (389, 636), so tests using the domains take
# turns through a lock. Needs root (the ports, the namespace): without it
# the test is skipped with the reason.
#
# Each domain holds, besides what provisioning makes, OU=Staff, OU=Admin
# Accounts, OU=Service Accounts and OU=Shared, one deleted account, and
# CN=svc-ward in OU=Service Accounts: the account ward-idsync reads as,
# with the rights its man page asks for and no more: reading CN=Deleted
# Objects (for incremental reads by uSNChanged), Replicating Directory
# Changes on the domain (for incremental reads by DirSync) and writing
# SAMBA_WRITE_ATTR on user objects.
#
# After samba_setup: SAMBA_DIR_NAME (its copy), $T/samba-ca.crt (the CA the
# DCs' certificate chains to), $T/svc.password (svc-ward's password, mode
# 0600), samba_exec CMD... runs CMD inside the namespace.

PATH=$PATH:/usr/sbin:/sbin
export PATH

SAMBA_NETNS=wardad
SAMBA_DOMAINS="btuh meht southend"
# Bumped whenever what the cache holds changes, so old caches are not used.
SAMBA_RECIPE=3
# An attribute of the Windows Server 2012 schema that provisioning makes:
# single-valued text, for write-back.
SAMBA_WRITE_ATTR=msDS-cloudExtensionAttribute10
SAMBA_WRITE_ATTR_GUID=670afcb3-13bd-47fc-90b3-0a527ed81ab7
SAMBA_USER_CLASS_GUID=bf967aba-0de6-11d0-a285-00aa003049e2
# DS-Replication-Get-Changes, the extended right DirSync needs.
SAMBA_GET_CHANGES_GUID=1131f6aa-9c07-11d1-f79f-00c04fc2dcd2
SAMBA_LOCK=${SAMBA_LOCK:-/run/lock/ward-samba-fixture.lock}

samba_ip() {
	case $1 in
	btuh) echo 127.0.0.2 ;;
	meht) echo 127.0.0.3 ;;
	southend) echo 127.0.0.4 ;;
	*) fail "samba_ip: no domain $1" ;;
	esac
}

samba_upper() {
	printf '%s' "$1" | tr '[:lower:]' '[:upper:]'
}

samba_exec() {
	ip netns exec "$SAMBA_NETNS" "$@"
}

samba_require() {
	require_root "Samba's domain controllers bind ports 389 and 636 on \
127.0.0.2-4 in a network namespace"
	for _c in samba samba-tool ldbadd ldbmodify ldbsearch ldbdel ldbrename \
	    ldapsearch ip openssl iconv flock; do
		require_cmd "$_c"
	done
	ip netns list > /dev/null 2>&1 ||
	    skip "network namespaces are not available here (ip netns)"
}

# _samba_sd LDB DN: the security descriptor of DN as SDDL, on one line.
_samba_sd() {
	ldbsearch -H "$1" -b "$2" -s base --show-deleted nTSecurityDescriptor |
	    awk '/^ / { if (on) v = v substr($0, 2); next }
		{ on = 0 }
		/^nTSecurityDescriptor: / { v = substr($0, 23); on = 1 }
		END { print v }'
}

# _samba_grant LDB DN ACE: adds ACE to DN's discretionary ACL.
_samba_grant() {
	_sd=$(_samba_sd "$1" "$2")
	[ -n "$_sd" ] || fail "no security descriptor on $2"
	case $_sd in
	*S:*) _sd=$(printf '%s' "$_sd" | sed "s/S:/$3S:/") ;;
	*) _sd=$_sd$3 ;;
	esac
	printf 'dn: %s\nchangetype: modify\nreplace: nTSecurityDescriptor\nnTSecurityDescriptor: %s\n' \
	    "$2" "$_sd" | ldbmodify -H "$1" --show-deleted > /dev/null ||
	    fail "cannot add $3 to the ACL of $2"
}

# _samba_provision DIR NAME: one domain, and its service account.
_samba_provision() {
	_d=$1
	_up=$(samba_upper "$2")
	_base=DC=$2,DC=test
	mkdir -p "$_d"
	: > "$_d.empty.conf"
	samba-tool domain provision -s "$_d.empty.conf" --targetdir="$_d" \
	    --realm="$_up.TEST" --domain="$_up" --server-role=dc \
	    --dns-backend=NONE --host-name="dc$2" --host-ip="$(samba_ip "$2")" \
	    --adminpass="Adm-$(openssl rand -hex 12)-Z9" \
	    --option="interfaces=$(samba_ip "$2")" \
	    --option="bind interfaces only=yes" \
	    --option="pid directory=$_d/run" \
	    --option="ncalrpc dir=$_d/run/ncalrpc" \
	    --option="winbindd socket directory=$_d/run/winbindd" \
	    --option="ntp signd socket directory=$_d/run/ntp_signd" \
	    --option="disable netbios=yes" \
	    --option="log file=$_d/log.samba" \
	    --option="server services=ldap" > "$_d.provision.log" 2>&1 ||
	    return 1
	_ldb=$_d/private/sam.ldb
	_pw=$(cat "$_d/../svc.password")
	_upw=$(printf '"%s"' "$_pw" | iconv -t UTF-16LE | base64 -w0)
	{
		for _ou in Staff "Admin Accounts" "Service Accounts" Shared; do
			printf 'dn: OU=%s,%s\nobjectClass: organizationalUnit\n\n' \
			    "$_ou" "$_base"
		done
		printf 'dn: CN=svc-ward,OU=Service Accounts,%s\n' "$_base"
		printf 'objectClass: user\nsAMAccountName: svc-ward\n'
		printf 'userAccountControl: 66048\nunicodePwd:: %s\n' "$_upw"
	} | ldbadd -H "$_ldb" > /dev/null || return 1
	_sid=$(ldbsearch -H "$_ldb" -b "$_base" "(sAMAccountName=svc-ward)" \
	    objectSid | sed -n 's/^objectSid: //p')
	[ -n "$_sid" ] || return 1
	# Tombstones are under CN=Deleted Objects, which only administrators
	# may list by default.
	_samba_grant "$_ldb" "CN=Deleted Objects,$_base" "(A;;LCRP;;;$_sid)"
	# Write the one attribute on user objects, inherited from the top.
	_samba_grant "$_ldb" "$_base" \
	    "(OA;CIIO;WP;$SAMBA_WRITE_ATTR_GUID;$SAMBA_USER_CLASS_GUID;$_sid)"
	# Replicating Directory Changes, on the domain itself.
	_samba_grant "$_ldb" "$_base" "(OA;;CR;$SAMBA_GET_CHANGES_GUID;;$_sid)"
	# A tombstone, as any domain in use has.
	printf 'dn: CN=ward-gone,OU=Staff,%s\nobjectClass: user\nsAMAccountName: ward-gone\n' \
	    "$_base" | ldbadd -H "$_ldb" > /dev/null &&
	    ldbdel -H "$_ldb" "CN=ward-gone,OU=Staff,$_base" > /dev/null
}

# _samba_cache: the provisioned domains of this build tree, made once.
_samba_cache() {
	SAMBA_CACHE=$top_builddir/tests/integration/samba-cache/r$SAMBA_RECIPE-$(samba -V | tr -c 'A-Za-z0-9.\n' -)
	[ -f "$SAMBA_CACHE/complete" ] && return 0
	# Made where it stays: the domains' smb.conf name their directory.
	# Caches of other recipes or Samba versions are of no more use.
	rm -rf "$(dirname "$SAMBA_CACHE")"
	mkdir -p "$SAMBA_CACHE"
	printf 'Wd-%s-9q' "$(openssl rand -hex 12)" > "$SAMBA_CACHE/svc.password"
	chmod 600 "$SAMBA_CACHE/svc.password"
	echo "provisioning three Samba domains (once per build tree)..."
	_pids=
	for _n in $SAMBA_DOMAINS; do
		_samba_provision "$SAMBA_CACHE/$_n" "$_n" &
		_pids="$_pids $!"
	done
	_bad=0
	for _p in $_pids; do
		wait "$_p" || _bad=1
	done
	[ $_bad = 0 ] || fail "provisioning failed: $(tail -n 5 "$SAMBA_CACHE"/*.provision.log)"
	touch "$SAMBA_CACHE/complete"
}

# _samba_cert: one certificate for the three DCs, by address and name.
_samba_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/samba-ca.key" -out "$T/samba-ca.crt" \
	    -subj "/CN=ward Samba test CA" -days 2 2>/dev/null ||
	    fail "openssl: cannot make the Samba CA"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/samba.key" -out "$T/samba.csr" -subj "/CN=dc.test" \
	    2>/dev/null || fail "openssl: cannot make the DC key"
	printf 'subjectAltName = IP:127.0.0.2, IP:127.0.0.3, IP:127.0.0.4, DNS:dcbtuh.btuh.test, DNS:dcmeht.meht.test, DNS:dcsouthend.southend.test\n' \
	    > "$T/samba-san.ext"
	openssl x509 -req -in "$T/samba.csr" -CA "$T/samba-ca.crt" \
	    -CAkey "$T/samba-ca.key" -CAcreateserial -out "$T/samba.crt" \
	    -days 2 -extfile "$T/samba-san.ext" 2>/dev/null ||
	    fail "openssl: cannot sign the DC certificate"
	chmod 600 "$T/samba.key"
}

_samba_wait() {
	_i=0
	while ! samba_exec ldapsearch -x -H "ldap://$(samba_ip "$1")" -s base \
	    -b '' dnsHostName > /dev/null 2>&1; do
		_i=$((_i + 1))
		[ $_i -lt 300 ] || fail "Samba $1 does not answer LDAP: $(tail -n 5 "$(samba_dir "$1")/log.samba" 2>/dev/null)"
		sleep 0.1
	done
}

samba_dir() {
	eval "printf '%s' \"\$SAMBA_DIR_$1\""
}

samba_ldb() {
	printf '%s/private/sam.ldb' "$(samba_dir "$1")"
}

samba_pid() {
	cat "$(samba_dir "$1")/run/samba.pid"
}

# samba_start NAME: starts its DC (it forks into the background), waits
# until LDAP answers.
samba_start() {
	_d=$(samba_dir "$1")
	rm -f "$_d/run/samba.pid"
	# The lock's descriptor must not live on in the daemon.
	samba_exec samba -M single -s "$_d/etc/smb.conf" 9>&- ||
	    fail "samba $1 did not start: $(tail -n 5 "$_d/log.samba")"
	_samba_wait "$1"
}

# samba_stop NAME...: by the PIDs they wrote, all at once (each takes
# about two seconds to go), waiting until they are gone.
samba_stop() {
	_pids=
	for _n in "$@"; do
		_f=$(samba_dir "$_n")/run/samba.pid
		[ -f "$_f" ] || continue
		_pid=$(cat "$_f")
		rm -f "$_f"
		kill "$_pid" 2>/dev/null && _pids="$_pids $_pid"
	done
	for _pid in $_pids; do
		_i=0
		while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 200 ]; do
			sleep 0.05
			_i=$((_i + 1))
		done
		kill -KILL "$_pid" 2>/dev/null || true
	done
}

# samba_kill NAME: as a crash would, at once.
samba_kill() {
	_f=$(samba_dir "$1")/run/samba.pid
	_pid=$(cat "$_f")
	kill -KILL "$_pid" 2>/dev/null || true
	while kill -0 "$_pid" 2>/dev/null; do
		sleep 0.02
	done
	rm -f "$_f"
}

# samba_setup: takes the lock, provisions (or reuses) the domains, starts
# copies of them in the namespace; all of it undone at exit.
samba_setup() {
	samba_require
	mkdir -p "$(dirname "$SAMBA_LOCK")"
	exec 9> "$SAMBA_LOCK"
	flock -w 900 9 ||
	    fail "another test has held $SAMBA_LOCK for 15 minutes"
	_samba_cache
	_samba_cert
	cp "$SAMBA_CACHE/svc.password" "$T/svc.password"
	chmod 600 "$T/svc.password"

	# The namespace is ours while the lock is: one left by a test that
	# was killed is replaced.
	ip netns del "$SAMBA_NETNS" 2>/dev/null || true
	ip netns add "$SAMBA_NETNS" || fail "cannot make network namespace $SAMBA_NETNS"
	at_exit "ip netns del $SAMBA_NETNS"
	ip -n "$SAMBA_NETNS" link set lo up
	for _n in $SAMBA_DOMAINS; do
		ip -n "$SAMBA_NETNS" addr add "$(samba_ip "$_n")/8" dev lo ||
		    fail "cannot add $(samba_ip "$_n") in $SAMBA_NETNS"
	done

	for _n in $SAMBA_DOMAINS; do
		_d=$T/samba/$_n
		mkdir -p "$T/samba"
		cp -a "$SAMBA_CACHE/$_n" "$_d"
		sed -i -e "s|$SAMBA_CACHE/$_n|$_d|g" "$_d/etc/smb.conf"
		# No fsync per change: a test's domains need not survive
		# the machine crashing.
		sed -i -e "/^\[global\]/a\\
	ldb:nosync = true\\
	tls enabled = yes\\
	tls keyfile = $T/samba.key\\
	tls certfile = $T/samba.crt\\
	tls cafile = $T/samba-ca.crt" "$_d/etc/smb.conf"
		eval "SAMBA_DIR_$_n=\$_d"
	done
	at_exit "samba_stop $SAMBA_DOMAINS"
	for _n in $SAMBA_DOMAINS; do
		_d=$(samba_dir "$_n")
		samba_exec samba -M single -s "$_d/etc/smb.conf" 9>&- ||
		    fail "samba $_n did not start: $(tail -n 5 "$_d/log.samba")"
	done
	for _n in $SAMBA_DOMAINS; do
		_samba_wait "$_n"
	done
}

# samba_ldif NAME LDIF: the generator's LDIF as Samba takes it, on standard
# output: user entries only (the domain and its OUs exist), objectClass user,
# and none of what the server sets itself (objectGUID, objectSid,
# uSNChanged, whenChanged, memberOf, objectCategory, logon and password
# times).
samba_ldif() {
	awk 'BEGIN { RS = ""; FS = "\n" }
	    /\nobjectClass: user\n/ {
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^(objectClass|objectGUID|objectSid|uSNChanged|whenChanged|lastLogonTimestamp|memberOf|objectCategory|pwdLastSet):/)
				continue
			print $i
			if (i == 1)
				print "objectClass: user"
		}
		print ""
	    }' "$2"
}

# samba_load NAME LDIF: adds the generator's accounts to the domain.
samba_load() {
	samba_ldif "$1" "$2" > "$T/samba-$1.ldif"
	ldbadd -H "$(samba_ldb "$1")" "$T/samba-$1.ldif" > "$T/samba-$1.load" 2>&1 ||
	    fail "ldbadd into $1: $(tail -n 3 "$T/samba-$1.load")"
}
