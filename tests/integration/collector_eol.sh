#!/bin/sh
# collector_eol.sh: end of life through the real ward-collector: the
# shipped snapshot's well-known facts; reports in, lifecycle, summary,
# forecast, filters and host detail out; eol_horizon and eol_passed raised
# once; the hardware table imported whole or not at all; the export; and
# the catalogue refreshed from a local HTTPS stand-in for endoflife.date
# answering normally, 301, 304, 404 HTML, 429 Retry-After and truncated
# JSON, each failure keeping the last good facts and saying so.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd curl
require_cmd jq
require_cmd sqlite3
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || skip "python3 is not installed"
make_test_ca
DATA=$top_srcdir/data

# wait_for DESCRIPTION 'SHELL TEST': up to 20 s for the test to succeed.
wait_for() {
	i=0
	while ! eval "$2" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 200 ] || fail "timed out waiting for $1; log:
$(tail -20 "$T/collector.log")"
		sleep 0.1
	done
}
db() { sqlite3 -cmd '.timeout 5000' "$T/ward.db" "$@"; }

# --- the API stand-in: every product of the snapshot, as the API gives it
mkdir "$T/api"
jq -r '.products[].name' "$DATA/eol-snapshot.json" > "$T/products"
NPRODUCTS=$(wc -l < "$T/products")
[ "$NPRODUCTS" -ge 30 ] || fail "the snapshot has $NPRODUCTS products"
while read -r p; do
	jq -c --arg p "$p" '{schema_version: "1.2.0",
	    generated_at: "2026-11-01T00:00:00+00:00",
	    result: (.products[] | select(.name == $p))}' \
	    "$DATA/eol-snapshot.json" > "$T/api/$p.json"
done < "$T/products"
# rhel has moved: its old address redirects.
cp "$T/api/rhel.json" "$T/api/rhel-moved.json"
echo "301 rhel-moved" > "$T/api/rhel.mode"
rm -f "$T/api.port"
"$PY" "$top_srcdir/tests/integration/eol_api_rx.py" --dir "$T/api" \
    --log "$T/api.log" --portfile "$T/api.port" --cert "$T/server.crt" \
    --key "$T/server.key" 2>> "$T/api.err" &
API_PID=$!
at_exit 'kill $API_PID 2>/dev/null'
wait_for "the API stand-in" '[ -s "$T/api.port" ]'
API=https://127.0.0.1:$(cat "$T/api.port")/api/v1

# Hardware that reaches its end within the horizon whatever day this
# runs: dates from today.
day() { date -u -d "$1" +%Y-%m-%d; }
cat > "$T/hw.csv" <<CSV
# the test's hardware table
vendor,model,end_of_sale,end_of_sw_maintenance,end_of_security_support,last_date_of_support,source,replacement_cost
Dell,PowerEdge R6?0,$(day '-400 days'),,,$(day '+100 days'),test: LDoS in 100 days,7000
HPE,"ProLiant DL380 Gen10",,,$(day '-10 days'),$(day '+700 days'),"test: security ended, support goes on",
CSV

EOL="[eol]
mapping = $DATA/eol-mapping
snapshot = $DATA/eol-snapshot.json
base_url = $API
ca_file = $T/ca.crt
evaluate_interval = 1s
timeout = 5s
currency = GBP
software_cost = rhel=800
software_cost = centos=1200.50"

# --- [eol] is checked at -n
collector_conf "$T/bad.conf" 1 "" "[eol]
base_url = http://api.ward.test/api/v1"
run 1 "$WARD_COLLECTOR" -n -c "$T/bad.conf"
assert_contains "$OUT" "[eol] base_url"
assert_contains "$OUT" "https:// URL is needed"
printf 'os rhel * *\n' > "$T/bad.map"
collector_conf "$T/bad.conf" 1 "" "[eol]
mapping = $T/bad.map"
run 1 "$WARD_COLLECTOR" -n -c "$T/bad.conf"
assert_contains "$OUT" "$T/bad.map:1: os: expected os PATTERN VERSION NAME PRODUCT CYCLE (6 fields), got 4"
collector_conf "$T/bad.conf" 1 "" "[eol]
software_cost = rhel=800, centos=\xc2\xa31200"
run 1 "$WARD_COLLECTOR" -n -c "$T/bad.conf"
assert_contains "$OUT" "[eol] software_cost: \"centos=\\xc2\\xa31200\": expected PRODUCT=AMOUNT"
collector_conf "$T/bad.conf" 1 "" "[eol]
software_cost = rhel=800
software_cost = rhel=900"
run 1 "$WARD_COLLECTOR" -n -c "$T/bad.conf"
assert_contains "$OUT" "[eol] software_cost: rhel twice"
collector_conf "$T/bad.conf" 1 "" "[eol]
currency = £"
run 1 "$WARD_COLLECTOR" -n -c "$T/bad.conf"
assert_contains "$OUT" "[eol] currency: \"£\": an ISO 4217 code is needed"
collector_conf "$T/bad.conf" 1 "" "$EOL"
run 0 "$WARD_COLLECTOR" -n -c "$T/bad.conf"
ok "[eol] base_url, mapping, currency and software_cost are checked at -n"

