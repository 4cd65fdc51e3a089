#!/bin/sh
# gen-config-md.sh BUILDDIR: writes docs/config.md to stdout, generated from
# each program's own option table (--config-reference=markdown).
set -eu
b=${1:?usage: gen-config-md.sh BUILDDIR}
cat <<'HEAD'
# Configuration reference

Generated from the programs' option tables by `make docs`
(`docs/gen-config-md.sh`); `tests/integration/docs.sh` fails when this file
and the tables disagree. Do not edit by hand.

Every program reads one INI file (`-c FILE`, default under `/etc/ward/`).
`[section]` headers and `key = value` lines; `#` or `;` starts a comment
line, and ` ;` starts a comment after a value. Unknown sections and keys are
errors; every error names the file, the line and the key. `PROGRAM -n`
checks a file and prints `configuration OK`.

* Durations: `500ms`, `90s`, `5m`, `2h`, `7d`, `1w`; a bare number is seconds.
* Sizes: `4096`, `512k`, `10M`, `2G` (powers of 1024).
* Booleans: `yes`/`no`, `true`/`false`, `on`/`off`, `1`/`0`.
* Relative paths are relative to the directory of the configuration file.
* Default paths are shown as installed by a package (`/etc/ward`,
  `/var/lib/ward`); a build from source uses its own prefix.
* A *secret file* option names a file holding the secret (a token, a
  password, a key). The file must be a regular file owned by the user the
  program runs as (or root) with no group or other permissions (`chmod 600`);
  otherwise the program refuses to start and says why. Secrets are never
  printed, logged or returned by the API.
HEAD
for prog in agents/ward-agent agents/ward-netpoll collector/ward-collector \
    idsync/ward-idsync tui/ward; do
	printf '\n## %s\n\n' "${prog##*/}"
	# Defaults under the build's prefix are shown as a packaged build
	# (--sysconfdir=/etc --localstatedir=/var) has them, so this file
	# does not depend on where one was built.
	"$b/$prog" --config-reference=markdown |
	    sed -E 's#`[^`| ]*/(var/lib/ward|etc/ward)([^`]*)`#`/\1\2`#g'
done
