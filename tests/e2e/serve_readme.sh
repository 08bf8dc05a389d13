#!/usr/bin/env bash
# The curl examples of README.md ("## HTTP service") run as written against a live server, in a
# folder holding the files they name (made with the test PKI); each block's answer is checked.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.bash"

if "$QTB" serve --listen probe --db "$TMP/probe.db" 2>&1 </dev/null | grep -q "no HTTP server"; then
    if [ "${CI:-}" = "true" ]; then fail "built without libmicrohttpd under CI"; else skip "built without libmicrohttpd"; fi
    finish
fi
PKI=$QTB_FIXTURES/pki
W=$TMP/work
mkdir -p "$W"
# The files the examples name.
printf '%%PDF-1.4 payment order\n' >"$W/order.pdf"
openssl cms -sign -binary -md sha256 -in "$W/order.pdf" -signer "$PKI/certs/rsa_ceo_sign.pem" \
    -inkey "$PKI/keys/rsa_ceo_sign.key.pem" -outform DER -out "$W/order.pdf.cms"
printf '<challenge><nonce>n-1</nonce></challenge>\n' >"$TMP/challenge.xml"
"$QTB" sign --xml --p12 "$PKI/p12/rsa_individual_auth.p12" --password-file "$PKI/password.txt" \
    --out "$W/auth.xml" "$TMP/challenge.xml" >/dev/null
cp "$PKI/certs/rsa_ceo_sign.pem" "$W/signer.pem"
make_submission "$TMP/sub" np-kurmangaliyeva-pki-kk.xml rsa_individual_sign
cp "$TMP/sub/applicant.xml" "$TMP/sub/questionnaire.pdf.cms" "$W/"

TOKEN=readme-0123456789abcdef
printf 'reviewer %s\n' "$TOKEN" >"$TMP/tokens"
serve_start "$TMP/serve.log" --db "$TMP/readme.db" --trust "$PKI/trust/all" --token-file "$TMP/tokens" --threads 2 || {
    fail "server start"
    finish
}
# The ```sh blocks of the section, one file each; the one starting the server is skipped.
python3 - "$QTB_SOURCE_DIR/README.md" "$TMP/block" <<'PY'
import re, sys
text = open(sys.argv[1], encoding='utf-8').read()
sec = text.split('\n## HTTP service\n', 1)[1].split('\n## ', 1)[0]
blocks = [b for b in re.findall(r'```sh\n(.*?)```', sec, re.S) if 'qoltanba serve' not in b]
for i, b in enumerate(blocks):
    open(f'{sys.argv[2]}{i}.sh', 'w', encoding='utf-8').write(b)
print(len(blocks))
PY
run() { # run N: block N's output in $TMP/out
    (cd "$W" && QTB_URL=$BASE QTB_TOKEN=$TOKEN bash -e "$TMP/block$1.sh") >"$TMP/out" 2>"$TMP/err" &&
        ok "README block $1 runs" || fail "README block $1: $(head -c 300 "$TMP/err")"
}
has() { grep -q -- "$2" "$TMP/out" && ok "README block: $1" || fail "README block: $1: $(head -c 300 "$TMP/out")"; }
[ -f "$TMP/block4.sh" ] && ok "README has the five example blocks" || fail "README examples missing"
run 0
has "CMS valid" '"valid":true'
run 1
has "XML valid" '"valid":true'
has "certinfo IIN" '751102300459'
run 2
has "questionnaire 200" '^200$'
[ "$(head -c 5 "$W/questionnaire.pdf")" = "%PDF-" ] && ok "README: questionnaire.pdf written" || fail "no questionnaire.pdf"
run 3
has "submission PENDING" '"status":"PENDING"'
run 4
has "queue lists it" '"key":"APP-2026-0001"'
has "returned" '"status":"RETURNED"'
[ "$(head -c 5 "$W/stored.pdf")" = "%PDF-" ] && ok "README: stored.pdf written" || fail "no stored.pdf"
finish