# The shipped example's [eol] names every key with its default, as the
# option table (and so docs/config.md) gives them; uncommented, it holds.
"$WARD_COLLECTOR" --config-reference=markdown |
    sed -n '/^### \[eol\]/,/^### /p' | grep '^| `' > "$T/eol.keys"
[ "$(wc -l < "$T/eol.keys")" -ge 11 ] || fail "[eol] reference: $(cat "$T/eol.keys")"
# (the section runs to its first empty line)
sed -n '/^\[eol\]$/,/^$/p' "$top_srcdir/etc/collector.conf" > "$T/eol.example"
while IFS='|' read -r _ key _ def _; do
	key=$(echo "$key" | tr -d ' `')
	def=$(echo "$def" | sed 's/^ *`\{0,1\}//; s/`\{0,1\} *$//')
	if [ "$def" = unset ]; then
		grep -q "^#$key = " "$T/eol.example" ||
		    fail "etc/collector.conf [eol] does not show $key"
	else
		grep -qxF "#$key = $def" "$T/eol.example" ||
		    fail "etc/collector.conf [eol] does not show $key = $def"
	fi
done < "$T/eol.keys"
sed 's/^#\([a-z_]*\) = /\1 = /' "$T/eol.example" | grep -v '^\(ca_file\|mapping\|snapshot\) = ' \
    > "$T/eol.uncommented"
collector_conf "$T/example-eol.conf" 1 "" "$(cat "$T/eol.uncommented")"
run 0 "$WARD_COLLECTOR" -n -c "$T/example-eol.conf"
ok "etc/collector.conf's [eol] shows every key with its default, and holds uncommented"

collector_conf "$T/collector.conf" 1 "" "$EOL"
agent=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role agent --name agents 2>/dev/null)
reader=$("$WARD_COLLECTOR" -c "$T/collector.conf" token add --role read --name helpdesk 2>/dev/null)
[ -n "$agent" ] && [ -n "$reader" ] || fail "token add failed"
start_collector "" "$EOL"
wait_for "the snapshot loaded" 'grep -q "products from the snapshot of 2026-08-22" "$T/collector.log"'

get() {	# get PATH: body in $T/body; fails unless 200
	code=$(curl -sS --cacert "$T/ca.crt" -o "$T/body" -w '%{http_code}' \
	    -H "Authorization: Bearer $reader" "$URL$1" 2>/dev/null || echo 000)
	[ "$code" = 200 ] || fail "GET $1: $code: $(cat "$T/body")"
}
j() { jq -r "$1" "$T/body"; }

# --- the snapshot's facts, from the shared endoflife.date data
get "/api/v1/eol/summary"
[ "$(j '.catalogue.products')" = "$NPRODUCTS" ] ||
    fail "catalogue: $(j .catalogue)"
[ "$(j '.catalogue.sources[0].source + " " + .catalogue.sources[0].as_of')" = \
    "snapshot 2026-08-22" ] || fail "catalogue source: $(j .catalogue)"
fact() {	# fact PRODUCT CYCLE FIELD EXPECTED
	got=$(db "SELECT $3 FROM eol_cycles WHERE product = '$1' AND name = '$2'")
	[ "$got" = "$4" ] || fail "$1 $2 $3: $got, expected $4"
}
fact rhel 7 eol 2024-06-30		# end of Maintenance Support
fact rhel 7 eoas 2019-08-06
fact rhel 7 eoes 2029-05-31
fact windows-server 2012-r2 eol 2023-10-10	# end of extended support
fact windows-server 2012-r2 eoes 2026-10-13	# ESU year 3
fact centos 7 eol 2024-06-30
fact centos 7 eoes ''
fact windows-server 2019 lts true
fact debian 12 eol 2026-07-11
[ "$(db "SELECT eol_label FROM eol_products WHERE name = 'rhel'")" = \
    "Maintenance Support" ] || fail "rhel's eol label"
[ "$(db "SELECT eoes_label FROM eol_products WHERE name = 'debian'")" = \
    "Debian LTS" ] || fail "debian's eoes label (HTML dropped)"
ok "the shipped snapshot has RHEL 7, Windows Server 2012 R2 and CentOS 7 right, true/false kept"

