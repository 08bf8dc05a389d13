#!/usr/bin/env bash
# Submissions per second of `qoltanba batch`, end to end (list, read, hash, verify, record),
# on all cores. Not part of CTest. Usage:
#   tests/bench/batch_bench.sh [BUILD_DIR] [N]     (defaults: build, 1000)
# Target (issue 7): >= 500 submissions/s on 2 cores. Until the CMS and questionnaire modules are
# merged the signature checks are stubbed, so this measures the loader, hashing, the questionnaire
# regeneration and the store.
#
# Measured on the shared 2-core machine (load average 4-7 from other builds), 2026-11-22:
# - with the stubbed CMS verifier, 1000 submissions of 145 KB: 1.4-3.5 s wall, 0.9 s CPU before
#   the questionnaire regeneration was wired in; 3.3 s CPU after (rendering is ~2 ms per PDF);
# - with the cms and trust branches merged (a probe, not this branch), 1000 signed submissions
#   (questionnaire + one signed attachment, RSA-2048, test PKI): all ACCEPTED in 2.32 s wall =
#   432 submissions/s under load, 3.45 s CPU = 3.45 ms CPU per submission, i.e. about 580/s on
#   two idle cores. Most of the CPU is the questionnaire regeneration.
set -euo pipefail
build=${1:-build}
n=${2:-1000}
qtb=$build/qoltanba
applicant=$(cd "$(dirname "$0")/../.." && pwd)/fixtures/applicants/np-ivanova-ru.xml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
inbox=$tmp/inbox
mkdir -p "$inbox"
# A realistic size: a demo applicant (the questionnaire is regenerated from it), ~3 KB CMS,
# two ~60 KB attachments, one with a detached signature.
head -c 61440 /dev/urandom >"$tmp/att"
for i in $(seq -w 1 "$n"); do
    s=$inbox/sub-$i
    mkdir -p "$s/attachments"
    cp "$applicant" "$s/applicant.xml"
    { printf '%s' "$i"; head -c 3000 /dev/zero; } >"$s/questionnaire.pdf.cms"
    { printf '%s' "$i"; cat "$tmp/att"; } >"$s/attachments/id.pdf"
    { printf '%s' "$i"; head -c 3000 /dev/zero; } >"$s/attachments/id.pdf.cms"
    { printf '%s' "$i"; cat "$tmp/att"; } >"$s/attachments/licence.pdf"
done
echo "inbox: $n submissions, $(du -sh "$inbox" | cut -f1)"
"$qtb" batch --db "$tmp/bench.db" --json "$inbox" 2>/dev/null >"$tmp/summary.json"
python3 - "$tmp/summary.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("recorded %d submissions in %.2f s: %.0f submissions/s (%d commits; %d accepted, %d rejected, %d errors)"
      % (d["total"] - d["skipped"], d["seconds"], d["submissions_per_second"], d["commits"],
         d["accepted"], d["rejected"], d["errors"]))
PY
"$qtb" batch --db "$tmp/bench.db" --json "$inbox" 2>/dev/null >"$tmp/again.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("re-run (all unchanged): %.2f s" % d["seconds"])' "$tmp/again.json"
