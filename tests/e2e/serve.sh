#!/usr/bin/env bash
# `qoltanba serve` end to end: the real server on 127.0.0.1 (ephemeral port), every endpoint
# with real signatures made with the test PKI, every bad-input case (bad JSON, bad base64,
# missing fields, 413, 404, 405, missing and wrong tokens), the store checked afterwards, the
# request log (no password, no document content) and a graceful SIGTERM with a request in flight.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.bash"

if ! "$QTB" serve --help >/dev/null 2>&1 || ! command -v curl >/dev/null; then
    skip "no 'qoltanba serve' in this build, or no curl"
    finish
fi
if "$QTB" serve --listen probe --db "$TMP/probe.db" 2>&1 </dev/null | grep -q "no HTTP server"; then
    if [ "${CI:-}" = "true" ]; then fail "built without libmicrohttpd under CI"; else skip "built without libmicrohttpd"; fi
    finish
fi
PKI=$FIX/pki
DB=$TMP/serve.db
# Refused at start (exit 2, nothing served): bad address, weak token, open non-loopback.
expect_rc "--listen not an address" 2 "$QTB" serve --listen localhost --db "$TMP/x.db"
printf 'alice short\n' >"$TMP/weak"
expect_rc "--token-file with a short token" 2 "$QTB" serve --listen 127.0.0.1:0 --db "$TMP/x.db" --token-file "$TMP/weak"
expect_rc "--auth-verify without tokens" 2 "$QTB" serve --listen 127.0.0.1:0 --db "$TMP/x.db" --auth-verify
expect_rc "0.0.0.0 without tokens" 2 "$QTB" serve --listen 0.0.0.0:0 --db "$TMP/x.db"
expect_rc "--threads 0" 2 "$QTB" serve --threads 0 --db "$TMP/x.db"
TOKEN=alice-0123456789abcdef
printf '# reviewers\nalice %s\nbob bob-fedcba9876543210\n' "$TOKEN" >"$TMP/tokens"
LOG=$TMP/serve.log
serve_start "$LOG" --db "$DB" --trust "$PKI/trust/all" --token-file "$TMP/tokens" --threads 2 || {
    fail "server start"
    finish
}
ok "server listens on $BASE"

# req NAME WANT-STATUS METHOD PATH [curl args...]: body in $TMP/out
req() {
    local name=$1 want=$2 method=$3 path=$4
    shift 4
    local got
    got=$(curl -s -o "$TMP/out" -w '%{http_code}' -X "$method" "$BASE$path" "$@") || got="curl-failed"
    if [ "$got" = "$want" ]; then ok "$name ($want)"; else fail "$name: HTTP $got, want $want: $(head -c 300 "$TMP/out")"; fi
}
AUTH=(-H "Authorization: Bearer $TOKEN")
JSON=(-H 'Content-Type: application/json')
b64() { base64 -w0 "$1"; }

# ---- health, page, metrics ----
req "health" 200 GET /health
json_eq "health body" "$TMP/out" "d['status']" ok
req "page" 200 GET /
grep -q '<script src="/app.js"' "$TMP/out" && ok "page is the review page" || fail "page content"
req "page script" 200 GET /app.js
req "page style" 200 GET /style.css

# ---- POST /cms/verify ----
printf 'SECRET-CONTENT-MARKER payment order 42\n' >"$TMP/doc.txt"
openssl cms -sign -binary -md sha256 -in "$TMP/doc.txt" -signer "$PKI/certs/rsa_individual_sign.pem" \
    -inkey "$PKI/keys/rsa_individual_sign.key.pem" -outform DER -out "$TMP/doc.cms"
openssl cms -sign -binary -nodetach -md sha256 -in "$TMP/doc.txt" -signer "$PKI/certs/rsa_ceo_sign.pem" \
    -inkey "$PKI/keys/rsa_ceo_sign.key.pem" -outform DER -out "$TMP/attached.cms"