# --- reports in
seq=0
report() {	# report AGENT NAME DC HOST-JSON-FIELDS
	seq=$((seq + 1))
	printf '{"schema":1,"agent":{"id":"%s"},"seq":%s,"ts":"%s","host":{"name":"%s","datacentre":"%s",%s}}' \
	    "$1" "$seq" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$2" "$3" "$4" > "$T/r.json"
	code=$(curl -sS --cacert "$T/ca.crt" -o "$T/reply" -w '%{http_code}' \
	    -H "Authorization: Bearer $agent" --data-binary @"$T/r.json" \
	    "$URL/api/v1/reports" 2>/dev/null || echo 000)
	[ "$code" = 200 ] || fail "report refused ($code): $(cat "$T/reply")"
}
win() { printf '"vendor":"%s","model":"%s","os":{"id":"windows","version_id":"%s","pretty_name":"%s"}' "$@"; }
lin() { printf '"vendor":"%s","model":"%s","os":{"id":"%s","version_id":"%s"}' "$@"; }
report a1 w2008 basildon "$(win 'Dell Inc.' 'PowerEdge R620' 6.1.7601 'Microsoft Windows Server 2008 R2 Enterprise')"
report a2 w2012 basildon "$(win 'VMware, Inc.' 'VMware Virtual Platform' 6.3.9600 'Microsoft Windows Server 2012 R2 Standard')"
report a3 w2019 southend "$(win 'VMware, Inc.' 'VMware Virtual Platform' 10.0.17763 'Microsoft Windows Server 2019 Datacenter')"
report a4 rhel7 basildon "$(lin 'VMware, Inc.' 'VMware Virtual Platform' rhel 7.9)"
report a5 rhel9 southend "$(lin 'HPE' 'ProLiant DL380 Gen10' rhel 9.3)"
report a6 ubuntu2204 southend "$(lin 'VMware, Inc.' 'VMware Virtual Platform' ubuntu 22.04)"
report a7 centos7 basildon "$(lin 'Dell Inc.' 'PowerEdge R640' centos 7)"
report a8 plan9 southend "$(lin 'VMware, Inc.' 'VMware Virtual Platform' plan9 4)"
report a9 bare basildon '"kind":"server"'
report 'netpoll:basildon:sw1' sw1 basildon '"kind":"switch","vendor":"Cisco","model":"C9300-48P","firmware":{"vendor":"Cisco","product":"Cisco IOS XE","family":"cisco-ios-xe","version":"17.09.04a"}'

# Statuses on a fixed day, so this test says the same next year.
AT=2026-11-27
status_of() {	# status_of NAME [PART]: from $T/assets
	jq -r --arg n "$1" --arg p "${2:-}" '.assets[] | select(.name == $n) |
	    if $p == "" then .status else .[$p].status end' "$T/assets"
}
get "/api/v1/eol/assets?at=$AT"
cp "$T/body" "$T/assets"
[ "$(j .total)" = 10 ] || fail "assets: $(j .total)"
[ "$(j .at)" = "$AT" ] || fail "at: $(j .at)"
for want in w2008:eol w2012:eol w2019:supported rhel7:extended \
    rhel9:supported ubuntu2204:ending centos7:eol plan9:unknown \
    bare:unknown sw1:eol; do
	got=$(status_of "${want%%:*}" software)
	[ "$got" = "${want#*:}" ] ||
	    fail "${want%%:*}: software $got, expected ${want#*:}: $(jq -c --arg n "${want%%:*}" '.assets[] | select(.name == $n) | .software' "$T/assets")"
done
jq -e '.assets[] | select(.name == "w2008") | .software |
    .product == "windows-server" and .cycle == "2008-r2-sp1" and
    .eol == "2020-01-14" and .eoes == "2023-01-10" and
    .title == "Windows Server 2008 R2 SP1" and
    .mapped_from.version == "6.1.7601" and .source == "snapshot" and
    .as_of == "2026-08-22" and .labels.eoes == "Extended Security Updates"' \
    "$T/assets" > /dev/null || fail "w2008: $(jq -c '.assets[0]' "$T/assets")"
jq -e '.assets[] | select(.name == "rhel7") | .software |
    .cycle == "7" and .eol == "2024-06-30" and .eoes == "2029-05-31" and
    .labels.eol == "Maintenance Support" and .days_left == -880 and
    (.reason | contains("Extended Life Cycle Support only, until 2029-05-31"))' \
    "$T/assets" > /dev/null || fail "rhel7: $(jq -c '.assets[] | select(.name == "rhel7")' "$T/assets")"
jq -e '.assets[] | select(.name == "w2019") | .software.lts == true and
    .software.eol == "2029-01-09"' "$T/assets" > /dev/null ||
    fail "w2019 lts"
jq -e '.assets[] | select(.name == "sw1") | .software | .cycle == "17.9"
    and .mapped_from.what == "firmware"' "$T/assets" > /dev/null ||
    fail "sw1: 17.09.04a is not in IOS XE 17.9"
jq -e '.assets[] | select(.name == "plan9") | .status == "unknown" and
    .software.reason_code == "no_rule" and
    (.software.reason | contains("no mapping rule for os plan9 4"))' \
    "$T/assets" > /dev/null || fail "plan9: never silently supported"
jq -e '.assets[] | select(.name == "bare") | .software.reason_code ==
    "no_version" and .hardware.reason_code == "no_model"' "$T/assets" \
    > /dev/null || fail "bare: $(jq -c '.assets[] | select(.name == "bare")' "$T/assets")"
