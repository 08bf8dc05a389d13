#!/usr/bin/env bash
# Review flow through the CLI on a store populated through the library (store_test --seed):
# list/show, approve, return with a remark, illegal transitions, a corrected resubmission
# becoming PENDING again with its history, and `audit verify` against an edited, a deleted
# and a truncated log row.
. "$(dirname "$0")/lib.sh"

SEEDER=${QTB_BUILD_DIR:?}/tests/store_test
DB=$TMP/review.db
py() { python3 - "$DB" "$@"; }
sql() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print("\n".join("|".join(str(v) for v in r) for r in c.execute(sys.argv[2])))' "$1" "$2"; }

expect_rc "seed the store" 0 "$SEEDER" --seed "$DB"
expect_rc "help" 0 "$QTB" review --help
expect_rc "missing --db" 2 env -u QTB_DB "$QTB" review list
expect_rc "unknown subcommand" 2 "$QTB" review frobnicate --db "$DB"
expect_rc "missing store is not created" 2 "$QTB" review list --db "$TMP/typo.db"
if [ ! -e "$TMP/typo.db" ]; then ok "no store created by review"; else fail "review created $TMP/typo.db"; fi
expect_rc "audit on a missing store" 2 "$QTB" audit verify --db "$TMP/typo.db"

expect_rc "list --json" 0 "$QTB" review list --db "$DB" --json
json_eq "four submissions listed" "$TMP/out" "len(d)" 4
json_eq "newest first" "$TMP/out" "[s['key'] for s in d]" "['delta', 'charlie', 'bravo', 'alpha']"
json_eq "rejected one is REJECTED" "$TMP/out" "[s['status'] for s in d if s['key']=='charlie'][0]" "REJECTED"
json_eq "rejection reason recorded" "$TMP/out" "[s['reason'] for s in d if s['key']=='charlie'][0].split(':')[0]" "SIGNER_IIN_MISMATCH"
expect_rc "list --status PENDING" 0 "$QTB" review list --db "$DB" --status PENDING --json
json_eq "three pending" "$TMP/out" "sorted(s['key'] for s in d)" "['alpha', 'bravo', 'delta']"
expect_rc "list --status bogus" 2 "$QTB" review list --db "$DB" --status BOGUS
expect_rc "list text" 0 "$QTB" review list --db "$DB"
if grep -q "alpha" "$TMP/out" && grep -q "PENDING" "$TMP/out"; then ok "text list shows rows"; else fail "text list: $(cat "$TMP/out")"; fi

expect_rc "show 1" 0 "$QTB" review show 1 --db "$DB" --json
json_eq "show: key" "$TMP/out" "d['key']" "alpha"
json_eq "show: applicant IIN" "$TMP/out" "d['applicant_iin']" "900101300123"
json_eq "show: signer IIN" "$TMP/out" "d['validations'][0]['signatures'][0]['signer_iin']" "900101300123"
json_eq "show: documents" "$TMP/out" "[x['name'] for x in d['documents']]" "['applicant.xml', 'questionnaire.pdf.cms']"
json_eq "show: history" "$TMP/out" "[(h['from'], h['to']) for h in d['history']]" "[(None, 'PENDING')]"
expect_rc "show unknown id" 2 "$QTB" review show 999 --db "$DB"
expect_rc "show bad id" 2 "$QTB" review show abc --db "$DB"

expect_rc "approve 1" 0 "$QTB" review approve 1 --reviewer alice --db "$DB"
expect_rc "approve 1 again is refused" 1 "$QTB" review approve 1 --reviewer alice --db "$DB"
if grep -q "APPROVED" "$TMP/err"; then ok "refusal names the state"; else fail "refusal: $(cat "$TMP/err")"; fi
expect_rc "return 1 after approval is refused" 1 "$QTB" review return 1 --remark late --db "$DB"
expect_rc "return without remark" 2 "$QTB" review return 2 --db "$DB"
expect_rc "return 2" 0 "$QTB" review return 2 --remark "the ID scan is unreadable" --reviewer bob --db "$DB"
expect_rc "approve a returned one is refused" 1 "$QTB" review approve 2 --db "$DB"
expect_rc "approve a rejected one is refused" 1 "$QTB" review approve 3 --db "$DB"
expect_rc "approve unknown id" 2 "$QTB" review approve 999 --db "$DB"
QTB_DB=$DB expect_rc "approve 4 (QTB_DB, default reviewer)" 0 "$QTB" review approve 4
expect_rc "show 4" 0 "$QTB" review show 4 --db "$DB" --json
json_eq "default reviewer is the login name" "$TMP/out" "d['history'][-1]['reviewer']" "$(id -un)"
json_eq "status APPROVED" "$TMP/out" "d['status']" "APPROVED"