printf '{"cms":"%s","data":"%s"}' "$(b64 "$TMP/doc.cms")" "$(b64 "$TMP/doc.txt")" >"$TMP/v-ok.json"
req "cms detached" 200 POST /cms/verify "${JSON[@]}" --data-binary @"$TMP/v-ok.json"
json_eq "cms detached: valid" "$TMP/out" "(d['valid'], d['indication'])" "(True, 'TOTAL_PASSED')"
# The same validation time for both (the report carries it).
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
printf '{"cms":"%s","data":"%s","at":"%s"}' "$(b64 "$TMP/doc.cms")" "$(b64 "$TMP/doc.txt")" "$NOW" >"$TMP/v-at-now.json"
req "cms detached at a given time" 200 POST /cms/verify "${JSON[@]}" --data-binary @"$TMP/v-at-now.json"
"$QTB" verify --trust "$PKI/trust/all" --content "$TMP/doc.txt" --at "$NOW" --json "$TMP/doc.cms" >"$TMP/cli.json" 2>/dev/null || true
json_eq "cms: same report as 'verify --json' plus valid" "$TMP/out" \
    "(lambda c: {k: v for k, v in d.items() if k != 'valid'} == c)(json.load(open('$TMP/cli.json')))" True
printf 'SECRET-CONTENT-MARKER payment order 43\n' >"$TMP/other.txt"
printf '{"cms":"%s","data":"%s"}' "$(b64 "$TMP/doc.cms")" "$(b64 "$TMP/other.txt")" >"$TMP/v-bad.json"
req "cms over other data" 200 POST /cms/verify "${JSON[@]}" --data-binary @"$TMP/v-bad.json"
json_eq "cms over other data: not valid" "$TMP/out" "(d['valid'], d['indication'])" "(False, 'TOTAL_FAILED')"
printf '{"cms":"%s"}' "$(b64 "$TMP/attached.cms")" >"$TMP/v-att.json"
req "cms attached" 200 POST /cms/verify "${JSON[@]}" --data-binary @"$TMP/v-att.json"
json_eq "cms attached: valid, CEO's IIN" "$TMP/out" "(d['valid'], '751102300459' in json.dumps(d))" "(True, True)"
printf '{"cms":"%s","at":"2001-01-01T00:00:00Z"}' "$(b64 "$TMP/attached.cms")" >"$TMP/v-at.json"
req "cms at a time before the certificate" 200 POST /cms/verify "${JSON[@]}" --data-binary @"$TMP/v-at.json"
json_eq "cms at 2001: not valid" "$TMP/out" "d['valid']" False
printf '{"cms":"%s","at":"2001-01-01T05:00:00+05:00"}' "$(b64 "$TMP/attached.cms")" >"$TMP/v-at-offset.json"
req "cms at a time with an Almaty offset" 200 POST /cms/verify "${JSON[@]}" --data-binary @"$TMP/v-at-offset.json"
json_eq "cms at +05:00: the same instant as Z" "$TMP/out" "d['signatures'][0]['bestSignatureTime']" "2001-01-01T00:00:00Z"
req "cms: not a CMS" 200 POST /cms/verify "${JSON[@]}" -d '{"cms":"aGVsbG8="}'
json_eq "cms: not a CMS is a FORMAT_FAILURE" "$TMP/out" "(d['valid'], d['subIndication'])" "(False, 'FORMAT_FAILURE')"