jq -e '.assets[] | select(.name == "w2012") | .hardware.applicable == false
    and .hardware.status == null and .status == "eol"' "$T/assets" \
    > /dev/null || fail "a virtual machine's hardware is not judged"
jq -e '.assets[] | select(.name == "rhel9") | .hardware.reason_code ==
    "no_hardware_entry" and .status == "unknown"' "$T/assets" > /dev/null ||
    fail "rhel9 without a hardware row: unknown, not supported"
ok "reports through the collector: Windows builds, RHEL 7.9 in 7, IOS XE 17.09.04a in 17.9, unknown with reasons"

get "/api/v1/eol/summary?at=$AT"
[ "$(j '.status | [.supported, .unknown, .ending, .extended, .eol] | map(tostring) | join(" ")')" = \
    "1 3 1 1 4" ] || fail "summary status: $(j -c .status)"
[ "$(j '.by_datacentre[] | select(.datacentre == "basildon") | .status.eol')" = 4 ] ||
    fail "basildon: $(j -c .by_datacentre)"
[ "$(j '.by_product[] | select(.product == "rhel 7") | .title')" = \
    "Red Hat Enterprise Linux 7" ] || fail "by_product: $(j -c .by_product)"
[ "$(j '.hardware.not_applicable')" = 5 ] || fail "hardware: $(j -c .hardware)"
[ "$(j '[.unknown_reasons[] | select(.part == "software" and .reason_code == "no_rule")][0].assets')" = 1 ] ||
    fail "unknown reasons: $(j -c .unknown_reasons)"
ok "summary by status, datacentre, product and unknown reason"

get "/api/v1/eol/forecast?at=$AT"
[ "$(j '.quarters | length')" = 12 ] || fail "quarters: $(j '.quarters | length')"
[ "$(j '.quarters[0].quarter + " " + .quarters[0].start + " " + .quarters[0].end')" = \
    "2026-Q4 2026-11-27 2026-12-31" ] || fail "first quarter: $(j -c '.quarters[0]')"
[ "$(j '.quarters[11].quarter')" = 2029-Q3 ] || fail "last quarter"
[ "$(j '.quarters[] | select(.quarter == "2027-Q2") | .assets')" = 1 ] ||
    fail "2027-Q2: $(j -c '.quarters[2]')"
[ "$(j '.quarters[] | select(.quarter == "2027-Q2") | .by_product[0].product')" = \
    "ubuntu 22.04" ] || fail "2027-Q2 product"
[ "$(j '.quarters[] | select(.quarter == "2029-Q1") | .by_datacentre[0].datacentre')" = \
    southend ] || fail "2029-Q1 (Windows Server 2019): $(j -c '.quarters[9]')"
[ "$(j .past.assets)" = 5 ] || fail "past: $(j -c .past)"
[ "$(j '.past.by_datacentre[] | select(.datacentre == "basildon") | .assets')" = 5 ] ||
    fail "past by datacentre: $(j -c .past.by_datacentre)"
[ "$(j .later.assets)" = 1 ] || fail "later (RHEL 9, 2032): $(j -c .later)"
[ "$(j .no_date.assets)" = 2 ] || fail "no date: $(j -c .no_date)"
ok "forecast per quarter for three years, by datacentre and product, past and later apart"

count() { get "$1"; j .total; }
[ "$(count "/api/v1/eol/assets?at=$AT&status=eol")" = 4 ] || fail "status=eol"
[ "$(count "/api/v1/eol/assets?at=$AT&status=unknown&datacentre=southend")" = 2 ] ||
    fail "status=unknown&datacentre=southend"
[ "$(count "/api/v1/eol/assets?at=$AT&product=rhel")" = 2 ] || fail "product=rhel"
[ "$(count "/api/v1/eol/assets?at=$AT&within=200")" = 1 ] || fail "within=200"
[ "$(j '.assets[0].name')" = ubuntu2204 ] || fail "within=200: $(j -c .assets)"
# Where will we be on 1 April 2027? Ubuntu 22.04 has ended.
[ "$(count "/api/v1/eol/assets?at=2027-04-01&status=extended")" = 2 ] ||
    fail "at=2027-04-01: $(j -c '[.assets[] | {name, status}]')"
names=""
next="/api/v1/eol/assets?at=$AT&limit=3"
pages=0
while [ -n "$next" ] && [ "$next" != null ]; do
	get "$next"
	names="$names $(j '[.assets[].name] | join(" ")')"
	next=$(j .next)
	pages=$((pages + 1))
done
[ "$pages" = 4 ] || fail "pages: $pages"
[ "$(echo $names | tr ' ' '\n' | sort -u | wc -l)" = 10 ] || fail "paging: $names"
code=$(curl -sS --cacert "$T/ca.crt" -o "$T/body" -w '%{http_code}' \
    -H "Authorization: Bearer $reader" "$URL/api/v1/eol/assets?status=dead" 2>/dev/null)
