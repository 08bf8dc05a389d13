#!/usr/bin/env bash
# Online revocation against real local services on 127.0.0.1: OpenSSL's own OCSP responder
# (`openssl ocsp -index ... -port N`) for the generated PKI, and revhttp.py replaying fixed OCSP
# answers (nonce replay, tampered signature) and answering slowly. Every case has its twin.
. "$(dirname "$0")/lib.sh"

P="$FIX/pki"
[ -f "$P/ocsp/index.txt" ] || { fail "no generated PKI at $P"; finish; }
command -v openssl >/dev/null || { skip "openssl CLI not found"; finish; }
HERE=$(cd "$(dirname "$0")" && pwd)

PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_ocsp VAR INDEX SIGNER KEY [ARGS...]: an `openssl ocsp` responder for the RSA CA; its
# port goes to VAR. Ready when it says it is waiting (a bare TCP probe would block it: it serves
# one connection at a time). Bounded wait.
start_ocsp() {
    local var=$1 index=$2 signer=$3 key=$4
    shift 4
    local port log
    port=$(free_port)
    log="$TMP/ocsp-$port.log"
    openssl ocsp -index "$index" -CA "$P/rsa/ca.pem" -rsigner "$signer" -rkey "$key" \
        -port "$port" "$@" >"$log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 100); do
        grep -q "waiting for OCSP client connections" "$log" 2>/dev/null && break
        sleep 0.1
    done
    grep -q "waiting for OCSP client connections" "$log" || fail "OCSP responder did not start: $(cat "$log")"
    printf -v "$var" '%s' "$port"
}

start_http() { # start_http VAR DIR
    local pf="$TMP/http-$RANDOM.port"
    python3 "$HERE/revhttp.py" "$2" "$pf" &
    PIDS+=($!)
    for _ in $(seq 100); do
        [ -s "$pf" ] && break
        sleep 0.1
    done
    [ -s "$pf" ] || fail "revhttp.py did not start"
    printf -v "$1" '%s' "$(cat "$pf")"
}

# ---- the PKI: anchors without CRLs, so OCSP alone decides --------------------------------------
T="$TMP/trust"
mkdir -p "$T"
cp "$P/trust/rsa/root.pem" "$P/trust/rsa/ca.pem" "$T/"
# an index that has never heard of rsa_ceo_sign: the responder answers "unknown" for it
ceo_serial=$(openssl x509 -noout -serial -in "$P/certs/rsa_ceo_sign.pem" | cut -d= -f2)
grep -v -i "	$ceo_serial	" "$P/ocsp/index.txt" >"$TMP/index.txt"
cp "$P/ocsp/index.txt.attr" "$TMP/index.txt.attr"

printf 'анкета' >"$TMP/doc.txt"
for k in rsa_individual_sign rsa_revoked rsa_ceo_sign; do
    expect_rc "sign with $k" 0 "$QTB" sign --p12 "$P/p12/$k.p12" --password-file "$P/password.txt" \
        --out "$TMP/$k.p7s" "$TMP/doc.txt"
done

start_ocsp PORT "$TMP/index.txt" "$P/ocsp/ocsp.pem" "$P/ocsp/ocsp.key.pem" -nmin 60
URL="http://127.0.0.1:$PORT/"

v() { # v NAME WANT_RC ARGS... (JSON in $TMP/v.json)
    local name=$1 want=$2
    shift 2
    expect_rc "$name" "$want" "$QTB" verify --json "$@"
    cp "$TMP/out" "$TMP/v.json"
}
sub() { json_eq "$1" "$TMP/v.json" "d['signatures'][0]['subIndication']" "$2"; }
has() { json_eq "$1" "$TMP/v.json" "'$2' in (d['signatures'][0]['message'] + str(d['signatures'][0].get('pathValidation')))" True; }

# good / revoked / unknown
v "good: passes" 0 --trust "$T" --revocation ocsp --ocsp-url "$URL" "$TMP/rsa_individual_sign.p7s"
has "good: OCSP named as the evidence" "OCSP good"
json_eq "good: one OCSP response recorded" "$TMP/v.json" \
    "[e['type'] for e in d['signatures'][0]['revocationEvidence']]" "['ocsp']"