# ---- bad input: 400, 413, 404, 405 ----
req "bad JSON" 400 POST /cms/verify "${JSON[@]}" -d '{"cms": '
json_eq "bad JSON: error" "$TMP/out" "'not valid JSON' in d['error']" True
req "empty body" 400 POST /cms/verify
req "JSON array" 400 POST /cms/verify -d '[1]'
req "bad base64" 400 POST /cms/verify -d '{"cms":"@@@@"}'
json_eq "bad base64: error" "$TMP/out" "d['error']" 'field "cms" is not valid base64: invalid base64 character at offset 0'
req "base64 with a bad length" 400 POST /cms/verify -d '{"cms":"aGVsb"}'
req "base64 with bad padding" 400 POST /cms/verify -d '{"cms":"aGVs=bG8="}'
req "missing cms" 400 POST /cms/verify -d '{"data":"aGVsbG8="}'
json_eq "missing cms: error" "$TMP/out" "d['error']" 'missing field "cms"'
req "cms not a string" 400 POST /cms/verify -d '{"cms":5}'
req "bad data base64" 400 POST /cms/verify -d '{"cms":"aGVsbG8=","data":"%%"}'
# Base64 as clients send it. NCALayer: standard padded base64 with CRLF every 76 characters
# (Java's MIME encoder); JSON carries the line breaks as \r\n. Unpadded base64 (Java's basic
# decoder accepts it) is accepted too; anything else is a 400 that says what is wrong.
nca_json() { # nca_json FIELD FILE [SED-EXPR]: {"FIELD": FILE as NCALayer wraps it}
    python3 - "$@" <<'EOF'
import base64, json, re, sys
b = base64.encodebytes(open(sys.argv[2], 'rb').read()).decode().replace('\n', '\r\n')
if len(sys.argv) > 3:
    b = b[:200] + sys.argv[3] + b[201:]
print(json.dumps({sys.argv[1]: b}))
EOF
}
nca_json cms "$TMP/attached.cms" >"$TMP/v-nca.json"
grep -q '\\r\\n' "$TMP/v-nca.json" && [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cms"].index("\r\n"))' "$TMP/v-nca.json")" = 76 ] &&
    ok "NCALayer form: CRLF after 76 characters" || fail "NCALayer form not built"
req "cms attached, NCALayer's CRLF-wrapped base64" 200 POST /cms/verify "${JSON[@]}" --data-binary @"$TMP/v-nca.json"
json_eq "CRLF-wrapped cms: valid" "$TMP/out" "(d['valid'], d['indication'])" "(True, 'TOTAL_PASSED')"
nca_json cms "$TMP/attached.cms" '!' >"$TMP/v-nca-bad.json"
req "CRLF-wrapped cms with a bad character" 400 POST /cms/verify "${JSON[@]}" --data-binary @"$TMP/v-nca-bad.json"
json_eq "bad character: its offset" "$TMP/out" "d['error']" 'field "cms" is not valid base64: invalid base64 character at offset 200'
req "unpadded base64" 200 POST /cms/verify -d '{"cms":"aGVsbG8"}'
json_eq "unpadded base64 decoded (hello is not a CMS)" "$TMP/out" "d['subIndication']" FORMAT_FAILURE
req "unpadded non-canonical base64" 400 POST /cms/verify -d '{"cms":"aGVsbG9"}'
json_eq "non-canonical: error" "$TMP/out" "d['error']" 'field "cms" is not valid base64: non-canonical base64: unused bits of the last group are set'
req "incomplete padding" 400 POST /cms/verify -d '{"cms":"aGVsbA="}'
json_eq "incomplete padding: error" "$TMP/out" "'padding does not complete' in d['error']" True
req "base64url alphabet" 400 POST /cms/verify -d '{"cms":"aGV-bG8_"}'
json_eq "base64url: error" "$TMP/out" "d['error']" 'field "cms" is not valid base64: invalid base64 character at offset 3'
req "bad at" 400 POST /cms/verify -d '{"cms":"aGVsbG8=","at":"yesterday"}'
req "duplicate keys" 400 POST /cms/verify -d '{"cms":"aGVsbG8=","cms":"aGVsbG8="}'
head -c $((32 * 1024 * 1024 + 1)) /dev/zero >"$TMP/big"
req "body over 32 MiB" 413 POST /cms/verify --data-binary @"$TMP/big"
json_eq "413: error" "$TMP/out" "'over the limit' in d['error']" True
req "chunked body over 32 MiB" 413 POST /cms/verify -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/big"
rm -f "$TMP/big"
req "unknown path" 404 GET /nope
req "unknown submission path" 404 GET /submissions/12/nope "${AUTH[@]}"
req "non-numeric id" 404 GET /submissions/abc "${AUTH[@]}"
req "GET on a POST endpoint" 405 GET /cms/verify
grep -qi '^allow: POST' <(curl -s -i "$BASE/cms/verify") && ok "405 says Allow: POST" || fail "405 Allow header"
req "DELETE on submissions" 405 DELETE /submissions "${AUTH[@]}"
req "PUT on health" 405 PUT /health