[ "$code" = 400 ] && assert_contains "$(cat "$T/body")" "status: use supported"
code=$(curl -sS --cacert "$T/ca.crt" -o "$T/body" -w '%{http_code}' \
    -H "Authorization: Bearer $reader" "$URL/api/v1/eol/summary?at=2026-02-30" 2>/dev/null)
[ "$code" = 400 ] && assert_contains "$(cat "$T/body")" "at: "
code=$(curl -sS --cacert "$T/ca.crt" -o /dev/null -w '%{http_code}' \
    -H "Authorization: Bearer $agent" "$URL/api/v1/eol/summary" 2>/dev/null)
[ "$code" = 403 ] || fail "an agent token on eol/summary: $code"
ok "filters status, datacentre, product, within, at; paging; bad parameters are 400; read role"

get /api/v1/hosts/centos7
[ "$(j .lifecycle.status)" = eol ] || fail "host lifecycle: $(j -c .lifecycle)"
[ "$(j .lifecycle.software.eol)" = 2024-06-30 ] || fail "centos7 eol"
[ "$(j .lifecycle.software.eoes)" = null ] || fail "centos7 eoes"
[ "$(j .lifecycle.at)" = "$(date -u +%Y-%m-%d)" ] || fail "lifecycle at"
ok "host detail carries its lifecycle"

# --- the hardware table: a bad file changes nothing, line by line
cat > "$T/bad.csv" <<'CSV'
vendor,model,end_of_sale,end_of_sw_maintenance,end_of_security_support,last_date_of_support,source
Dell,PowerEdge R740,2019-01-01,,,2027-01-01,ok
Dell,PowerEdge R750,2023-13-01,,,2030-01-01,bad month
HPE,ProLiant DL360 Gen10,2020-01-01,,,2026-01-01,ok
Cisco,,2019-01-01,,,,no model
"unclosed,PowerEdge,,,,,
CSV
run 1 "$WARD_COLLECTOR" -c "$T/collector.conf" eol import-hardware "$T/bad.csv"
assert_contains "$OUT" "$T/bad.csv:3: end_of_sale: \"2023-13-01\": not a date"
assert_contains "$OUT" "$T/bad.csv:5: model: must be 1 to 255 bytes"
assert_contains "$OUT" "$T/bad.csv:6: a quoted field is not closed"
assert_contains "$OUT" "nothing imported"
[ "$(db 'SELECT count(*) FROM eol_hardware')" = 0 ] || fail "a bad file imported rows"
printf 'vendor,model,end_of_sale,last_date_of_support\nDell,R1,2020-01-01,2019-01-01\n' > "$T/order.csv"
run 1 "$WARD_COLLECTOR" -c "$T/collector.conf" eol import-hardware "$T/order.csv"
assert_contains "$OUT" "$T/order.csv:2: last_date_of_support is before end_of_sale"
run 0 "$WARD_COLLECTOR" -c "$T/collector.conf" eol import-hardware "$T/hw.csv"
assert_contains "$OUT" "2 rows from $T/hw.csv"
run 1 "$WARD_COLLECTOR" -c "$T/collector.conf" eol import-hardware "$T/bad.csv"
[ "$(db 'SELECT count(*) FROM eol_hardware')" = 2 ] || fail "a bad file changed the table"
# The example, into a database of its own: its dates are not this test's.
sed "s|^database = .*|database = $T/example.db|" "$T/collector.conf" > "$T/example.conf"
run 0 "$WARD_COLLECTOR" -c "$T/example.conf" eol import-hardware "$DATA/hardware-lifecycle.example.csv"
assert_contains "$OUT" "5 rows from $DATA/hardware-lifecycle.example.csv"
printf 'vendor,model,replacement_cost\nDell,R1,6500\nDell,R2,"6,500"\nDell,R3,EUR 100\n' > "$T/cost.csv"
run 1 "$WARD_COLLECTOR" -c "$T/collector.conf" eol import-hardware "$T/cost.csv"
assert_contains "$OUT" "$T/cost.csv:3: replacement_cost: \"6,500\": not an amount"
assert_contains "$OUT" "$T/cost.csv:4: replacement_cost: \"EUR 100\": not an amount"
[ "$(db 'SELECT count(*) FROM eol_hardware')" = 2 ] || fail "a bad cost changed the table"
[ "$(sqlite3 "$T/example.db" 'SELECT count(replacement_cost) || " " || sum(replacement_cost) FROM eol_hardware')" = "4 2510050" ] ||
    fail "the example's costs: $(sqlite3 "$T/example.db" 'SELECT model, replacement_cost FROM eol_hardware')"
ok "hardware CSV: every bad line by number, nothing half-imported; the example parses"

