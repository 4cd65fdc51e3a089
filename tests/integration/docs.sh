#!/bin/sh
# docs.sh: docs/config.md must be what the programs' option tables generate.
. "$top_srcdir/tests/integration/lib.sh"

"$top_srcdir/docs/gen-config-md.sh" "$top_builddir" > "$T/config.md"
if ! diff -u "$top_srcdir/docs/config.md" "$T/config.md"; then
	fail "docs/config.md is stale: run 'make docs' and commit it"
fi
ok "docs/config.md matches the option tables"