# ---- POST /xml/verify ----
printf '<challenge><nonce>SECRET-CONTENT-MARKER</nonce></challenge>\n' >"$TMP/challenge.xml"
"$QTB" sign --xml --p12 "$PKI/p12/rsa_individual_auth.p12" --password-file "$PKI/password.txt" \
    --out "$TMP/signed.xml" "$TMP/challenge.xml" >/dev/null
printf '{"xml":"%s"}' "$(b64 "$TMP/signed.xml")" >"$TMP/x-ok.json"
req "xml" 200 POST /xml/verify "${JSON[@]}" --data-binary @"$TMP/x-ok.json"
json_eq "xml: valid" "$TMP/out" "(d['valid'], d['indication'])" "(True, 'TOTAL_PASSED')"
sed 's/SECRET-CONTENT-MARKER/SECRET-CONTENT-MARKEX/' "$TMP/signed.xml" >"$TMP/tampered.xml"
printf '{"xml":"%s"}' "$(b64 "$TMP/tampered.xml")" >"$TMP/x-bad.json"
req "xml tampered" 200 POST /xml/verify "${JSON[@]}" --data-binary @"$TMP/x-bad.json"
json_eq "xml tampered: not valid" "$TMP/out" "d['valid']" False
req "xml missing field" 400 POST /xml/verify -d '{"cms":"aGVsbG8="}'

# ---- POST /x509/info ----
openssl x509 -in "$PKI/certs/rsa_ceo_sign.pem" -outform DER -out "$TMP/ceo.der"
printf '{"certs":["%s","%s"]}' "$(b64 "$TMP/ceo.der")" "$(b64 "$PKI/certs/rsa_individual_sign.pem")" >"$TMP/c.json"
req "x509 info" 200 POST /x509/info "${JSON[@]}" --data-binary @"$TMP/c.json"
json_eq "x509: two certificates, CEO's IIN" "$TMP/out" "(len(d['certs']), '751102300459' in json.dumps(d['certs'][0]))" "(2, True)"
req "x509: not a certificate" 422 POST /x509/info -d '{"certs":["aGVsbG8="]}'
req "x509: empty list" 400 POST /x509/info -d '{"certs":[]}'
req "x509: missing certs" 400 POST /x509/info -d '{}'
req "x509: bad base64" 400 POST /x509/info -d '{"certs":["**"]}'
json_eq "x509: bad base64 names the entry" "$TMP/out" "d['error']" 'certs[0] is not valid base64: invalid base64 character at offset 0'
req "x509: not a string" 400 POST /x509/info -d '{"certs":[5]}'
json_eq "x509: not a string: error" "$TMP/out" "d['error']" 'certs[0] must be a base64 string'
python3 -c 'import base64, json, sys; print(json.dumps({"certs": [base64.encodebytes(open(sys.argv[1], "rb").read()).decode().replace("\n", "\r\n")]}))' "$TMP/ceo.der" >"$TMP/c-nca.json"
req "x509: NCALayer's CRLF-wrapped certificate" 200 POST /x509/info "${JSON[@]}" --data-binary @"$TMP/c-nca.json"
json_eq "x509 CRLF-wrapped: CEO's IIN" "$TMP/out" "'751102300459' in json.dumps(d['certs'][0])" True

