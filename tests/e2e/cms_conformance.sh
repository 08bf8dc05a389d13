#!/usr/bin/env bash
# Every kind=cms row of ../shared/conformance/MANIFEST.tsv through `qoltanba verify`.
# expected valid   <=> TOTAL_PASSED, or for `noverify` rows: every SignerInfo's signature value
#                      (and messageDigest, when there are signed attributes) verified;
# expected invalid <=> not that.
# Anchors go into a per-row --trust folder, untrusted= into --untrusted, time= into --at.
. "$(dirname "$0")/lib.sh"

need_shared || finish
CONF="$SHARED/conformance"
[ -f "$CONF/MANIFEST.tsv" ] || { fail "no $CONF/MANIFEST.tsv"; finish; }

judge() { # judge JSONFILE NOVERIFY -> prints valid|invalid
    python3 - "$1" "$2" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    print("invalid"); sys.exit()
sigs = d.get("signatures", [])
if sys.argv[2] == "1":
    ok = len(sigs) > 0 and d.get("subIndication") != "FORMAT_FAILURE" and all(
        s["checks"]["signatureValue"] == "PASSED" and s["checks"]["messageDigest"] != "FAILED"
        for s in sigs)
else:
    ok = d.get("indication") == "TOTAL_PASSED"
print("valid" if ok else "invalid")
EOF
}

rows=0
while IFS=$'\t' read -r id kind file content trust expected reason source; do
    [ "$kind" = "cms" ] || continue
    rows=$((rows + 1))
    dir="$TMP/$id"
    mkdir -p "$dir/trust"
    args=(--json)
    noverify=0
    IFS=';' read -ra toks <<<"$trust"
    for t in "${toks[@]}"; do
        case "$t" in
        -) ;;
        noverify) noverify=1; args+=(--no-chain) ;;
        time=*) args+=(--at "${t#time=}") ;;
        untrusted=*) args+=(--untrusted "$CONF/${t#untrusted=}") ;;
        *) cp "$CONF/$t" "$dir/trust/" ;;
        esac
    done
    args+=(--trust "$dir/trust")
    [ "$content" != "-" ] && args+=(--content "$CONF/$content")
    rc=0
    "$QTB" verify "${args[@]}" "$CONF/$file" >"$dir/out.json" 2>"$dir/err" || rc=$?
    if [ "$rc" = 2 ]; then
        fail "$id: usage/I-O error: $(head -c 300 "$dir/err")"
        continue
    fi
    got=$(judge "$dir/out.json" "$noverify")
    if [ "$got" = "$expected" ]; then
        ok "$id ($expected)"
    else
        fail "$id: got $got, want $expected; $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["indication"], d.get("message",""), [ (s["subIndication"], s["message"]) for s in d["signatures"]])' "$dir/out.json" 2>&1 | head -c 600)"
    fi
done <"$CONF/MANIFEST.tsv"

if [ "$rows" -ne 48 ]; then
    fail "expected 48 kind=cms rows, found $rows"
fi
finish
