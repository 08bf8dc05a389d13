#!/usr/bin/env bash
# Crash consistency of `qoltanba batch`: kill -9 at deterministic points (right after a commit,
# inside an open transaction) and at random times, re-run, and check that no submission is lost
# or duplicated, every recorded submission is complete, the audit chain verifies and
# PRAGMA integrity_check says ok. Also: idempotent re-runs, a changed folder becoming version 2,
# symlinks escaping the inbox, the JSON summary and exit codes.
# (Verification itself may still be stubbed; the recording and idempotency logic is real.)
. "$(dirname "$0")/lib.sh"

sql() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print("\n".join("|".join(str(v) for v in r) for r in c.execute(sys.argv[2])))' "$1" "$2"; }

APPLICANT=${QTB_SOURCE_DIR:?}/fixtures/applicants/np-ivanova-ru.xml

make_inbox() { # make_inbox DIR N
    local dir=$1 n=$2 i
    mkdir -p "$dir"
    for i in $(seq -w 1 "$n"); do
        local s=$dir/sub-$i
        mkdir -p "$s/attachments"
        cp "$APPLICANT" "$s/applicant.xml"
        printf 'signature of %s' "$i" >"$s/questionnaire.pdf.cms"
        printf '%%PDF-1.4 id card %s' "$i" >"$s/attachments/id.pdf"
    done
}

# check DB N LABEL: exactly N distinct submissions, one row each, all complete (3 files + the
# regenerated questionnaire PDF, one validation, one audit entry), log intact.
check() {
    local db=$1 n=$2 label=$3
    local got
    got=$(sql "$db" "SELECT count(*), count(DISTINCT submission_key) FROM submissions")
    if [ "$got" = "$n|$n" ]; then ok "$label: $n submissions, no duplicate"; else fail "$label: rows|keys = $got, want $n|$n"; fi
    got=$(sql "$db" "SELECT count(*) FROM submissions s WHERE (SELECT count(*) FROM documents d WHERE d.submission_id = s.id) <> 4 OR (SELECT count(*) FROM validations v WHERE v.submission_id = s.id) <> 1 OR (SELECT count(*) FROM audit_log a WHERE a.submission_id = s.id AND a.action = 'RECORD') <> 1")
    if [ "$got" = 0 ]; then ok "$label: every submission complete"; else fail "$label: $got incomplete submissions"; fi
    got=$(sql "$db" "PRAGMA integrity_check")
    if [ "$got" = ok ]; then ok "$label: integrity_check ok"; else fail "$label: integrity_check: $got"; fi
    got=$(sql "$db" "SELECT count(*) FROM pragma_foreign_key_check")
    if [ "$got" = 0 ]; then ok "$label: foreign keys ok"; else fail "$label: $got foreign key violations"; fi
    expect_rc "$label: audit verify" 0 "$QTB" audit verify --db "$db"
}

N=40
INBOX=$TMP/inbox
make_inbox "$INBOX" $N
DB=$TMP/crash.db

expect_rc "batch --help" 0 "$QTB" batch --help
expect_rc "batch without --db" 2 env -u QTB_DB "$QTB" batch "$INBOX"
expect_rc "batch on a missing inbox" 2 "$QTB" batch --db "$TMP/x.db" "$TMP/nope"
expect_rc "batch bad --jobs" 2 "$QTB" batch --db "$TMP/x.db" --jobs 0 "$INBOX"