# ---- POST /pkcs12/info ----
PW=$(head -n1 "$PKI/password.txt")
printf '{"p12":"%s","password":"%s"}' "$(b64 "$PKI/p12/rsa_ceo_sign.p12")" "$PW" >"$TMP/p-ok.json"
req "pkcs12 info" 200 POST /pkcs12/info "${JSON[@]}" --data-binary @"$TMP/p-ok.json"
json_eq "pkcs12: CEO's IIN" "$TMP/out" "'751102300459' in json.dumps(d)" True
printf '{"p12":"%s","password":"WrongPassword-77"}' "$(b64 "$PKI/p12/rsa_ceo_sign.p12")" >"$TMP/p-bad.json"
req "pkcs12 wrong password" 422 POST /pkcs12/info "${JSON[@]}" --data-binary @"$TMP/p-bad.json"
req "pkcs12 missing password" 400 POST /pkcs12/info -d "{\"p12\":\"$(b64 "$PKI/p12/rsa_ceo_sign.p12")\"}"
req "pkcs12 missing p12" 400 POST /pkcs12/info -d '{"password":"x"}'

# ---- POST /questionnaire ----
APPS=$QTB_SOURCE_DIR/fixtures/applicants
req "questionnaire" 200 POST /questionnaire -H 'Content-Type: application/xml' --data-binary @"$APPS/np-kurmangaliyeva-pki-kk.xml"
[ "$(head -c 5 "$TMP/out")" = "%PDF-" ] && ok "questionnaire is a PDF" || fail "questionnaire is not a PDF"
"$QTB" questionnaire --allow-findings --today "$(date -u +%Y-%m-%d)" --out "$TMP/cli.pdf" "$APPS/np-kurmangaliyeva-pki-kk.xml" >/dev/null 2>&1
cmp -s "$TMP/out" "$TMP/cli.pdf" && ok "questionnaire: the same bytes as the CLI" || fail "questionnaire differs from the CLI's"
req "questionnaire with a bad IIN" 422 POST /questionnaire --data-binary @"$APPS/np-bad-iin-kk.xml"
json_eq "questionnaire 422: findings" "$TMP/out" "len(json.dumps(d['findings'])) > 2" True
req "questionnaire: not XML" 422 POST /questionnaire --data-binary 'not xml'

# ---- tokens ----
req "submissions without a token" 401 GET /submissions
req "submissions with a wrong token" 401 GET /submissions -H "Authorization: Bearer alice-0123456789abcdeX"
req "submissions with a token prefix" 401 GET /submissions -H "Authorization: Bearer alice-0123"
req "submissions with basic auth" 401 GET /submissions -u "alice:$TOKEN"
req "approve without a token" 401 POST /submissions/1/approve

# ---- POST /submissions and the review flow ----
make_submission "$TMP/s/person-ok" np-kurmangaliyeva-pki-kk.xml rsa_individual_sign
make_submission "$TMP/s/ceo-ok" le-koltanba-test-pki-ru.xml rsa_ceo_sign
make_submission "$TMP/s/wrong-person" np-kurmangaliyeva-pki-kk.xml rsa_ceo_sign
for k in person-ok ceo-ok wrong-person; do submission_json "$k" "$TMP/s/$k" >"$TMP/$k.json"; done
req "submit person-ok" 201 POST /submissions "${AUTH[@]}" "${JSON[@]}" --data-binary @"$TMP/person-ok.json"
json_eq "person-ok: PENDING" "$TMP/out" "(d['status'], d['outcome'], d['duplicate'])" "('PENDING', 'ACCEPTED', False)"
ID_P=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/out")
req "submit person-ok again" 200 POST /submissions "${AUTH[@]}" "${JSON[@]}" --data-binary @"$TMP/person-ok.json"
json_eq "same content: the same id, duplicate" "$TMP/out" "(d['id'], d['duplicate'])" "($ID_P, True)"
req "submit ceo-ok" 201 POST /submissions -H "Authorization: Bearer bob-fedcba9876543210" "${JSON[@]}" --data-binary @"$TMP/ceo-ok.json"
ID_C=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/out")
# The same files as NCALayer would wrap them (CRLF every 76): the same bytes, so the same version.
python3 - "$TMP/ceo-ok.json" >"$TMP/ceo-ok-crlf.json" <<'EOF'
import base64, json, sys
d = json.load(open(sys.argv[1]))
d['files'] = {n: base64.encodebytes(base64.b64decode(v)).decode().replace('\n', '\r\n')
              for n, v in d['files'].items()}
