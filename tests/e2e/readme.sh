#!/usr/bin/env bash
# Every ```sh example block of README.md runs as written and exits 0 (a doc that can rot, will).
. "$(dirname "$0")/lib.sh"

readme=${QTB_SOURCE_DIR:?}/README.md
bin=$TMP/bin
mkdir -p "$bin" "$TMP/work"
ln -s "$QTB" "$bin/qoltanba"
export PATH="$bin:$PATH"
export PKI=$FIX/pki
export QTB_DEMO_PASSWORD
QTB_DEMO_PASSWORD=$(head -n1 "$PKI/password.txt")

python3 - "$readme" "$TMP/blocks" <<'PY'
import os, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
blocks = re.findall(r"^```sh example\n(.*?)^```", text, flags=re.S | re.M)
os.makedirs(sys.argv[2], exist_ok=True)
for i, b in enumerate(blocks):
    open(os.path.join(sys.argv[2], "%02d.sh" % i), "w", encoding="utf-8").write(b)
PY

n=0
for block in "$TMP"/blocks/*.sh; do
    n=$((n + 1))
    first=$(grep -m1 -v '^\s*$' "$block")
    if (cd "$TMP/work" && bash -euo pipefail "$block") >"$TMP/out" 2>"$TMP/err"; then
        ok "README example $n ($first)"
    else
        fail "README example $n ($first): $(tail -c 400 "$TMP/err")"
    fi
done
if [ "$n" -lt 5 ]; then
    fail "expected at least 5 example blocks in README.md, found $n"
fi
json_eq "the documented CMS report says TOTAL_PASSED" "$TMP/work/report.json" "d['indication']" TOTAL_PASSED
if head -c 5 "$TMP/work/anketa.pdf" | grep -q '%PDF-'; then
    ok "the documented questionnaire is a PDF"
else
    fail "anketa.pdf is not a PDF"
fi
finish
