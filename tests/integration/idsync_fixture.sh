# idsync_fixture.sh: sourced by idsync's tests and benchmarks: slapd
# directories on loopback shaped like Active Directory (AD's attributes with
# equality rules, a size limit that forces paging, LDAPS and StartTLS), filled
# from idsync_gen's LDIF, each with the account ward-idsync reads as.
#
# The caller sets FX_DIR (its temp dir, holding ca.crt, server.crt,
# server.key and NAME.ldif), FX_SVC_HASH and FX_ROOT_HASH (slappasswd
# hashes of the service and manager passwords) and optionally FX_PAGE_LIMIT
# (AD's MaxPageSize: 100 by default, small enough that tests must page), and
# stops what it started with fx_stop_slapd. Needs the caller's fail().

PATH=$PATH:/usr/sbin:/sbin
export PATH

_fx_port() {
	echo $(( ($(od -An -N2 -tu2 /dev/urandom) % 30000) + 20000 ))
}

_fx_wait() {
	_i=0
	while ! ldapsearch -x -H "ldap://127.0.0.1:$1" -s base -b '' \
	    namingContexts > /dev/null 2>&1; do
		_i=$((_i + 1))
		[ $_i -lt 200 ] || fail "slapd on port $1 does not answer"
		sleep 0.05
	done
}

# fx_start_slapd NAME: loads $FX_DIR/NAME.ldif into a new slapd serving
# DC=NAME,DC=test with ldap:// and ldaps:// on free loopback ports; sets
# PLAIN_NAME and TLS_NAME, and FX_PID to its pid.
fx_start_slapd() {
	_name=$1
	_dir=$FX_DIR/slapd-$_name
	_limit=${FX_PAGE_LIMIT:-100}
	mkdir -p "$_dir/db"
	cat > "$_dir/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include $top_srcdir/tests/data/idsync/ad.schema
pidfile $_dir/slapd.pid
argsfile $_dir/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile $FX_DIR/ca.crt
TLSCertificateFile $FX_DIR/server.crt
TLSCertificateKeyFile $FX_DIR/server.key
# As Active Directory: a search without paging stops at the limit.
sizelimit size.soft=$_limit size.hard=$_limit size.pr=$_limit size.prtotal=unlimited
database mdb
maxsize 4294967296
suffix "DC=$_name,DC=test"
rootdn "CN=Manager,DC=$_name,DC=test"
rootpw $FX_ROOT_HASH
directory $_dir/db
access to attrs=userPassword
	by self write
	by anonymous auth
	by * none
access to *
	by users read
	by * none
CONF
	cat > "$_dir/svc.ldif" <<LDIF
dn: CN=svc-ward,OU=Service Accounts,DC=$_name,DC=test
objectClass: top
objectClass: person
objectClass: organizationalPerson
objectClass: inetOrgPerson
objectClass: user
cn: svc-ward
sn: svc-ward
sAMAccountName: svc-ward
objectGUID:: $(head -c 16 /dev/urandom | base64)
userAccountControl: 66048
userPassword: $FX_SVC_HASH
LDIF
	slapadd -q -f "$_dir/slapd.conf" -l "$FX_DIR/$_name.ldif" \
	    2> "$_dir/slapadd.log" ||
	    fail "slapadd $_name: $(cat "$_dir/slapadd.log")"
	slapadd -q -f "$_dir/slapd.conf" -l "$_dir/svc.ldif" \
	    2>> "$_dir/slapadd.log" ||
	    fail "slapadd $_name: $(cat "$_dir/slapadd.log")"
	for _attempt in 1 2 3 4 5 6 7 8; do
		_p1=$(_fx_port)
		_p2=$(_fx_port)
		[ "$_p1" != "$_p2" ] || continue
		if slapd -f "$_dir/slapd.conf" \
		    -h "ldap://127.0.0.1:$_p1/ ldaps://127.0.0.1:$_p2/" \
		    2> "$_dir/slapd.log"; then
			break
		fi
		_p1=
	done
	[ -n "$_p1" ] || fail "slapd $_name did not start: $(cat "$_dir/slapd.log")"
	_fx_wait "$_p1"
	FX_PID=$(cat "$_dir/slapd.pid")
	eval "PLAIN_$_name=$_p1 TLS_$_name=$_p2"
}

# fx_stop_slapd NAME: by the pid it wrote, waiting until it is gone.
fx_stop_slapd() {
	_pidf=$FX_DIR/slapd-$1/slapd.pid
	[ -f "$_pidf" ] || return 0
	_pid=$(cat "$_pidf")
	kill -CONT "$_pid" 2>/dev/null
	kill "$_pid" 2>/dev/null || return 0
	_i=0
	while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	rm -f "$_pidf"
}

# fx_restart_slapd NAME: again, on the ports it had.
fx_restart_slapd() {
	_dir=$FX_DIR/slapd-$1
	eval "_p1=\$PLAIN_$1 _p2=\$TLS_$1"
	slapd -f "$_dir/slapd.conf" \
	    -h "ldap://127.0.0.1:$_p1/ ldaps://127.0.0.1:$_p2/" \
	    2>> "$_dir/slapd.log" || fail "slapd $1 did not restart"
	_fx_wait "$_p1"
}

# fx_pid NAME: the pid of its slapd.
fx_pid() {
	cat "$FX_DIR/slapd-$1/slapd.pid"
}

# fx_start_standin NAME BASE [ARG...]: ldap_ranged.py, the LDAPS stand-in
# for what no server here answers (ranges, hostile values), serving BASE
# with make_test_ca's server certificate in $T, its port in $T/NAME.port
# and its searches in $T/NAME.log; stopped at exit. Needs $PY, lib.sh's
# at_exit, and writes $T/svc.password (any password binds).
fx_start_standin() {
	_name=$1
	_base=$2
	shift 2
	"$PY" "$top_srcdir/tests/integration/ldap_ranged.py" \
	    --cert "$T/server.crt" --key "$T/server.key" \
	    --portfile "$T/$_name.port" --log "$T/$_name.log" \
	    --base "$_base" "$@" 2> "$T/$_name.err" &
	at_exit "kill $! 2>/dev/null"
	_i=0
	while [ ! -s "$T/$_name.port" ]; do
		_i=$((_i + 1))
		[ $_i -lt 200 ] || fail "the LDAP stand-in $_name did not" \
		    "start: $(cat "$T/$_name.err")"
		sleep 0.1
	done
	printf 'any\n' > "$T/svc.password"
	chmod 600 "$T/svc.password"
}

# fx_standin_domain DOMAIN NAME BASE: the [domain] section that reads the
# stand-in NAME, serving BASE, in full.
fx_standin_domain() {
	cat <<CONF
[domain "$1"]
uri = ldaps://127.0.0.1:$(cat "$T/$2.port")
base = $3
bind_dn = CN=svc-ward,OU=Service Accounts,$3
bind_password_file = $T/svc.password
ca_file = $T/ca.crt
filter = (objectClass=user)
incremental = no
CONF
}