print(json.dumps(d))
EOF
req "submit ceo-ok with CRLF-wrapped files" 200 POST /submissions -H "Authorization: Bearer bob-fedcba9876543210" "${JSON[@]}" --data-binary @"$TMP/ceo-ok-crlf.json"
json_eq "CRLF-wrapped files: the same content, duplicate" "$TMP/out" "(d['id'], d['duplicate'])" "($ID_C, True)"
req "submit wrong-person" 201 POST /submissions "${AUTH[@]}" "${JSON[@]}" --data-binary @"$TMP/wrong-person.json"
json_eq "wrong-person: REJECTED, IIN mismatch" "$TMP/out" "(d['status'], d['reason'].split(':')[0])" "('REJECTED', 'SIGNER_IIN_MISMATCH')"
req "submit: missing key" 400 POST /submissions "${AUTH[@]}" -d '{"files":{"applicant.xml":"aGVsbG8="}}'
req "submit: bad key" 400 POST /submissions "${AUTH[@]}" -d '{"key":"../x","files":{"applicant.xml":"aGVsbG8="}}'
req "submit: missing files" 400 POST /submissions "${AUTH[@]}" -d '{"key":"k"}'
req "submit: file name escaping" 400 POST /submissions "${AUTH[@]}" -d '{"key":"k","files":{"../applicant.xml":"aGVsbG8="}}'
req "submit: bad base64" 400 POST /submissions "${AUTH[@]}" -d '{"key":"k","files":{"applicant.xml":"!"}}'
json_eq "submit: bad base64 names the file" "$TMP/out" "d['error']" 'files["applicant.xml"] is not valid base64: invalid base64 character at offset 0'
# a 101-byte Kazakh file name: its label is cut at 100 bytes, inside a letter, yet the answer
# is still JSON naming the file (it used to come back without a body)
LONG=$(python3 -c "print('x' + 'қ' * 50)")
req "submit: bad base64 in a long Kazakh name" 400 POST /submissions "${AUTH[@]}" \
    -d "{\"key\":\"k\",\"files\":{\"$LONG\":\"!\"}}"
json_eq "long name: the label is whole letters" "$TMP/out" "d['error'].split('\"')[1]" "$(python3 -c "print('x' + 'қ' * 49)")"
req "submit: bad JSON" 400 POST /submissions "${AUTH[@]}" -d '{"key":'

req "list PENDING" 200 GET "/submissions?status=PENDING" "${AUTH[@]}"
json_eq "list PENDING: the two accepted" "$TMP/out" "sorted(s['key'] for s in d)" "['ceo-ok', 'person-ok']"
req "list all" 200 GET /submissions "${AUTH[@]}"
json_eq "list all: three" "$TMP/out" "len(d)" 3
req "list: unknown status" 400 GET "/submissions?status=NOPE" "${AUTH[@]}"
req "show ceo-ok" 200 GET "/submissions/$ID_C" "${AUTH[@]}"
json_eq "show: signer IIN and BIN" "$TMP/out" \
    "(d['validations'][0]['signatures'][0]['signer_iin'], d['validations'][0]['signatures'][0]['signer_bin'])" \
    "('751102300459', '040540000123')"
req "show: no such id" 404 GET /submissions/999999 "${AUTH[@]}"
req "questionnaire.pdf" 200 GET "/submissions/$ID_P/questionnaire.pdf" "${AUTH[@]}"
cmp -s "$TMP/out" "$TMP/s/person-ok.pdf" && ok "stored PDF is the signed questionnaire" || fail "stored PDF differs"
req "questionnaire.pdf: no such id" 404 GET /submissions/999999/questionnaire.pdf "${AUTH[@]}"
req "return without a remark" 400 POST "/submissions/$ID_P/return" "${AUTH[@]}" -d '{}'
req "return with a non-string remark" 400 POST "/submissions/$ID_P/return" "${AUTH[@]}" -d '{"remark":3}'
req "return" 200 POST "/submissions/$ID_P/return" "${AUTH[@]}" -d '{"remark":"the passport scan is missing"}'
json_eq "return: RETURNED by alice" "$TMP/out" "(d['status'], d['reviewer'])" "('RETURNED', 'alice')"
req "approve a returned submission" 409 POST "/submissions/$ID_P/approve" "${AUTH[@]}"
req "approve" 200 POST "/submissions/$ID_C/approve" -H "Authorization: Bearer bob-fedcba9876543210"
req "approve: no such id" 404 POST /submissions/999999/approve "${AUTH[@]}"

