#!/bin/sh
# deb.sh: `make deb` builds the five packages from a copy of the
# distribution, lintian finds neither an error nor a warning, each file is
# in the package it belongs to, no secret is shipped, and the maintainer
# scripts start nothing whose configuration fails -n. Leaves the packages,
# and the same tree rebuilt one version up, in tests/integration/deb.out
# for deploy.sh (which installs and upgrades them).
. "$top_srcdir/tests/integration/lib.sh"
for c in dpkg-buildpackage dh lintian dpkg-parsechangelog; do
	require_cmd $c
done

OUT=$top_builddir/tests/integration/deb.out
VERSION=$(dpkg-parsechangelog -l "$top_srcdir/debian/changelog" -S Version)
rm -rf "$OUT"
set +e
# TMPDIR: lintian leaves files in it.
TMPDIR=$T ${MAKE:-make} -C "$top_builddir" deb DEB_DIR="$OUT" \
    > "$T/make-deb.log" 2>&1
got=$?
set -e
[ "$got" = 0 ] || fail "make deb exited $got:
$(tail -40 "$T/make-deb.log")"
ok "make deb built ward $VERSION"

PKGS="ward-agent ward-netpoll ward-collector ward-idsync ward"
deb() { echo "$OUT/${1}_${VERSION}_$(dpkg --print-architecture).deb"; }
for p in $PKGS; do
	[ -f "$(deb $p)" ] || fail "no package $p: $(ls "$OUT")"
	dpkg-deb -c "$(deb $p)" | awk '{ print $6 }' | sed 's|^\./|/|' \
	    > "$T/$p.files"
	dpkg-deb -f "$(deb $p)" Depends > "$T/$p.depends"
	dpkg-deb -I "$(deb $p)" conffiles > "$T/$p.conffiles" 2>/dev/null ||
	    : > "$T/$p.conffiles"
done
ok "the five packages: $PKGS"

# lintian ran in make deb (an error fails it); a warning fails here.
lint=$(grep -E '^[EW]: ' "$T/make-deb.log" || true)
[ -z "$lint" ] || fail "lintian:
$lint"
ok "lintian: no error, no warning"

# has PKG PATH...: each PATH is in PKG; hasnt PKG PATH...: none is.
has() {
	p=$1
	shift
	for f in "$@"; do
		grep -qx "$f" "$T/$p.files" || fail "$p lacks $f"
	done
}
hasnt() {
	p=$1
	shift
	for f in "$@"; do
		grep -qx "$f" "$T/$p.files" && fail "$p has $f"
	done
	return 0
}
has ward-agent /usr/sbin/ward-agent /etc/ward/agent.conf \
    /lib/systemd/system/ward-agent.service \
    /usr/share/man/man8/ward-agent.8.gz
has ward-netpoll /usr/sbin/ward-netpoll /etc/ward/netpoll.conf \
    /lib/systemd/system/ward-netpoll.service \
    /usr/share/man/man8/ward-netpoll.8.gz
has ward-collector /usr/sbin/ward-collector /etc/ward/collector.conf \
    /lib/systemd/system/ward-collector.service \
    /usr/share/man/man8/ward-collector.8.gz
has ward-idsync /usr/sbin/ward-idsync /etc/ward/idsync.conf \
    /usr/share/man/man8/ward-idsync.8.gz /usr/share/ward/nicknames.txt
has ward /usr/bin/ward /etc/ward/ward.conf /usr/share/man/man1/ward.1.gz
hasnt ward-collector /usr/share/ward/nicknames.txt
# Every runbook an alert can name, with the collector that names them.
for f in "$top_srcdir"/runbooks/*.md; do
	has ward-collector "/usr/share/ward/runbooks/${f##*/}"
done
has ward-idsync /lib/systemd/system/ward-idsync.service \
    /lib/systemd/system/ward-idsync.timer
ok "programs, units, man pages, runbooks and data in their packages"

# The units are the tree's own (hardened, commented), unchanged.
mkdir "$T/x"
for p in ward-agent ward-collector ward-idsync; do
	dpkg-deb -x "$(deb $p)" "$T/x"
done
for u in ward-agent.service ward-collector.service ward-idsync.service \
    ward-idsync.timer; do
	cmp -s "$top_srcdir/etc/$u" "$T/x/lib/systemd/system/$u" ||
	    fail "$u differs from etc/$u"
done