python3 -c "import json,sys,base64; d=json.load(open(sys.argv[1])); open(sys.argv[2],'wb').write(base64.b64decode(d['signatures'][0]['revocationEvidence'][0]['response']))" \
    "$TMP/v.json" "$TMP/evidence.der"
openssl ocsp -respin "$TMP/evidence.der" -resp_text -noverify 2>/dev/null | grep -q "Cert Status: good" &&
    ok "good: the recorded response is the responder's (openssl reads 'good')" ||
    fail "good: recorded response unreadable"
v "revoked: fails" 1 --trust "$T" --revocation ocsp --ocsp-url "$URL" "$TMP/rsa_revoked.p7s"
sub "revoked: REVOKED" REVOKED
has "revoked: reason given" "keyCompromise"
v "revoked, no revocation sources: passes (twin)" 0 --trust "$T" "$TMP/rsa_revoked.p7s"
json_eq "no revocation sources: no evidence recorded" "$TMP/v.json" \
    "d['signatures'][0]['revocationEvidence']" "[]"
# XML signatures report the same path result and evidence as CMS
printf '<anketa><iin>900315400126</iin></anketa>' >"$TMP/doc.xml"
for k in rsa_individual_sign rsa_revoked; do
    expect_rc "sign XML with $k" 0 "$QTB" sign --xml --p12 "$P/p12/$k.p12" \
        --password-file "$P/password.txt" --out "$TMP/$k.sig.xml" "$TMP/doc.xml"
done
v "XML good: passes" 0 --trust "$T" --revocation ocsp --ocsp-url "$URL" "$TMP/rsa_individual_sign.sig.xml"
has "XML good: OCSP named in pathValidation" "OCSP good"
python3 -c "import json,sys,base64; d=json.load(open(sys.argv[1])); open(sys.argv[2],'wb').write(base64.b64decode(d['signatures'][0]['revocationEvidence'][0]['response']))" \
    "$TMP/v.json" "$TMP/xml-evidence.der"
openssl ocsp -respin "$TMP/xml-evidence.der" -resp_text -noverify 2>/dev/null | grep -q "Cert Status: good" &&
    ok "XML good: the recorded OCSP response is the responder's" ||
    fail "XML good: no readable OCSP response recorded"
v "XML revoked: fails" 1 --trust "$T" --revocation ocsp --ocsp-url "$URL" "$TMP/rsa_revoked.sig.xml"
sub "XML revoked: REVOKED" REVOKED
json_eq "XML revoked: the OCSP answer is the evidence" "$TMP/v.json" \
    "[e['type'] for e in d['signatures'][0]['revocationEvidence']]" "['ocsp']"
v "XML, --no-chain: not validated" 3 --no-chain "$TMP/rsa_individual_sign.sig.xml"
json_eq "XML, --no-chain: pathValidation null, no evidence" "$TMP/v.json" \
    "(d['signatures'][0]['pathValidation'], d['signatures'][0]['revocationEvidence'])" "(None, [])"
v "unknown: indeterminate" 3 --trust "$T" --revocation ocsp --ocsp-url "$URL" "$TMP/rsa_ceo_sign.p7s"
sub "unknown: TRY_LATER" TRY_LATER
has "unknown: said" "OCSP unknown"

# stale: the responder's nextUpdate is an hour ahead; validating two hours later is too late
later=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)
v "stale response: indeterminate" 3 --trust "$T" --revocation ocsp --ocsp-url "$URL" --at "$later" \
    "$TMP/rsa_individual_sign.p7s"
has "stale response: said" "stale OCSP response"

# responder down: never good, never revoked
DOWN="http://127.0.0.1:$(free_port)/"
v "responder down, good cert: indeterminate" 3 --trust "$T" --revocation ocsp --ocsp-url "$DOWN" \
    "$TMP/rsa_individual_sign.p7s"
sub "responder down: TRY_LATER" TRY_LATER
v "responder down, revoked cert: indeterminate, not revoked" 3 --trust "$T" --revocation ocsp \
    --ocsp-url "$DOWN" "$TMP/rsa_revoked.p7s"