# Deterministic crashes, one store across all of them (each run resumes the previous).
QTB_BATCH_CRASH_AFTER=1 expect_rc "killed right after commit 1" 137 "$QTB" batch --db "$DB" --jobs 2 --commit-every 4 --commit-ms 3600000 "$INBOX"
got=$(sql "$DB" "SELECT count(*) FROM submissions")
if [ "$got" = 4 ]; then ok "exactly the committed 4 survived"; else fail "after commit 1: $got rows, want 4"; fi
QTB_BATCH_CRASH_MID=1 expect_rc "killed inside a transaction" 137 "$QTB" batch --db "$DB" --jobs 2 --commit-every 4 --commit-ms 3600000 "$INBOX"
got=$(sql "$DB" "SELECT count(*) FROM submissions")
if [ "$got" = 4 ]; then ok "the open transaction left nothing"; else fail "after mid-transaction kill: $got rows, want 4"; fi
QTB_BATCH_CRASH_MID=3 expect_rc "killed inside transaction 3" 137 "$QTB" batch --db "$DB" --jobs 2 --commit-every 4 --commit-ms 3600000 "$INBOX"
got=$(sql "$DB" "SELECT count(*) FROM submissions")
if [ "$got" = 12 ]; then ok "two more commits survived, the third did not"; else fail "after the third run: $got rows, want 12"; fi
QTB_BATCH_CRASH_AFTER=2 expect_rc "killed after commit 2 of a resumed run" 137 "$QTB" batch --db "$DB" --jobs 1 --commit-every 5 --commit-ms 3600000 "$INBOX"
check "$DB" 22 "after four kills"
expect_rc "re-run completes" 0 "$QTB" batch --db "$DB" --jobs 2 --json "$INBOX"
json_eq "summary: total" "$TMP/out" "d['total']" "$N"
json_eq "summary: skipped the 22 recorded" "$TMP/out" "d['skipped']" "22"
json_eq "summary: the rest recorded" "$TMP/out" "d['accepted'] + d['rejected'] + d['errors']" "18"
check "$DB" $N "after the re-run"

# Idempotent: nothing new on another run.
expect_rc "second re-run" 0 "$QTB" batch --db "$DB" --json "$INBOX"
json_eq "second re-run skips all" "$TMP/out" "d['skipped']" "$N"
check "$DB" $N "after an idempotent re-run"

# A changed folder becomes version 2; the others stay.
printf '%%PDF-1.4 id card, corrected' >"$INBOX/sub-07/attachments/id.pdf"
expect_rc "changed folder" 0 "$QTB" batch --db "$DB" --json "$INBOX"
json_eq "one new version" "$TMP/out" "(d['skipped'], d['total'] - d['skipped'])" "($((N - 1)), 1)"
got=$(sql "$DB" "SELECT group_concat(version) FROM (SELECT version FROM submissions WHERE submission_key = 'sub-07' ORDER BY version)")
if [ "$got" = "1,2" ]; then ok "sub-07 has versions 1,2"; else fail "sub-07 versions: $got"; fi

# Random-time kills of a bigger inbox with small transactions.
BIG=$TMP/big
make_inbox "$BIG" 150
DB2=$TMP/random.db
for delay in 0.05 0.15 0.3; do
    "$QTB" batch --db "$DB2" --jobs 2 --commit-every 3 "$BIG" >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    got=$(sql "$DB2" "SELECT count(*) - count(DISTINCT submission_key) FROM submissions" 2>/dev/null || echo 0)
    have=$(sql "$DB2" "SELECT count(*) FROM submissions" 2>/dev/null || echo 0)
    if [ "${got:-0}" = 0 ]; then ok "kill after ${delay}s ($have recorded): no duplicate"; else fail "kill after ${delay}s: $got duplicates"; fi
done
expect_rc "re-run after random kills" 0 "$QTB" batch --db "$DB2" --jobs 2 "$BIG"
check "$DB2" 150 "after random kills"

# The inbox is confined: a symlinked folder leading outside is not a submission, one inside is.
LINKED=$TMP/linked
mkdir -p "$LINKED" "$TMP/outside/sub-x"
cp -r "$INBOX/sub-01" "$LINKED/real"
ln -s "$TMP/outside/sub-x" "$LINKED/escape"
ln -s "$LINKED/real" "$LINKED/alias"
expect_rc "batch over symlinks" 0 "$QTB" batch --db "$TMP/links.db" --json "$LINKED"
json_eq "escaping symlink skipped, inner one taken" "$TMP/out" "d['total']" "2"
got=$(sql "$TMP/links.db" "SELECT group_concat(submission_key) FROM (SELECT submission_key FROM submissions ORDER BY 1)")
if [ "$got" = "alias,real" ]; then ok "recorded alias and real"; else fail "recorded: $got"; fi

# A store that cannot be written is an operational error (exit 2), not a verdict.
mkdir -p "$TMP/ro" && chmod 0500 "$TMP/ro"
if [ "$(id -u)" != 0 ]; then
    expect_rc "unwritable store" 2 "$QTB" batch --db "$TMP/ro/x.db" "$INBOX"
else
    expect_rc "store in a missing folder" 2 "$QTB" batch --db "$TMP/nope/x.db" "$INBOX"
fi

finish
