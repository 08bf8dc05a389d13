#!/usr/bin/env bash
# `qoltanba revalidate`: every intake validation is verified again from the stored bytes, the new
# results are recorded beside the old ones, and the changes are reported as CSV, JSON and PDF.
# The seeded store claims TOTAL_PASSED for signature bytes that cannot verify, so every one of
# them must come back as changed; a store filled by `batch` must come back unchanged.
. "$(dirname "$0")/lib.sh"

SEEDER=${QTB_BUILD_DIR:?}/tests/store_test
DB=$TMP/reval.db
sql() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print("\n".join("|".join(str(v) for v in r) for r in c.execute(sys.argv[2])))' "$1" "$2"; }

expect_rc "seed" 0 "$SEEDER" --seed "$DB"
expect_rc "help" 0 "$QTB" revalidate --help
expect_rc "bad report extension" 2 "$QTB" revalidate --db "$DB" --report "$TMP/r.txt"
expect_rc "bad --at" 2 "$QTB" revalidate --db "$DB" --at yesterday
expect_rc "unusable --trust" 2 "$QTB" revalidate --db "$DB" --trust "$TMP/no-such-dir"
got=$(sql "$DB" "SELECT count(*) FROM revalidation_runs")
if [ "$got" = 0 ]; then ok "refused runs recorded nothing"; else fail "runs: $got"; fi

expect_rc "revalidate to CSV" 0 "$QTB" revalidate --db "$DB" --at 2026-06-01T00:00:00Z --report "$TMP/r.csv"
if [ "$(wc -l <"$TMP/r.csv")" = 5 ] && head -1 "$TMP/r.csv" | grep -q '^submission_id,key,version'; then ok "CSV: header and 4 changes"; else fail "CSV: $(cat "$TMP/r.csv")"; fi
if grep -q '"alpha","1","questionnaire.pdf.cms","TOTAL_PASSED"' "$TMP/r.csv"; then ok "CSV row names the change"; else fail "CSV rows: $(cat "$TMP/r.csv")"; fi
got=$(sql "$DB" "SELECT count(*), min(validation_time) FROM revalidation_runs WHERE finished_at IS NOT NULL")
if [ "$got" = "1|2026-06-01T00:00:00Z" ]; then ok "run recorded with its --at time"; else fail "run: $got"; fi
got=$(sql "$DB" "SELECT count(*) FROM validations WHERE run_id = 1")
if [ "$got" = 4 ]; then ok "new results recorded beside the old"; else fail "new validations: $got"; fi
got=$(sql "$DB" "SELECT count(*) FROM validations WHERE run_id IS NULL AND indication = 'TOTAL_PASSED'")
if [ "$got" = 4 ]; then ok "intake results untouched"; else fail "intake: $got"; fi

expect_rc "revalidate to JSON" 0 "$QTB" revalidate --db "$DB" --report "$TMP/r.json"
json_eq "JSON summary" "$TMP/r.json" "(d['summary']['checked'], d['summary']['changed'])" "(4, 4)"
json_eq "JSON change" "$TMP/r.json" "sorted(c['key'] for c in d['changes'])" "['alpha', 'bravo', 'charlie', 'delta']"
json_eq "JSON before" "$TMP/r.json" "d['changes'][0]['before']['indication']" "TOTAL_PASSED"
json_eq "JSON after is not passed" "$TMP/r.json" "d['changes'][0]['after']['indication'] != 'TOTAL_PASSED'" "True"
expect_rc "revalidate to PDF" 0 "$QTB" revalidate --db "$DB" --report "$TMP/r.pdf"
if head -c 5 "$TMP/r.pdf" | grep -q '%PDF-'; then ok "PDF written"; else fail "not a PDF"; fi
expect_rc "show keeps both results" 0 "$QTB" review show 1 --db "$DB" --json
json_eq "show: intake + 3 runs" "$TMP/out" "[v['run_id'] for v in d['validations']]" "[None, 1, 2, 3]"
expect_rc "audit after revalidation" 0 "$QTB" audit verify --db "$DB" --json
json_eq "audit counts the runs" "$TMP/out" "d['entries']" "7"