get "/api/v1/eol/assets"
cp "$T/body" "$T/assets"
[ "$(status_of w2008 hardware)" = ending ] || fail "w2008 hardware: $(status_of w2008 hardware)"
[ "$(status_of centos7 hardware)" = ending ] || fail "centos7: R640 is R6?0"
[ "$(status_of rhel9 hardware)" = extended ] || fail "rhel9 hardware: $(status_of rhel9 hardware)"
[ "$(status_of rhel9)" = extended ] || fail "rhel9: the worse of the two"
jq -e '.assets[] | select(.name == "w2008") | .hardware | .vendor == "Dell"
    and .model_pattern == "PowerEdge R6?0" and .days_left == 100 and
    .table.line == 3' "$T/assets" > /dev/null ||
    fail "w2008 hardware: $(jq -c '.assets[] | select(.name == "w2008") | .hardware' "$T/assets")"
ok "hardware by vendor (Dell Inc. is Dell) and model pattern; the worse of software and hardware"

# --- what fixing it costs: each part in its own period, unknown apart
jq -e '.assets[] | select(.name == "centos7") |
    .software.cost == {"amount": "1200.50", "currency": "GBP"} and
    .hardware.cost == {"amount": "7000.00", "currency": "GBP"}' "$T/assets" > /dev/null ||
    fail "centos7 costs: $(jq -c '.assets[] | select(.name == "centos7") | [.software.cost, .hardware.cost]' "$T/assets")"
jq -e '.assets[] | select(.name == "rhel9") | .hardware.cost == null and
    .software.cost.amount == "800.00"' "$T/assets" > /dev/null || fail "rhel9 costs"
jq -e '.assets[] | select(.name == "w2012") | .software.cost == null and
    .hardware.cost == null' "$T/assets" > /dev/null || fail "w2012: no cost is null"
get "/api/v1/eol/forecast"
# Past: rhel7 and centos7's software costed; w2008, w2012, sw1 software
# and rhel9's hardware (no replacement_cost) not.
[ "$(j '.past.cost | [.currency, .amount, .costed, .unknown] | map(tostring) | join(" ")')" = \
    "GBP 2000.50 2 4" ] || fail "past cost: $(j -c .past.cost)"
[ "$(j '.past.cost.by_product[] | select(.product == "centos 7") | .amount + " " + .title')" = \
    "1200.50 CentOS 7" ] || fail "past cost by product: $(j -c .past.cost.by_product)"
[ "$(j '.past.cost.by_product[] | select(.product == "windows-server 2008-r2-sp1") | [.amount, .unknown] | map(tostring) | join(" ")')" = \
    "null 1" ] || fail "an unknown cost is not 0: $(j -c .past.cost.by_product)"