# ... and the CRL source behind it decides (the trust folder with the CA's CRL)
v "responder down, then CRL: good" 0 --trust "$P/trust/rsa" --revocation ocsp,crl \
    --ocsp-url "$DOWN" --net-timeout 2000 "$TMP/rsa_individual_sign.p7s"
has "responder down, then CRL: CRL named" "CRL of"
v "responder down, then CRL: revoked" 1 --trust "$P/trust/rsa" --revocation ocsp,crl \
    --ocsp-url "$DOWN" "$TMP/rsa_revoked.p7s"
v "responder down, then a stale CRL: indeterminate" 3 --trust "$P/trust/rsa-stale" \
    --revocation ocsp,crl --ocsp-url "$DOWN" "$TMP/rsa_individual_sign.p7s"
# crl first: OCSP is not asked when the CRL decides
v "crl,ocsp with the CRL deciding: good without the responder" 0 --trust "$P/trust/rsa" \
    --revocation crl,ocsp --ocsp-url "$DOWN" "$TMP/rsa_individual_sign.p7s"
has "crl,ocsp: the CRL decided" "CRL of"

# offline: OCSP skipped and said so; the CRLs of the trust folder still work
v "offline, OCSP only: not checked, said" 0 --trust "$T" --revocation ocsp --ocsp-url "$URL" \
    --offline "$TMP/rsa_revoked.p7s"
has "offline: said" "offline"
v "offline with a CRL: revoked" 1 --trust "$P/trust/rsa" --revocation ocsp,crl --ocsp-url "$URL" \
    --offline "$TMP/rsa_revoked.p7s"

# a responder signing with a key the CA never authorised (another hierarchy's CA)
start_ocsp WPORT "$TMP/index.txt" "$P/untrusted/ca.pem" "$P/untrusted/ca.key.pem"
v "wrong responder key: indeterminate" 3 --trust "$T" --revocation ocsp \
    --ocsp-url "http://127.0.0.1:$WPORT/" "$TMP/rsa_individual_sign.p7s"
has "wrong responder key: not authorised" "not authorised"
v "wrong responder key, revoked cert: not REVOKED" 3 --trust "$T" --revocation ocsp \
    --ocsp-url "http://127.0.0.1:$WPORT/" "$TMP/rsa_revoked.p7s"
# a leaf of the CA (no id-kp-OCSPSigning) as responder
start_ocsp LPORT "$TMP/index.txt" "$P/certs/rsa_individual_auth.pem" \
    "$P/keys/rsa_individual_auth.key.pem"
v "responder without OCSPSigning: indeterminate" 3 --trust "$T" --revocation ocsp \
    --ocsp-url "http://127.0.0.1:$LPORT/" "$TMP/rsa_individual_sign.p7s"
has "responder without OCSPSigning: said" "OCSPSigning"

# replayed and tampered answers, served by revhttp.py
R="$TMP/replay"
mkdir -p "$R"
openssl ocsp -issuer "$P/rsa/ca.pem" -cert "$P/certs/rsa_individual_sign.pem" -url "$URL" \
    -respout "$R/nonce.der" -noverify >/dev/null 2>&1 || fail "openssl ocsp client (nonce)"
openssl ocsp -issuer "$P/rsa/ca.pem" -cert "$P/certs/rsa_individual_sign.pem" -url "$URL" \
    -no_nonce -respout "$R/nononce.der" -noverify >/dev/null 2>&1 || fail "openssl ocsp client"
# flip a byte of the signature value: it ends just before [0] { SEQUENCE OF { responder cert } }
python3 - "$R/nononce.der" "$R/tampered.der" "$P/ocsp/ocsp.pem" <<'EOF'
import base64, sys
d = bytearray(open(sys.argv[1], "rb").read())
pem = open(sys.argv[3]).read().split("-----")[2]
cert = base64.b64decode("".join(pem.split()))
i = bytes(d).find(cert)
assert i > 8, "responder certificate not found in the response"
d[i - 8 - 16] ^= 1
open(sys.argv[2], "wb").write(d)
EOF
start_http HPORT "$R"
H="http://127.0.0.1:$HPORT"
v "replayed answer (other nonce): indeterminate" 3 --trust "$T" --revocation ocsp \
    --ocsp-url "$H/nonce.der" "$TMP/rsa_individual_sign.p7s"