# A store filled by batch: the verdicts are reproducible, nothing changes.
mkdir -p "$TMP/inbox/s1/attachments"
cp "${QTB_SOURCE_DIR:?}/fixtures/applicants/ie-seitkali-pki-kk.xml" "$TMP/inbox/s1/applicant.xml"
printf 'junk' >"$TMP/inbox/s1/questionnaire.pdf.cms"
printf '%%PDF-1.4' >"$TMP/inbox/s1/attachments/a.pdf"
printf 'junk2' >"$TMP/inbox/s1/attachments/a.pdf.cms"
expect_rc "batch" 0 "$QTB" batch --db "$TMP/b.db" "$TMP/inbox"
expect_rc "revalidate the batch store" 0 "$QTB" revalidate --db "$TMP/b.db" --json
json_eq "batch store unchanged" "$TMP/out" "(d['summary']['checked'], d['summary']['changed'])" "(2, 0)"

# Stored evidence: intake recorded the CRLs of the trust folder; re-validating against anchors
# only (the current CRLs unavailable) must still find the revoked signer through them.
PKI=$FIX/pki
mkdir -p "$TMP/anchors" "$TMP/inbox2/revoked/attachments"
cp "$PKI/trust/rsa/root.pem" "$PKI/trust/rsa/ca.pem" "$TMP/anchors/"
cp "$QTB_SOURCE_DIR/fixtures/applicants/np-kurmangaliyeva-pki-kk.xml" "$TMP/inbox2/revoked/applicant.xml"
"$QTB" questionnaire --allow-findings --out "$TMP/q.pdf" "$TMP/inbox2/revoked/applicant.xml" >/dev/null
"$QTB" sign --p12 "$PKI/p12/rsa_revoked.p12" --password-file "$PKI/password.txt" --detached \
    --out "$TMP/inbox2/revoked/questionnaire.pdf.cms" "$TMP/q.pdf"
cp -r "$TMP/inbox2" "$TMP/inbox3"
expect_rc "batch with CRLs (stored as evidence)" 0 "$QTB" batch --db "$TMP/ev.db" --trust "$PKI/trust/rsa" "$TMP/inbox2"
got=$(sql "$TMP/ev.db" "SELECT subindication FROM validations WHERE run_id IS NULL")
if [ "$got" = REVOKED ]; then ok "intake: REVOKED"; else fail "intake: $got"; fi
expect_rc "revalidate against anchors only" 0 "$QTB" revalidate --db "$TMP/ev.db" --trust "$TMP/anchors"
if grep -q "0 changed" "$TMP/out" && grep -Eq "with [1-9][0-9]* CRLs from stored evidence" "$TMP/out"; then
    ok "the stored CRL still proves the revocation"
else
    fail "revalidation with stored evidence: $(cat "$TMP/out")"
fi
got=$(sql "$TMP/ev.db" "SELECT subindication FROM validations WHERE run_id = 1")
if [ "$got" = REVOKED ]; then ok "run 1: REVOKED"; else fail "run 1: $got"; fi
# Twin: intake without CRLs stores no CRL evidence, so the same re-validation cannot see it.
expect_rc "batch with anchors only" 0 "$QTB" batch --db "$TMP/noev.db" --trust "$TMP/anchors" "$TMP/inbox3"
expect_rc "revalidate with the current CRLs" 0 "$QTB" revalidate --db "$TMP/noev.db" --trust "$PKI/trust/rsa" --json
json_eq "the current CRL reveals the revocation as a change" "$TMP/out" \
    "(d['summary']['changed'], d['changes'][0]['after']['subindication'])" "(1, 'REVOKED')"

# A document kept outside the database (content NULL, archive_path set: qoltanba never writes
# one, another tool might): the run completes, counts it, and says why it was not verified.
expect_rc "seed for archive_path" 0 "$SEEDER" --seed "$TMP/arch.db"
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("UPDATE documents SET content = NULL, archive_path = ? WHERE submission_id = 2 AND name = ?", ("archive/bravo.cms", "questionnaire.pdf.cms")); c.commit()' "$TMP/arch.db"
expect_rc "revalidate with an archived document" 0 "$QTB" revalidate --db "$TMP/arch.db" --json
json_eq "archived: counted, run complete" "$TMP/out" "(d['summary']['checked'], d['summary']['changed'])" "(4, 4)"
json_eq "archived: the reason" "$TMP/out" "[c['after']['message'] for c in d['changes'] if c['key'] == 'bravo']" \
    "['the signature file questionnaire.pdf.cms is kept outside the database at archive/bravo.cms; this version of qoltanba only revalidates documents stored inline']"
json_eq "archived: the others were verified" "$TMP/out" "sum('outside the database' in (c['after']['message'] or '') for c in d['changes'])" "1"
got=$(sql "$TMP/arch.db" "SELECT count(*) FROM revalidation_runs WHERE finished_at IS NOT NULL")
if [ "$got" = 1 ]; then ok "archived: run finished"; else fail "archived: runs finished: $got"; fi

finish