# The two Dell R6x0 servers' hardware, in the quarter 100 days from now.
D=$(day '+100 days')
[ "$(jq -r --arg d "$D" '.quarters[] | select(.start <= $d and .end >= $d) |
    .cost | [.amount, .costed, .unknown, .by_datacentre[0].datacentre,
    .by_datacentre[0].amount] | map(tostring) | join(" ")' "$T/body")" = \
    "14000.00 2 0 basildon 14000.00" ] ||
    fail "hardware cost in its quarter: $(jq -c '.quarters[] | .cost' "$T/body")"
# rhel9's software falls due after 2029, though the asset is past (its
# hardware): its cost goes where its own end of life is.
[ "$(j '.later.cost | [.amount, .costed, .unknown] | map(tostring) | join(" ")')" = "800.00 1 0" ] ||
    fail "later cost: $(j -c .later.cost)"
run 0 "$WARD_COLLECTOR" -c "$T/collector.conf" eol export --forecast --csv --at "$AT"
printf '%s\n' "$OUT" | grep -q '^period,start,end,datacentre,product,title,currency,amount,costed,unknown_cost' ||
    fail "forecast CSV header: $(printf '%s\n' "$OUT" | head -1)"
printf '%s\n' "$OUT" | grep -q '^past,,2026-11-26,basildon,centos 7,CentOS 7,GBP,1200.50,1,0' ||
    fail "forecast CSV: $OUT"
printf '%s\n' "$OUT" | grep -q '^later,2029-10-01,,southend,rhel 9,Red Hat Enterprise Linux 9,GBP,800.00,1,0' ||
    fail "forecast CSV later: $OUT"
printf '%s\n' "$OUT" | grep -q '^past,,2026-11-26,basildon,windows-server 2008-r2-sp1,Windows Server 2008 R2 SP1,GBP,,0,1' ||
    fail "forecast CSV unknown: $OUT"
run 0 "$WARD_COLLECTOR" -c "$T/collector.conf" eol export --forecast --json --quarters 4
[ "$(printf '%s\n' "$OUT" | jq -r '(.quarters | length | tostring) + " " + .past.cost.amount')" = "4 2000.50" ] ||
    fail "forecast JSON export: $(printf '%s\n' "$OUT" | head -c 400)"
run 2 "$WARD_COLLECTOR" -c "$T/collector.conf" eol export --csv --quarters 4
assert_contains "$OUT" "--quarters goes with --forecast"
run 2 "$WARD_COLLECTOR" -c "$T/collector.conf" eol export --forecast --csv --quarters 41
assert_contains "$OUT" "--quarters: \"41\": 1 to 40"
ok "costs per quarter by datacentre and product: hardware's replacement_cost, [eol] software_cost, unknown never 0; export --forecast"

# --- alerts: raised once, through the normal alert path
alerts() { db "SELECT h.name || ' ' || a.kind FROM alerts a JOIN hosts h ON h.id = a.host_id WHERE a.kind LIKE 'eol_%' ORDER BY 1"; }
wait_for "eol alerts" 'alerts | grep -qxF "w2008 eol_horizon" && alerts | grep -qxF "centos7 eol_horizon" && alerts | grep -qxF "rhel9 eol_passed"'
sleep 2.5	# more evaluations: nothing raised twice
alerts > "$T/alerts"
for want in "centos7 eol_horizon" "centos7 eol_passed" "w2008 eol_horizon" \
    "w2008 eol_passed" "rhel9 eol_passed" "sw1 eol_passed"; do
	grep -qxF "$want" "$T/alerts" || fail "no $want alert: $(cat "$T/alerts")"
done
[ "$(db "SELECT key FROM alerts WHERE kind LIKE 'eol_%' GROUP BY key
    HAVING count(*) > 1")" = "" ] || fail "raised twice: $(cat "$T/alerts")"
[ "$(db "SELECT count(*) FROM alert_events e JOIN alerts a ON a.id = e.alert_id
    WHERE a.kind LIKE 'eol_%' AND e.event = 'opened'")" = "$(wc -l < "$T/alerts")" ] ||
    fail "an eol alert opened more than once"
db "SELECT severity || ' ' || summary FROM alerts WHERE kind = 'eol_passed' AND
    summary LIKE 'centos7:%'" > "$T/summary"
assert_contains "$(cat "$T/summary")" "warning centos7: CentOS 7: end of life: Security Support ended on 2024-06-30"
n_before=$(wc -l < "$T/alerts")
restart() {
	kill "$COLLECTOR_PID"
	wait "$COLLECTOR_PID" 2>/dev/null || true
	restart_collector
}
restart
sleep 2.5
alerts > "$T/alerts2"
[ "$(wc -l < "$T/alerts2")" = "$n_before" ] || fail "a restart raised them again: $(cat "$T/alerts2")"
[ "$(db "SELECT key FROM alerts WHERE kind LIKE 'eol_%' GROUP BY key
    HAVING count(*) > 1")" = "" ] || fail "raised twice after a restart"
# Hardware replaced: its eol_horizon resolves and is not raised again.
report a1 w2008 basildon "$(win 'HPE' 'ProLiant DL380 Gen10' 6.1.7601 'Microsoft Windows Server 2008 R2 Enterprise')"
wait_for "w2008's hardware alert resolved" '[ "$(db "SELECT a.status FROM alerts a JOIN hosts h ON h.id = a.host_id WHERE h.name = '"'"'w2008'"'"' AND a.kind = '"'"'eol_horizon'"'"'")" = resolved ]'
ok "eol_horizon and eol_passed raised once per asset and part, also across a restart; resolved when the hardware changes"

# --- export
run 0 "$WARD_COLLECTOR" -c "$T/collector.conf" eol export --csv --at "$AT"
printf '%s\n' "$OUT" | grep -q '^name,agent_id,datacentre,kind,vendor,model,serial,os,status,end_of_life,days_left,' ||
    fail "export header: $(printf '%s\n' "$OUT" | head -1)"
printf '%s\n' "$OUT" | grep -q '^centos7,a7,basildon,server,Dell Inc.,PowerEdge R640,,,eol,2024-06-30,-880,software,eol,centos,7,CentOS 7,' ||
    fail "export centos7: $(printf '%s\n' "$OUT" | grep centos7)"
# The costs come last: the currency, then software's and hardware's, an
# unknown one empty.
CR=$(printf '\r')
printf '%s\n' "$OUT" | head -1 | grep -q ",at,currency,software_cost,hardware_cost$CR\$" ||
    fail "export header's costs: $(printf '%s\n' "$OUT" | head -1)"
printf '%s\n' "$OUT" | grep '^centos7,' | grep -q ",$AT,GBP,1200.50,7000.00$CR\$" ||
    fail "export centos7 costs: $(printf '%s\n' "$OUT" | grep '^centos7,')"
printf '%s\n' "$OUT" | grep '^w2008,' | grep -q ",$AT,GBP,,$CR\$" ||
    fail "export w2008 costs (none known): $(printf '%s\n' "$OUT" | grep '^w2008,')"
"$WARD_COLLECTOR" -c "$T/collector.conf" eol export --json --at 2027-04-01 \
    > "$T/export.json" 2> "$T/export.err" || fail "export --json: $(cat "$T/export.err")"
[ "$(jq -r '.at + " " + (.assets | length | tostring)' "$T/export.json")" = "2027-04-01 10" ] ||
    fail "export --json: $(head -c 300 "$T/export.json")"
[ "$(jq -r '.assets[] | select(.name == "ubuntu2204") | .status' "$T/export.json")" = extended ] ||
    fail "ubuntu on 2027-04-01"
run 2 "$WARD_COLLECTOR" -c "$T/collector.conf" eol export
assert_contains "$OUT" "export: --csv or --json"
ok "eol export --csv and --json, today or at a date"

# --- refresh from the API stand-in
run 0 "$WARD_COLLECTOR" -c "$T/collector.conf" eol refresh
assert_contains "$OUT" "$NPRODUCTS products updated, 0 unchanged, 0 failed from $API"
grep -q '"path": "/api/v1/products/rhel-moved"' "$T/api.log" || fail "the 301 was not followed"
[ "$(db "SELECT source || ' ' || as_of FROM eol_products WHERE name = 'rhel'")" = \
    "$API $(date -u +%Y-%m-%d)" ] || fail "rhel after refresh: $(db "SELECT * FROM eol_products WHERE name = 'rhel'")"
fact rhel 7 eol 2024-06-30
run 0 "$WARD_COLLECTOR" -c "$T/collector.conf" eol refresh
assert_contains "$OUT" "0 products updated, $NPRODUCTS unchanged, 0 failed"
[ "$(jq -r 'select(.path == "/api/v1/products/debian") | .if_none_match' "$T/api.log" | tail -1)" != null ] ||
    fail "no If-None-Match sent"
ok "refresh: 200 stores the facts with their source and date, 301 is followed, ETag gives 304"

echo 404html > "$T/api/ubuntu.mode"
echo truncated > "$T/api/debian.mode"
echo 500 > "$T/api/sles.mode"
cycles_before=$(db "SELECT count(*) FROM eol_cycles WHERE product IN ('ubuntu', 'debian', 'sles')")
run 1 "$WARD_COLLECTOR" -c "$T/collector.conf" eol refresh
assert_contains "$OUT" "ubuntu: GET $API/products/ubuntu: 404, an HTML page: the API has no such product"
assert_contains "$OUT" "keeping its facts as of $(date -u +%Y-%m-%d) ($API)"
assert_contains "$OUT" "debian: GET $API/products/debian: the reply"
assert_contains "$OUT" "is not whole JSON"
assert_contains "$OUT" "sles: GET $API/products/sles: HTTP 500"
assert_contains "$OUT" "products updated, $((NPRODUCTS - 3)) unchanged, 3 failed"
[ "$(db "SELECT count(*) FROM eol_cycles WHERE product IN ('ubuntu', 'debian', 'sles')")" = "$cycles_before" ] ||
    fail "a failed refresh lost facts"
get "/api/v1/eol/summary"
[ "$(j '[.catalogue.refresh_failures[].product] | join(" ")')" = "debian sles ubuntu" ] ||
    fail "refresh failures: $(j -c .catalogue.refresh_failures)"
[ "$(j '.catalogue.last_refresh.failed')" = 3 ] || fail "last refresh: $(j -c .catalogue.last_refresh)"
get "/api/v1/eol/assets?at=$AT"
[ "$(j '.assets[] | select(.name == "ubuntu2204") | .software.eol')" = 2027-04-01 ] ||
    fail "ubuntu's facts are gone"
ok "refresh: 404 HTML, truncated JSON and 500 each keep the last good facts, and say so"

rm -f "$T/api/ubuntu.mode" "$T/api/debian.mode" "$T/api/sles.mode"
echo 429once > "$T/api/centos.mode"
run 0 "$WARD_COLLECTOR" -c "$T/collector.conf" eol refresh
[ "$(grep -c '"/api/v1/products/centos"' "$T/api.log")" -ge 2 ] || fail "429 was not retried"
get "/api/v1/eol/summary"
[ "$(j '.catalogue.refresh_failures | length')" = 0 ] || fail "failures not cleared"
echo 429 > "$T/api/centos.mode"
run 1 "$WARD_COLLECTOR" -c "$T/collector.conf" eol refresh
assert_contains "$OUT" "centos: GET $API/products/centos: 429 too many requests (Retry-After 1 s, after 3 attempts): stopping here"
assert_contains "$OUT" "products not asked for: they keep their facts until the next refresh"
fact centos 7 eol 2024-06-30
ok "refresh: 429 with Retry-After is retried, and when it persists the run stops keeping every fact"

kill "$API_PID"
wait "$API_PID" 2>/dev/null || true
run 1 "$WARD_COLLECTOR" -c "$T/collector.conf" eol refresh
assert_contains "$OUT" "keeping its facts as of"
assert_contains "$OUT" "products not asked for"
fact rhel 7 eol 2024-06-30
ok "refresh with the API gone: one failure, the rest not asked for, the catalogue kept"