# Concurrent submissions (the store connection is shared under a lock): all recorded, once.
pids=()
for i in 1 2 3 4 5 6 7 8; do
    sed "s/\"key\": \"person-ok\"/\"key\": \"par-$i\"/" "$TMP/person-ok.json" >"$TMP/par-$i.json"
    curl -s -o /dev/null -w '%{http_code}\n' "${AUTH[@]}" --data-binary @"$TMP/par-$i.json" "$BASE/submissions" >"$TMP/par-$i.code" &
    pids+=($!)
done
wait "${pids[@]}" # (not a bare wait: the server is a background job too)
[ "$(cat "$TMP"/par-*.code | sort | uniq -c | tr -s ' ')" = " 8 201" ] && ok "8 concurrent submissions: 201 each" || fail "concurrent: $(cat "$TMP"/par-*.code | tr '\n' ' ')"
req "list after concurrent submissions" 200 GET "/submissions?status=PENDING" "${AUTH[@]}"
json_eq "concurrent submissions all PENDING" "$TMP/out" "len([s for s in d if s['key'].startswith('par-')])" 8

# ---- metrics ----
req "metrics" 200 GET /metrics
grep -q '^qoltanba_http_requests_total{route="/cms/verify",code="200"} [1-9]' "$TMP/out" && ok "metrics count verifications" || fail "metrics: $(head -c 300 "$TMP/out")"
grep -q '^qoltanba_http_request_duration_seconds_bucket{route="/cms/verify",le="+Inf"} [1-9]' "$TMP/out" && ok "metrics latency histogram" || fail "metrics histogram"

# ---- a second server requiring tokens for verification ----
SAVE_PID=$SRV_PID SAVE_BASE=$BASE
serve_start "$TMP/serve2.log" --db "$TMP/other.db" --token-file "$TMP/tokens" --auth-verify || fail "second server"
req "--auth-verify: no token" 401 POST /cms/verify -d '{"cms":"aGVsbG8="}'
req "--auth-verify: token" 200 POST /cms/verify "${AUTH[@]}" -d '{"cms":"aGVsbG8="}'
serve_stop
# ... and one holding at most 1 MiB of request bodies at once (all connections together)
serve_start "$TMP/serve3.log" --db "$TMP/other.db" --max-body-memory 1 || fail "third server"
head -c $((2 * 1024 * 1024)) /dev/zero >"$TMP/2mib"
req "bodies over --max-body-memory: 503" 503 POST /cms/verify --data-binary @"$TMP/2mib"
json_eq "503: error says retry" "$TMP/out" "'retry later' in d['error']" True
head -c $((300 * 1024)) /dev/urandom >"$TMP/300k"
printf '{"cms":"aGVsbG8=","data":"%s"}' "$(b64 "$TMP/300k")" >"$TMP/400k.json"
req "after a 503 the budget is free again: 400 KB body verified" 200 POST /cms/verify --data-binary @"$TMP/400k.json"
json_eq "400 KB body: a verdict" "$TMP/out" "d['subIndication']" FORMAT_FAILURE
expect_rc "--max-body-memory 0 refused" 2 "$QTB" serve --max-body-memory 0
serve_stop
SRV_PID=$SAVE_PID BASE=$SAVE_BASE