has "replayed answer: nonce named" "nonce"
v "fixed answer without nonce: accepted on freshness (twin)" 0 --trust "$T" --revocation ocsp \
    --ocsp-url "$H/nononce.der" "$TMP/rsa_individual_sign.p7s"
has "fixed answer without nonce: said" "no nonce echoed"
v "fixed answer for another certificate: indeterminate" 3 --trust "$T" --revocation ocsp \
    --ocsp-url "$H/nononce.der" "$TMP/rsa_ceo_sign.p7s"
v "tampered answer: indeterminate" 3 --trust "$T" --revocation ocsp \
    --ocsp-url "$H/tampered.der" "$TMP/rsa_individual_sign.p7s"
has "tampered answer: signature named" "signature does not verify"
v "responder answers 404: indeterminate" 3 --trust "$T" --revocation ocsp \
    --ocsp-url "$H/missing.der" "$TMP/rsa_individual_sign.p7s"
has "404: HTTP status named" "HTTP status 404"
# an answer over the size limit (1 MiB) and a redirect to another scheme: not followed
head -c 2000000 /dev/zero >"$R/big.der"
v "oversized answer: indeterminate" 3 --trust "$T" --revocation ocsp --ocsp-url "$H/big.der" \
    "$TMP/rsa_individual_sign.p7s"
has "oversized answer: said" "larger than"
v "redirect to file://: not followed" 3 --trust "$T" --revocation ocsp \
    --ocsp-url "$H/redirect/etc/passwd" "$TMP/rsa_individual_sign.p7s"
has "redirect: status named" "HTTP status 302"
# slow: gives up after the timeout (the answer would be good)
v "slow responder: indeterminate after the timeout" 3 --trust "$T" \
    --revocation ocsp --ocsp-url "$H/slow/nononce.der" --net-timeout 500 \
    "$TMP/rsa_individual_sign.p7s"
has "slow responder: timeout said" "timed out"

# replay: the response recorded in a report verifies again offline, without any responder
v "replay the recorded good response offline" 0 --trust "$T" --revocation ocsp --offline \
    --ocsp-response "$TMP/evidence.der" "$TMP/rsa_individual_sign.p7s"
has "replay: the recorded response decided" "recorded response 1"
v "revoked, for the record" 1 --trust "$T" --revocation ocsp --ocsp-url "$URL" \
    "$TMP/rsa_revoked.p7s"
python3 -c "import json,sys,base64; d=json.load(open(sys.argv[1])); open(sys.argv[2],'wb').write(base64.b64decode(d['signatures'][0]['revocationEvidence'][0]['response']))" \
    "$TMP/v.json" "$TMP/revoked-evidence.der"
v "replay the recorded revoked response offline" 1 --trust "$T" --revocation ocsp --offline \
    --ocsp-response "$TMP/revoked-evidence.der" "$TMP/rsa_revoked.p7s"
sub "replay revoked: REVOKED" REVOKED
v "a recorded response about another certificate is not used" 3 --trust "$T" --revocation ocsp \
    --ocsp-url "$DOWN" --ocsp-response "$TMP/evidence.der" "$TMP/rsa_ceo_sign.p7s"
python3 -c "import sys; d=bytearray(open(sys.argv[1],'rb').read()); d[len(d)//3]^=1; open(sys.argv[2],'wb').write(d)" \
    "$TMP/evidence.der" "$TMP/evidence-tampered.der"
v "a tampered recorded response is not used" 3 --trust "$T" --revocation ocsp \
    --ocsp-url "$DOWN" --ocsp-response "$TMP/evidence-tampered.der" "$TMP/rsa_individual_sign.p7s"

# usage errors
expect_rc "unknown source: usage error" 2 "$QTB" verify --trust "$T" --revocation ocsp,ldap \
    "$TMP/rsa_individual_sign.p7s"
expect_rc "ftp OCSP URL: usage error" 2 "$QTB" verify --trust "$T" --ocsp-url ftp://x/ \
    "$TMP/rsa_individual_sign.p7s"

finish
