#!/usr/bin/env bash
# CRLs downloaded from a local HTTP server (revhttp.py on 127.0.0.1): good and revoked from a
# fresh CRL, the cache folder and conditional requests (304), a changed CRL, and downloads that
# must not replace the last good copy (404, empty, stale, another CA's, slow), offline use.
. "$(dirname "$0")/lib.sh"

P="$FIX/pki"
[ -f "$P/rsa/ca.crl" ] || { fail "no generated PKI at $P"; finish; }
command -v openssl >/dev/null || { skip "openssl CLI not found"; finish; }
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${QTB_SOURCE_DIR:-$HERE/../..}

HTTP_PID=
cleanup() {
    if [ -n "$HTTP_PID" ]; then
        kill "$HTTP_PID" 2>/dev/null
        wait "$HTTP_PID" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

T="$TMP/trust" # anchors only: the downloaded CRLs decide
mkdir -p "$T" "$TMP/srv"
cp "$P/trust/rsa/root.pem" "$P/trust/rsa/ca.pem" "$T/"
S="$TMP/srv"
cp "$P/rsa/ca.crl" "$S/ca.crl"
cp "$P/rsa/ca-stale.crl" "$S/stale.crl"
cp "$P/untrusted/ca.crl" "$S/foreign.crl"
: >"$S/empty.crl"
# the CA's CRL with one bit of its signature flipped (the signature ends the DER)
python3 -c "import sys; d=bytearray(open(sys.argv[1],'rb').read()); d[-5]^=1; open(sys.argv[2],'wb').write(d)" \
    "$P/rsa/ca.crl" "$S/tampered.crl"

# a changed CRL of the same CA: rsa_ceo_sign revoked as well (on a copy of the CA database)
cp -r "$P/rsa/db/ca" "$TMP/cadb"
export QTB_CA_DIR="$TMP/cadb" QTB_ISSUER_CER=http://x.invalid/ QTB_ISSUER_CRL=http://x.invalid/
openssl ca -config "$SRC/fixtures/ca.cnf" -batch -revoke "$P/certs/rsa_ceo_sign.pem" \
    -crl_reason keyCompromise >/dev/null 2>&1 || fail "openssl ca -revoke"
openssl ca -config "$SRC/fixtures/ca.cnf" -batch -gencrl -out "$TMP/changed.pem" \
    >/dev/null 2>&1 || fail "openssl ca -gencrl"
openssl crl -in "$TMP/changed.pem" -outform DER -out "$TMP/changed.crl" || fail "openssl crl"
# delta CRLs on the base ca.crl (cRLNumber 0x1001) listing the CEO: one for that base, one for a
# newer base (0x1005) that must not be applied to ours
cp "$SRC/fixtures/ca.cnf" "$TMP/ca.cnf"
printf '\n[ d1 ]\nauthorityKeyIdentifier = keyid:always\ndeltaCRL = critical,DER:02:02:10:01\n' \
    >>"$TMP/ca.cnf"
printf '\n[ d5 ]\nauthorityKeyIdentifier = keyid:always\ndeltaCRL = critical,DER:02:02:10:05\n' \
    >>"$TMP/ca.cnf"
[ "$(openssl crl -inform DER -in "$P/rsa/ca.crl" -noout -crlnumber)" = "crlNumber=0x1001" ] ||
    fail "the base CRL's number changed: update the delta indicators"
for d in d1 d5; do
    openssl ca -config "$TMP/ca.cnf" -batch -gencrl -crlexts $d -out "$TMP/$d.pem" >/dev/null 2>&1 ||
        fail "openssl ca -gencrl (delta $d)"
    openssl crl -in "$TMP/$d.pem" -outform DER -out "$TMP/$d.crl" || fail "openssl crl ($d)"
done

REVHTTP_LOG="$TMP/http.log" python3 "$HERE/revhttp.py" "$S" "$TMP/port" &
HTTP_PID=$!
for _ in $(seq 100); do
    [ -s "$TMP/port" ] && break
    sleep 0.1
done
[ -s "$TMP/port" ] || fail "revhttp.py did not start"
H="http://127.0.0.1:$(cat "$TMP/port")"

printf 'құжат' >"$TMP/doc.txt"
for k in rsa_individual_sign rsa_revoked rsa_ceo_sign; do
    expect_rc "sign with $k" 0 "$QTB" sign --p12 "$P/p12/$k.p12" --password-file "$P/password.txt" \
        --out "$TMP/$k.p7s" "$TMP/doc.txt"
done
v() { # v NAME WANT_RC ARGS... (JSON in $TMP/v.json)
    local name=$1 want=$2
    shift 2
    expect_rc "$name" "$want" "$QTB" verify --json --trust "$T" --revocation crl "$@"
    cp "$TMP/out" "$TMP/v.json"
}
has() { json_eq "$1" "$TMP/v.json" "'$2' in (d['signatures'][0]['message'] + str(d['signatures'][0].get('pathValidation')))" True; }
requests() { grep -c "$1" "$TMP/http.log" 2>/dev/null || true; }

# fresh CRL, no cache folder
v "downloaded CRL: good" 0 --crl-url "$H/ca.crl" "$TMP/rsa_individual_sign.p7s"
has "downloaded CRL: source named" "fetched from $H/ca.crl"
v "downloaded CRL: revoked" 1 --crl-url "$H/ca.crl" "$TMP/rsa_revoked.p7s"
v "no revocation source: revoked passes (twin)" 0 --crl-url "$H/ca.crl" --revocation ocsp \
    --offline "$TMP/rsa_revoked.p7s"

# without a usable copy: never good, never revoked
v "404, no copy: indeterminate" 3 --crl-url "$H/missing.crl" "$TMP/rsa_revoked.p7s"
has "404: said" "HTTP status 404"
v "empty, no copy: indeterminate" 3 --crl-url "$H/empty.crl" "$TMP/rsa_individual_sign.p7s"
has "empty: said" "empty download"
v "stale, no copy: indeterminate" 3 --crl-url "$H/stale.crl" "$TMP/rsa_individual_sign.p7s"
has "stale: said" "stale"
v "another CA's CRL: indeterminate" 3 --crl-url "$H/foreign.crl" "$TMP/rsa_individual_sign.p7s"
has "another CA's CRL: said" "another CA"
v "tampered signature: indeterminate" 3 --crl-url "$H/tampered.crl" "$TMP/rsa_revoked.p7s"
has "tampered signature: said" "signature does not verify"
v "slow server: indeterminate after the timeout" 3 --crl-url "$H/slow/ca.crl" \
    --net-timeout 500 "$TMP/rsa_individual_sign.p7s"
has "slow server: timeout said" "timed out"

# the cache folder: a second process revalidates with a conditional request (304)
C="$TMP/cache"
cp "$P/rsa/ca.crl" "$S/c.crl"
v "cached: first download" 1 --crl-url "$H/c.crl" --crl-cache "$C" "$TMP/rsa_revoked.p7s"
[ "$(ls "$C"/*.crl 2>/dev/null | wc -l)" = 1 ] && ok "cache folder holds the CRL" ||
    fail "cache folder: $(ls "$C")"
before=$(requests "GET /c.crl")
v "cached, within the TTL: no request" 0 --crl-url "$H/c.crl" --crl-cache "$C" \
    "$TMP/rsa_individual_sign.p7s"
[ "$(requests "GET /c.crl")" = "$before" ] && ok "within the TTL: no request" ||
    fail "within the TTL: the server was asked"
v "cached, TTL 0: conditional request" 0 --crl-url "$H/c.crl" --crl-cache "$C" --crl-ttl 0 \
    "$TMP/rsa_individual_sign.p7s"
[ "$(requests "GET /c.crl 304")" = 1 ] && ok "revalidated with a 304" ||
    fail "no 304: $(cat "$TMP/http.log")"

# a changed CRL replaces the copy
v "before the change: CEO not revoked" 0 --crl-url "$H/c.crl" --crl-cache "$C" --crl-ttl 0 \
    "$TMP/rsa_ceo_sign.p7s"
cp "$TMP/changed.crl" "$S/c.crl"
v "changed CRL: CEO revoked" 1 --crl-url "$H/c.crl" --crl-cache "$C" --crl-ttl 0 \
    "$TMP/rsa_ceo_sign.p7s"

# bad downloads keep the last good copy, and say so
for bad in missing empty stale foreign tampered; do
    if [ "$bad" = missing ]; then rm -f "$S/c.crl"; else cp "$S/$bad.crl" "$S/c.crl"; fi
    v "$bad download: last good copy still decides" 1 --crl-url "$H/c.crl" --crl-cache "$C" \
        --crl-ttl 0 "$TMP/rsa_ceo_sign.p7s"
    v "$bad download: last good copy, good cert" 0 --crl-url "$H/c.crl" --crl-cache "$C" \
        --crl-ttl 0 "$TMP/rsa_individual_sign.p7s"
    has "$bad download: said" "last good copy"
done

# delta CRLs through a mirror of the distribution points (rsa_ca.crl, rsa_ca_d.crl)
cp "$P/rsa/ca.crl" "$S/rsa_ca.crl"
M="$H/mirror/"
v "mirror, no delta published: CEO not revoked" 0 --crl-mirror "$M" "$TMP/rsa_ceo_sign.p7s"
has "mirror: base CRL used" "fetched from ${M}rsa_ca.crl"
cp "$TMP/d1.crl" "$S/rsa_ca_d.crl"
v "mirror with a delta: CEO revoked" 1 --crl-mirror "$M" "$TMP/rsa_ceo_sign.p7s"
json_eq "delta: REVOKED" "$TMP/v.json" "d['signatures'][0]['subIndication']" REVOKED
v "mirror with a delta: others good" 0 --crl-mirror "$M" "$TMP/rsa_individual_sign.p7s"
has "delta named" "delta CRL of"
cp "$TMP/d5.crl" "$S/rsa_ca_d.crl"
v "delta for a newer base: not applied" 0 --crl-mirror "$M" "$TMP/rsa_ceo_sign.p7s"
cp "$TMP/d1.crl" "$S/d1.crl"
v "a delta CRL given as the full CRL: indeterminate" 3 --crl-url "$H/d1.crl" \
    "$TMP/rsa_individual_sign.p7s"
has "delta as full: said" "delta CRL where a full CRL"

# the same delta CRLs in a trust folder, nothing downloaded: applied to the folder's full CRL
TD="$TMP/trust-delta"
mkdir -p "$TD"
cp "$P/trust/rsa/root.pem" "$P/trust/rsa/ca.pem" "$P/rsa/ca.crl" "$TD/"
td() { # td NAME WANT_RC P7S (JSON in $TMP/v.json)
    expect_rc "$1" "$2" "$QTB" verify --json --trust "$TD" "$3"
    cp "$TMP/out" "$TMP/v.json"
}
td "trust folder, full CRL only: CEO not revoked" 0 "$TMP/rsa_ceo_sign.p7s"
cp "$TMP/d1.crl" "$TD/ca-delta.crl"
td "trust folder with its delta: CEO revoked" 1 "$TMP/rsa_ceo_sign.p7s"
json_eq "trust folder delta: REVOKED" "$TMP/v.json" "d['signatures'][0]['subIndication']" REVOKED
td "trust folder with its delta: others good" 0 "$TMP/rsa_individual_sign.p7s"
has "trust folder delta named" "not listed on the delta CRL of"
cp "$TMP/d5.crl" "$TD/ca-delta.crl"
td "trust folder, delta for a newer base: not applied" 0 "$TMP/rsa_ceo_sign.p7s"
rm "$TD/ca.crl"
cp "$TMP/d1.crl" "$TD/ca-delta.crl"
td "trust folder, a delta alone: its listing still revokes" 1 "$TMP/rsa_ceo_sign.p7s"
td "trust folder, a delta alone: no 'not revoked' from it" 0 "$TMP/rsa_individual_sign.p7s"
has "a delta alone: said" "need their full CRL"

# offline: the cached copy works, nothing is asked
before=$(wc -l <"$TMP/http.log")
v "offline: cached copy" 1 --crl-url "$H/c.crl" --crl-cache "$C" --crl-ttl 0 --offline \
    "$TMP/rsa_ceo_sign.p7s"
[ "$(wc -l <"$TMP/http.log")" = "$before" ] && ok "offline: no request" || fail "offline: asked"
v "offline, nothing cached: not checked, said (as OCSP offline)" 0 --crl-url "$H/c.crl" \
    --crl-cache "$TMP/empty-cache" --offline "$TMP/rsa_ceo_sign.p7s"
has "offline, nothing cached: said" "not cached (offline)"
# the --trust CRLs still work offline
expect_rc "offline with --trust CRLs: revoked" 1 "$QTB" verify --trust "$P/trust/rsa" \
    --revocation crl --offline "$TMP/rsa_revoked.p7s"

finish