# Configuration files are conffiles, every one; no secret is shipped.
for spec in ward-agent:agent ward-netpoll:netpoll ward-collector:collector \
    ward-idsync:idsync ward:ward; do
	p=${spec%%:*}
	grep -qx "/etc/ward/${spec#*:}.conf" "$T/$p.conffiles" ||
	    fail "$p: /etc/ward/${spec#*:}.conf is not a conffile: $(cat "$T/$p.conffiles")"
	bad=$(grep -E '\.(token|key|secrets|password|crt)$' "$T/$p.files" || true)
	[ -z "$bad" ] || fail "$p ships a secret: $bad"
	etc=$(grep '^/etc/.*[^/]$' "$T/$p.files")
	[ "$etc" = "/etc/ward/${spec#*:}.conf" ] ||
	    fail "$p: more under /etc than its configuration: $etc"
done
ok "each configuration a conffile under /etc/ward; no token, key or secret shipped"

# Dependencies come from the libraries the programs link (shlibs).
dep() {
	grep -q "$2" "$T/$1.depends" || fail "$1 does not depend on $2: $(cat "$T/$1.depends")"
}
dep ward-collector libmicrohttpd
dep ward-collector libsqlite3
dep ward-agent libcurl
dep ward-netpoll libsnmp
dep ward-idsync libldap
dep ward libncursesw
for p in ward-agent ward-netpoll ward-collector ward-idsync; do
	dep $p adduser
done
ok "dependencies: the linked libraries and adduser"

# Maintainer scripts: the service starts only after -n passes, never
# through debhelper's unconditional start.
for spec in ward-agent:agent ward-netpoll:netpoll ward-collector:collector; do
	p=${spec%%:*}
	dpkg-deb -e "$(deb $p)" "$T/ctl-$p"
	sh -n "$T/ctl-$p/postinst" || fail "$p postinst: syntax"
	awk -v p="$p" -v c="/etc/ward/${spec#*:}.conf" '
	    index($0, p " -n -c " c) { checked = NR }
	    /deb-systemd-invoke/ && !checked { early = 1 }
	    /deb-systemd-invoke (restart|"\$action")/ { started = NR }
	    END { exit !(checked && started > checked && !early) }' \
	    "$T/ctl-$p/postinst" ||
	    fail "$p postinst starts the service without $p -n first"
	grep -q "adduser --system" "$T/ctl-$p/postinst" ||
	    fail "$p postinst makes no system user"
	grep -q 'deb-systemd-invoke stop' "$T/ctl-$p/prerm" ||
	    fail "$p prerm does not stop the service on removal"
	! grep -q 'deb-systemd-invoke stop' "$T/ctl-$p/preinst" 2>/dev/null ||
	    fail "$p preinst stops the service before an upgrade"
	grep -q "^ExecStartPre=/usr/sbin/$p -n " \
	    "$T/x/lib/systemd/system/$p.service" 2>/dev/null ||
	    dpkg-deb --fsys-tarfile "$(deb $p)" | tar -xOf - \
	    "./lib/systemd/system/$p.service" | grep -q "^ExecStartPre=/usr/sbin/$p -n " ||
	    fail "$p.service has no ExecStartPre=$p -n"
done
ok "postinst checks -n before it starts; units check -n before they start"

# Version N+1 for deploy.sh's upgrade: the same tree, one changelog entry
# up, packaged again (nothing is recompiled: -nc).
NEXT=$VERSION+1
src=$OUT/ward-$VERSION
{
	printf 'ward (%s) unstable; urgency=medium\n\n' "$NEXT"
	printf '  * Rebuilt by tests/integration/deb.sh to test upgrades.\n\n'
	printf ' -- ward maintainers <ward-maintainers@btuh.test>  %s\n\n' \
	    "$(date -R)"
	cat "$src/debian/changelog"
} > "$T/changelog"
cp "$T/changelog" "$src/debian/changelog"
(cd "$src" && dpkg-buildpackage -b -us -uc -nc) > "$T/next.log" 2>&1 ||
    fail "dpkg-buildpackage of $NEXT: $(tail -20 "$T/next.log")"
for p in $PKGS; do
	[ -f "$OUT/${p}_${NEXT}_$(dpkg --print-architecture).deb" ] ||
	    fail "no $p $NEXT"
done
rm -rf "$src"
ok "rebuilt as $NEXT for the upgrade test"