# ---- graceful SIGTERM with a request in flight ----
head -c 300000 /dev/urandom >"$TMP/slow.bin"
openssl cms -sign -binary -md sha256 -in "$TMP/slow.bin" -signer "$PKI/certs/rsa_individual_sign.pem" \
    -inkey "$PKI/keys/rsa_individual_sign.key.pem" -outform DER -out "$TMP/slow.cms"
printf '{"cms":"%s","data":"%s"}' "$(b64 "$TMP/slow.cms")" "$(b64 "$TMP/slow.bin")" >"$TMP/slow.json"
curl -s -o "$TMP/slow.out" -w '%{http_code}' --limit-rate 100k -X POST "$BASE/cms/verify" \
    --data-binary @"$TMP/slow.json" >"$TMP/slow.code" &
CURL_PID=$!
inflight=0
for i in $(seq 1 200); do # until the slow upload is in flight (this poll is the other one)
    inflight=$(curl -s "$BASE/metrics" | sed -n 's/^qoltanba_http_requests_in_flight //p')
    [ "${inflight:-0}" -ge 2 ] && break
    sleep 0.05
done
[ "${inflight:-0}" -ge 2 ] && ok "a slow upload is in flight" || fail "the slow upload never started"
kill -TERM "$SRV_PID"
src=0
wait "$SRV_PID" || src=$?
SRV_PID=
wait "$CURL_PID" || true
[ "$src" = 0 ] && ok "SIGTERM: server exits 0" || fail "SIGTERM: server exit $src"
[ "$(cat "$TMP/slow.code")" = 200 ] && ok "SIGTERM: the request in flight completed" || fail "in-flight request: HTTP $(cat "$TMP/slow.code")"
json_eq "SIGTERM: its verdict" "$TMP/slow.out" "d['valid']" True
grep -q 'stopped' "$LOG" && ok "SIGTERM: server logged its stop" || fail "no stop line"
curl -s -o /dev/null "$BASE/health" && fail "the server still answers after SIGTERM" || ok "the server no longer listens"

# ---- the store afterwards ----
sq() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchall())' "$DB" "$1"; }
[ "$(sq "SELECT submission_key, status FROM submissions ORDER BY submission_key")" = \
  "[('ceo-ok', 'APPROVED'), ('par-1', 'PENDING'), ('par-2', 'PENDING'), ('par-3', 'PENDING'), ('par-4', 'PENDING'), ('par-5', 'PENDING'), ('par-6', 'PENDING'), ('par-7', 'PENDING'), ('par-8', 'PENDING'), ('person-ok', 'RETURNED'), ('wrong-person', 'REJECTED')]" ] &&
    ok "store: statuses" || fail "store statuses: $(sq "SELECT submission_key, status FROM submissions")"
[ "$(sq "SELECT to_status, reviewer, remark FROM reviews WHERE to_status IN ('APPROVED','RETURNED') ORDER BY id")" = \
  "[('RETURNED', 'alice', 'the passport scan is missing'), ('APPROVED', 'bob', None)]" ] &&
    ok "store: review rows with reviewers" || fail "store reviews: $(sq "SELECT * FROM reviews")"
[ "$(sq "SELECT count(*) FROM evidence WHERE kind = 'CRL'")" != "[(0,)]" ] && ok "store: CRL evidence" || fail "no CRL evidence"
expect_rc "store: audit chain intact" 0 "$QTB" audit verify --db "$DB"

# ---- the log: every request, never a password or document content ----
n_log=$(grep -c ' /[a-z0-9/._]* [0-9][0-9][0-9] [0-9.]*ms' "$LOG")
[ "$n_log" -ge 70 ] && ok "log: one line per request ($n_log)" || fail "log lines: $n_log"
grep -q 'POST /pkcs12/info 422' "$LOG" && ok "log: method, path, status" || fail "log format"
if grep -q -e "$PW" -e WrongPassword -e SECRET-CONTENT -e "$TOKEN" -e "$(head -c 40 "$TMP/v-ok.json" | tail -c 30)" "$LOG"; then
    fail "log holds a password, token or document content"
else
    ok "log: no password, token or document content"
fi
finish