# The returned submission comes back corrected: a new version, PENDING, with the history.
new_id=$("$SEEDER" --resubmit "$DB" bravo)
if [ "$new_id" = 5 ]; then ok "resubmission recorded as id 5"; else fail "resubmission id '$new_id'"; fi
expect_rc "show 5" 0 "$QTB" review show 5 --db "$DB" --json
json_eq "v2 pending" "$TMP/out" "(d['version'], d['status'])" "(2, 'PENDING')"
json_eq "v1 kept as RETURNED" "$TMP/out" "[(v['version'], v['status']) for v in d['versions']]" "[(1, 'RETURNED'), (2, 'PENDING')]"
json_eq "history keeps the remark" "$TMP/out" "[h['remark'] for h in d['history'] if h['to']=='RETURNED'][0]" "the ID scan is unreadable"
json_eq "history links the resubmission" "$TMP/out" "d['history'][-1]['remark']" "resubmitted after version 1 was returned"
expect_rc "approve 5" 0 "$QTB" review approve 5 --reviewer carol --db "$DB"
expect_rc "list APPROVED" 0 "$QTB" review list --db "$DB" --status APPROVED --json
json_eq "approved: alpha, bravo v2, delta" "$TMP/out" "sorted((s['key'], s['version']) for s in d)" "[('alpha', 1), ('bravo', 2), ('delta', 1)]"

# Audit log: 5 records + 4 decisions.
expect_rc "audit help" 0 "$QTB" audit --help
expect_rc "audit verify" 0 "$QTB" audit verify --db "$DB" --json
json_eq "audit intact" "$TMP/out" "(d['intact'], d['entries'])" "(True, 9)"
head=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["head_hash"])' "$TMP/out")
expect_rc "audit verify text" 0 "$QTB" audit verify --db "$DB"
if grep -q "$head" "$TMP/out"; then ok "text output shows the head hash"; else fail "head: $(cat "$TMP/out")"; fi

tamper() { # tamper NAME SQL: copy the store, drop the guards, run SQL, expect detection
    local name=$1 stmt=$2 copy=$TMP/tamper.db
    cp "$DB" "$copy"
    sql "$copy" "DROP TRIGGER audit_log_no_update" >/dev/null
    sql "$copy" "DROP TRIGGER audit_log_no_delete" >/dev/null
    python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()' "$copy" "$stmt"
    expect_rc "audit detects $name" 1 "$QTB" audit verify --db "$copy"
    if grep -q "TAMPERED" "$TMP/out"; then ok "$name reported"; else fail "$name: $(cat "$TMP/out")"; fi
}
tamper "an edited row" "UPDATE audit_log SET actor = 'mallory' WHERE seq = 5"
tamper "an edited remark" "UPDATE audit_log SET details = replace(details, 'unreadable', 'fine') WHERE seq = 6"
tamper "a deleted row" "DELETE FROM audit_log WHERE seq = 3"
tamper "a truncated tail" "DELETE FROM audit_log WHERE seq >= 8"
tamper "reordered rows" "UPDATE audit_log SET seq = 100 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 100"
expect_rc "the original is still intact" 0 "$QTB" audit verify --db "$DB"
expect_rc "integrity_check" 0 sql "$DB" "PRAGMA integrity_check"
if [ "$(cat "$TMP/out")" = ok ]; then ok "integrity ok"; else fail "integrity: $(cat "$TMP/out")"; fi

finish
