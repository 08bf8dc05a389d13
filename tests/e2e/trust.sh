#!/usr/bin/env bash
# qoltanba trust: loading trust folders and checking their CRLs, on the generated PKI and on
# NCA's real test CAs.
set -u
. "$(dirname "$0")/lib.sh"

expect_rc "help" 0 "$QTB" trust --help
expect_rc "no folder is a usage error" 2 "$QTB" trust
expect_rc "bad --at" 2 "$QTB" trust --at yesterday "$FIX/pki/trust/rsa"

expect_rc "generated rsa folder is clean" 0 "$QTB" trust --json "$FIX/pki/trust/rsa"
cp "$TMP/out" "$TMP/rsa.json"
json_eq "two anchors" "$TMP/rsa.json" "len(d['anchors'])" 2
json_eq "two CRLs" "$TMP/rsa.json" "len(d['crls'])" 2
json_eq "CRL signatures valid" "$TMP/rsa.json" "sorted(set(c['signature'] for c in d['crls']))" "['valid']"
json_eq "root is self-issued" "$TMP/rsa.json" "sum(a['self_issued'] for a in d['anchors'])" 1

# twin: the stale CRL folder is reported, exit 1
expect_rc "stale CRL is a finding" 1 "$QTB" trust --json "$FIX/pki/trust/rsa-stale"
cp "$TMP/out" "$TMP/stale.json"
json_eq "stale CRL expired" "$TMP/stale.json" "[c['expired'] for c in d['crls'] if c['file'].endswith('/ca.crl')]" "[True]"
expect_rc "stale CRL text" 1 "$QTB" trust "$FIX/pki/trust/rsa-stale"
if grep -q "EXPIRED" "$TMP/out"; then ok "text says EXPIRED"; else fail "text says EXPIRED"; fi

# twin: a CRL with one flipped signature bit
mkdir -p "$TMP/tampered"
cp "$FIX/pki/trust/rsa/root.pem" "$FIX/pki/trust/rsa/ca.pem" "$TMP/tampered/"
python3 - "$FIX/pki/rsa/ca.crl" "$TMP/tampered/ca.crl" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
d[-3] ^= 0x01
open(sys.argv[2], 'wb').write(d)
PY
expect_rc "tampered CRL is a finding" 1 "$QTB" trust --json "$TMP/tampered"
json_eq "tampered CRL signature invalid" "$TMP/out" "d['crls'][0]['signature']" "invalid"

# load errors
expect_rc "missing folder" 2 "$QTB" trust "$TMP/nonexistent"
mkdir -p "$TMP/garbage"
cp "$FIX/pki/trust/rsa/root.pem" "$TMP/garbage/"
echo "not a certificate" >"$TMP/garbage/junk.pem"
expect_rc "garbage file" 2 "$QTB" trust "$TMP/garbage"
if grep -q "junk.pem" "$TMP/err"; then ok "error names the file"; else fail "error names the file: $(cat "$TMP/err")"; fi

if need_shared; then
    # NCA's RSA test chain and its CRL (valid 2022-03-29 .. 2022-09-25)
    mkdir -p "$TMP/nca-rsa"
    cp "$SHARED/fixtures-real/ca/root_rsa_test.pem" "$SHARED/fixtures-real/ca/nca_rsa_test.crt" \
        "$SHARED/fixtures-real/ca/nca_rsa_test.crl" "$TMP/nca-rsa/"
    expect_rc "real NCA RSA folder at 2022-06-01" 0 "$QTB" trust --json --at 2022-06-01T00:00:00Z "$TMP/nca-rsa"
    cp "$TMP/out" "$TMP/nca.json"
    json_eq "RSA CRL verifies" "$TMP/nca.json" "d['crls'][0]['signature']" "valid"
    json_eq "RSA CRL current in 2022" "$TMP/nca.json" "d['crls'][0]['expired']" "False"
    json_eq "RSA CRL entries" "$TMP/nca.json" "d['crls'][0]['entries']" "126"
    # twin: today the CRL has long expired
    expect_rc "real NCA RSA folder now" 1 "$QTB" trust --json "$TMP/nca-rsa"
    json_eq "RSA CRL expired now" "$TMP/out" "d['crls'][0]['expired']" "True"

    # the whole real folder: GOST CRLs verify only with the GOST backend; the exit status must
    # agree with what the listing says
    got=0
    "$QTB" trust --json --at 2022-06-01T00:00:00Z "$SHARED/fixtures-real/ca" >"$TMP/all.json" 2>"$TMP/err" || got=$?
    json_eq "six anchors" "$TMP/all.json" "len(d['anchors'])" 6
    want=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(1 if any(c['signature']!='valid' or c['expired'] or 'unusable' in c for c in d['crls']) else 0)" "$TMP/all.json")
    if [ "$got" = "$want" ]; then ok "exit status matches the listing ($got)"; else fail "exit $got, listing says $want"; fi
fi

finish
