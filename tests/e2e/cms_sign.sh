#!/usr/bin/env bash
# qoltanba sign and verify on the generated test PKI: round trips (checked by openssl cms too)
# and, for every positive case, its negative twin.
. "$(dirname "$0")/lib.sh"

P="$FIX/pki"
[ -f "$P/password.txt" ] || { fail "no generated PKI at $P"; finish; }
PW=(--password-file "$P/password.txt")
RSA="$P/trust/rsa"
ALL="$P/trust/all"

head -c 2048 /dev/urandom >"$TMP/doc.bin"
printf 'another document' >"$TMP/other.bin"

sign() { # sign NAME KEY ARGS... (output given with --out in ARGS)
    local name=$1 key=$2
    shift 2
    expect_rc "sign: $name" 0 "$QTB" sign --p12 "$P/p12/$key.p12" "${PW[@]}" "$@"
}
verify() { # verify NAME WANT_RC ARGS...  (JSON in $TMP/v.json)
    local name=$1 want=$2
    shift 2
    expect_rc "verify: $name" "$want" "$QTB" verify --json "$@"
    cp "$TMP/out" "$TMP/v.json"
}
sub() { json_eq "$1" "$TMP/v.json" "d['signatures'][${3:-0}]['subIndication']" "$2"; }
ossl_ok() { # ossl_ok NAME CMS CAFILE [CONTENT]
    local args=(-verify -binary -inform DER -in "$2" -CAfile "$3" -no-CApath -no-CAstore
        -out /dev/null)
    [ -n "${4:-}" ] && args+=(-content "$4")
    expect_rc "openssl cms -verify: $1" 0 openssl cms "${args[@]}"
}
cat "$RSA/root.pem" "$RSA/ca.pem" >"$TMP/rsa-bundle.pem"
cat "$ALL"/*.pem >"$TMP/all-bundle.pem"

# ---- detached, RSA ------------------------------------------------------------------------
sign "rsa detached" rsa_individual_sign --detached --out "$TMP/d.p7s" "$TMP/doc.bin"
verify "rsa detached" 0 --trust "$RSA" --content "$TMP/doc.bin" "$TMP/d.p7s"
json_eq "rsa detached: signer IIN" "$TMP/v.json" "'IIN900315400126' in d['signatures'][0]['chain'][0]" True
json_eq "rsa detached: all checks" "$TMP/v.json" \
    "sorted(set(d['signatures'][0]['checks'][k] for k in ('signatureValue','messageDigest','chain')))" \
    "['PASSED']"
ossl_ok "rsa detached" "$TMP/d.p7s" "$TMP/rsa-bundle.pem" "$TMP/doc.bin"
verify "rsa detached, other content" 1 --trust "$RSA" --content "$TMP/other.bin" "$TMP/d.p7s"
sub "tampered content: HASH_FAILURE" HASH_FAILURE
verify "rsa detached, no content" 3 --trust "$RSA" "$TMP/d.p7s"
sub "no content: SIGNED_DATA_NOT_FOUND" SIGNED_DATA_NOT_FOUND

# MD5 (old archives): refused by default, accepted under the legacy policy, which still checks it
openssl cms -sign -binary -md md5 -in "$TMP/doc.bin" -signer "$P/certs/rsa_individual_sign.pem" \
    -inkey "$P/keys/rsa_individual_sign.key.pem" -outform DER -out "$TMP/md5.p7s"
verify "md5 detached, default policy" 3 --trust "$RSA" --content "$TMP/doc.bin" "$TMP/md5.p7s"
sub "md5: CRYPTO_CONSTRAINTS_FAILURE" CRYPTO_CONSTRAINTS_FAILURE
verify "md5 detached, --allow-weak-crypto" 0 --allow-weak-crypto --trust "$RSA" \
    --content "$TMP/doc.bin" "$TMP/md5.p7s"
verify "md5, --allow-weak-crypto, other content" 1 --allow-weak-crypto --trust "$RSA" \
    --content "$TMP/other.bin" "$TMP/md5.p7s"
sub "md5 over other content: HASH_FAILURE" HASH_FAILURE

# ---- attached; PEM and base64 outputs -------------------------------------------------------
sign "rsa attached" rsa_ceo_sign --out "$TMP/a.p7s" "$TMP/doc.bin"
verify "rsa attached" 0 --trust "$RSA" "$TMP/a.p7s"
ossl_ok "rsa attached" "$TMP/a.p7s" "$TMP/rsa-bundle.pem"
expect_rc "rsa attached: content given twice" 2 "$QTB" verify --trust "$RSA" \
    --content "$TMP/doc.bin" "$TMP/a.p7s"
sign "rsa attached, base64" rsa_ceo_sign --base64 --out "$TMP/a.b64" "$TMP/doc.bin"
verify "rsa attached, base64" 0 --trust "$RSA" "$TMP/a.b64"
sign "rsa attached, PEM" rsa_ceo_sign --pem --out "$TMP/a.pem" "$TMP/doc.bin"
verify "rsa attached, PEM" 0 --trust "$RSA" "$TMP/a.pem"
expect_rc "openssl reads the PEM" 0 openssl cms -verify -binary -inform PEM -in "$TMP/a.pem" \
    -CAfile "$TMP/rsa-bundle.pem" -no-CApath -no-CAstore -out /dev/null
# The text forms byte for byte, on a document large enough that the encoder's 48 KiB slices meet
# inside the output: --base64 is one canonical line (NCALayer's form), --pem 64-column lines
# (RFC 7468) between the CMS labels, both decoding to the DER that verifies.
b64form() { # b64form FILE base64|pem: exit 0 when FILE has exactly that layout
    python3 - "$1" "$2" <<'EOF'
import base64, sys
text = open(sys.argv[1], 'rb').read().decode('ascii')
if sys.argv[2] == 'pem':
    lines = text.split('\n')
    ok = lines[0] == '-----BEGIN CMS-----' and lines[-2:] == ['-----END CMS-----', '']
    body = lines[1:-2]
    ok = ok and all(len(l) == 64 for l in body[:-1]) and 0 < len(body[-1]) <= 64
    b64 = ''.join(body)
else:
    ok = text.endswith('\n') and '\n' not in text[:-1]
    b64 = text[:-1]
der = base64.b64decode(b64, validate=True)
sys.exit(0 if ok and der[:1] == b'\x30' and base64.b64encode(der).decode() == b64 else 1)
EOF
}
head -c 150000 /dev/urandom >"$TMP/big.bin"
sign "rsa attached 150 KB, base64" rsa_ceo_sign --base64 --out "$TMP/big.b64" "$TMP/big.bin"
verify "rsa attached 150 KB, base64" 0 --trust "$RSA" "$TMP/big.b64"
expect_rc "--base64 is one canonical line" 0 b64form "$TMP/big.b64" base64
sign "rsa attached 150 KB, PEM" rsa_ceo_sign --pem --out "$TMP/big.pem" "$TMP/big.bin"
verify "rsa attached 150 KB, PEM" 0 --trust "$RSA" "$TMP/big.pem"
expect_rc "--pem is 64-column lines" 0 b64form "$TMP/big.pem" pem
expect_rc "small --pem is 64-column lines" 0 b64form "$TMP/a.pem" pem
# Twins: the same checks refuse a wrapped --base64 and a PEM with a line too long.
fold -w 76 "$TMP/big.b64" >"$TMP/big-wrapped.b64"
expect_rc "wrapped base64 is not the --base64 form" 1 b64form "$TMP/big-wrapped.b64" base64
sed '2{N;s/\n//}' "$TMP/big.pem" >"$TMP/big-joined.pem"
expect_rc "a 128-column PEM line is not the --pem form" 1 b64form "$TMP/big-joined.pem" pem

# Corrupted signature value (last bytes of the DER are the RSA signature) and tampered content.
python3 - "$TMP/a.p7s" "$TMP" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
s = bytearray(b); s[-5] ^= 0x01
open(sys.argv[2] + "/badsig.p7s", "wb").write(s)
doc = open(sys.argv[2] + "/doc.bin", "rb").read()
i = b.find(doc)
assert i > 0
t = bytearray(b); t[i + 100] ^= 0x01
open(sys.argv[2] + "/badcontent.p7s", "wb").write(t)
open(sys.argv[2] + "/truncated.p7s", "wb").write(b[: len(b) // 2])
EOF
verify "corrupted signature value" 1 --trust "$RSA" "$TMP/badsig.p7s"
sub "corrupted signature: SIG_CRYPTO_FAILURE" SIG_CRYPTO_FAILURE
verify "tampered attached content" 1 --trust "$RSA" "$TMP/badcontent.p7s"
sub "tampered attached: HASH_FAILURE" HASH_FAILURE

# ---- garbage, empty, truncated ------------------------------------------------------------
head -c 3000 /dev/urandom | sed 's/^</x/' >"$TMP/garbage.bin"
: >"$TMP/empty.bin"
for f in garbage empty truncated; do
    verify "$f input" 1 --trust "$RSA" "$TMP/$f.$([ $f = truncated ] && echo p7s || echo bin)"
    json_eq "$f input: FORMAT_FAILURE" "$TMP/v.json" "d['subIndication']" FORMAT_FAILURE
done
expect_rc "missing signature file" 2 "$QTB" verify "$TMP/nope.p7s"

# ---- the wrong kind of file: the error says what it is (the right file is the twin) ----------
printf '%%PDF-1.7\n%%\xe2\xe3\xcf\xd3\n1 0 obj\n' >"$TMP/upload.pdf"
msg() { json_eq "$1" "$TMP/v.json" "d['message']" "$2"; }
verify "a certificate given as the signature" 1 --trust "$RSA" "$P/certs/rsa_ceo_sign.pem"
msg "certificate: said" "this is an X.509 certificate, not a CMS signature (qoltanba certinfo reads it)"
verify "a key store given as the signature" 1 --trust "$RSA" "$P/p12/rsa_ceo_sign.p12"
msg "key store: said" "this is a PKCS#12 key store, not a CMS signature"
verify "a CRL given as the signature" 1 --trust "$RSA" "$P/rsa/ca.crl"
msg "CRL: said" "this is a certificate revocation list (CRL), not a CMS signature"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=x \
    -keyout "$TMP/req.key" -out "$TMP/req.csr" 2>/dev/null || fail "openssl req"
verify "a certification request given as the signature" 1 --trust "$RSA" "$TMP/req.csr"
msg "CSR: said" "this is a certification request (PKCS#10), not a CMS signature"
verify "a private key given as the signature" 1 --trust "$RSA" "$TMP/req.key"
msg "private key: said" "this is a private key, not a CMS signature"
verify "the PDF given instead of its signature" 1 --trust "$RSA" "$TMP/upload.pdf"
json_eq "PDF: said" "$TMP/v.json" "d['message'].startswith('this is a PDF document')" True
verify "garbage: the parser's reason, no guess" 1 --trust "$RSA" "$TMP/garbage.bin"
json_eq "garbage: not described" "$TMP/v.json" "d['message'].startswith('this is')" False
expect_rc "sign with a certificate instead of the key store" 2 "$QTB" sign \
    --p12 "$P/certs/rsa_ceo_sign.pem" "${PW[@]}" --out "$TMP/x.p7s" "$TMP/doc.bin"
grep -q 'this is an X.509 certificate, not a PKCS#12 key store' "$TMP/err" &&
    ok "sign with a certificate: said" || fail "sign with a certificate: $(cat "$TMP/err")"
expect_rc "sign with a CMS instead of the key store" 2 "$QTB" sign \
    --p12 "$TMP/a.p7s" "${PW[@]}" --out "$TMP/x.p7s" "$TMP/doc.bin"
grep -q 'this is a CMS signature, not a PKCS#12 key store' "$TMP/err" &&
    ok "sign with a CMS: said" || fail "sign with a CMS: $(cat "$TMP/err")"
expect_rc "certinfo of a CMS" 2 "$QTB" certinfo "$TMP/a.p7s"
grep -q 'this is a CMS signature, not a certificate' "$TMP/err" &&
    ok "certinfo of a CMS: said" || fail "certinfo of a CMS: $(cat "$TMP/err")"
expect_rc "certinfo of the certificate (twin)" 0 "$QTB" certinfo "$P/certs/rsa_ceo_sign.pem"
expect_rc "unreadable trust folder" 2 "$QTB" verify --trust "$TMP/nope" "$TMP/a.p7s"

# ---- ECDSA, and two signers (RSA + ECDSA) ---------------------------------------------------
sign "ecdsa detached" ec_individual_sign --detached --out "$TMP/e.p7s" "$TMP/doc.bin"
verify "ecdsa detached" 0 --trust "$P/trust/ec" --content "$TMP/doc.bin" "$TMP/e.p7s"
json_eq "ecdsa: algorithm" "$TMP/v.json" "'ecdsa' in d['signatures'][0]['signatureAlgorithm']" True
verify "ecdsa, other content" 1 --trust "$P/trust/ec" --content "$TMP/other.bin" "$TMP/e.p7s"
verify "ecdsa, RSA trust only" 3 --trust "$RSA" --content "$TMP/doc.bin" "$TMP/e.p7s"
sub "ecdsa wrong trust: NO_CERTIFICATE_CHAIN_FOUND" NO_CERTIFICATE_CHAIN_FOUND

sign "co-sign (add ECDSA to RSA)" ec_ceo_sign --add-to "$TMP/d.p7s" --out "$TMP/two.p7s" \
    "$TMP/doc.bin"
verify "two signers" 0 --trust "$ALL" --content "$TMP/doc.bin" "$TMP/two.p7s"
json_eq "two signers: count" "$TMP/v.json" "len(d['signatures'])" 2
ossl_ok "two signers" "$TMP/two.p7s" "$TMP/all-bundle.pem" "$TMP/doc.bin"
verify "two signers, RSA trust only" 3 --trust "$RSA" --content "$TMP/doc.bin" "$TMP/two.p7s"
json_eq "two signers, one untrusted: verdicts" "$TMP/v.json" \
    "sorted(s['indication'] for s in d['signatures'])" "['INDETERMINATE', 'TOTAL_PASSED']"
sign "co-sign attached" rsa_signright --add-to "$TMP/a.p7s" --out "$TMP/two-a.p7s" -
verify "two signers attached" 0 --trust "$RSA" "$TMP/two-a.p7s"
expect_rc "co-sign detached without content" 2 "$QTB" sign --p12 "$P/p12/rsa_hr.p12" "${PW[@]}" \
    --add-to "$TMP/d.p7s" --out "$TMP/x.p7s" -

# ---- RSA-PSS (made by openssl, verified by qoltanba) ------------------------------------------
openssl cms -sign -binary -nodetach -md sha256 -in "$TMP/doc.bin" -signer "$P/certs/rsa_pss_sign.pem" \
    -inkey "$P/keys/rsa_pss_sign.key.pem" -keyopt rsa_padding_mode:pss -outform DER \
    -out "$TMP/pss.p7s"
verify "rsa-pss" 0 --trust "$RSA" "$TMP/pss.p7s"
json_eq "rsa-pss: algorithm" "$TMP/v.json" "d['signatures'][0]['signatureAlgorithm']" rsassaPss
python3 - "$TMP/pss.p7s" "$TMP/pss-bad.p7s" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read()); b[-3] ^= 0x80
open(sys.argv[2], "wb").write(b)
EOF
verify "rsa-pss corrupted" 1 --trust "$RSA" "$TMP/pss-bad.p7s"

# ---- revoked, expired, not yet valid, untrusted root ----------------------------------------
sign "revoked signer" rsa_revoked --detached --out "$TMP/rev.p7s" "$TMP/doc.bin"
verify "revoked" 1 --trust "$RSA" --content "$TMP/doc.bin" "$TMP/rev.p7s"
sub "revoked: REVOKED" REVOKED
mkdir -p "$TMP/rsa-nocrl" && cp "$RSA"/*.pem "$TMP/rsa-nocrl/"
verify "revoked, twin without CRLs" 0 --trust "$TMP/rsa-nocrl" --content "$TMP/doc.bin" \
    "$TMP/rev.p7s"

sign "expired signer" rsa_expired --detached --out "$TMP/exp.p7s" "$TMP/doc.bin"
verify "expired, no timestamp" 3 --trust "$RSA" --content "$TMP/doc.bin" "$TMP/exp.p7s"
sub "expired: OUT_OF_BOUNDS_NO_POE" OUT_OF_BOUNDS_NO_POE
inside=$(python3 -c "import datetime as d; print((d.datetime.now(d.timezone.utc)-d.timedelta(days=60)).strftime('%Y-%m-%dT%H:%M:%SZ'))")
verify "expired, validated inside its validity" 0 --trust "$RSA" --at "$inside" \
    --content "$TMP/doc.bin" "$TMP/exp.p7s"

sign "untrusted root" rsa_untrusted --detached --out "$TMP/unt.p7s" "$TMP/doc.bin"
verify "untrusted root" 3 --trust "$RSA" --content "$TMP/doc.bin" "$TMP/unt.p7s"
sub "untrusted: NO_CERTIFICATE_CHAIN_FOUND" NO_CERTIFICATE_CHAIN_FOUND
mkdir -p "$TMP/unt-trust" && cp "$P/untrusted/ca.pem" "$TMP/unt-trust/"
verify "untrusted root, twin with its root trusted" 0 --trust "$TMP/unt-trust" \
    --content "$TMP/doc.bin" "$TMP/unt.p7s"

# ---- CAdES-T: an RFC 3161 token made by the test TSA ------------------------------------------
sign "to be timestamped" rsa_individual_sign --detached --out "$TMP/t.p7s" "$TMP/doc.bin"
cms_sigvalue "$TMP/t.p7s" "$TMP/sv.bin"
tsa_token "$TMP/sv.bin" "$TMP/tok.der" || fail "openssl ts could not make a token"
expect_rc "add the timestamp" 0 "$QTB" sign --timestamp-token "$TMP/tok.der" --out "$TMP/tt.p7s" \
    "$TMP/t.p7s"
# Validated after the signer's certificate expired (2027-11-22 + a few days), anchors only.
late=$(python3 -c "import datetime as d; print((d.datetime.now(d.timezone.utc)+d.timedelta(days=400)).strftime('%Y-%m-%dT%H:%M:%SZ'))")
verify "timestamped, signer expired since" 0 --trust "$TMP/rsa-nocrl" --at "$late" \
    --content "$TMP/doc.bin" "$TMP/tt.p7s"
json_eq "timestamp verified" "$TMP/v.json" "d['signatures'][0]['timestamp']['indication']" PASSED
json_eq "best signature time is genTime" "$TMP/v.json" \
    "d['signatures'][0]['bestSignatureTime'] == d['signatures'][0]['timestamp']['genTime']" True
verify "no timestamp, signer expired since" 3 --trust "$TMP/rsa-nocrl" --at "$late" \
    --content "$TMP/doc.bin" "$TMP/t.p7s"
sub "no timestamp: OUT_OF_BOUNDS_NO_POE" OUT_OF_BOUNDS_NO_POE
# A token over another signature value proves nothing about this one.
sign "other signature" rsa_individual_sign --detached --out "$TMP/o.p7s" "$TMP/other.bin"
cms_sigvalue "$TMP/o.p7s" "$TMP/osv.bin"
tsa_token "$TMP/osv.bin" "$TMP/otok.der" || fail "openssl ts could not make a token"
expect_rc "add a foreign timestamp" 0 "$QTB" sign --timestamp-token "$TMP/otok.der" \
    --out "$TMP/ft.p7s" "$TMP/t.p7s"
verify "foreign timestamp, signer expired since" 3 --trust "$TMP/rsa-nocrl" --at "$late" \
    --content "$TMP/doc.bin" "$TMP/ft.p7s"
json_eq "foreign timestamp rejected" "$TMP/v.json" \
    "d['signatures'][0]['timestamp']['indication']" FAILED
ossl_ok "timestamped CMS still verifies" "$TMP/tt.p7s" "$TMP/rsa-bundle.pem" "$TMP/doc.bin"

# ---- wrong password, GOST-free errors ---------------------------------------------------------
printf 'wrong\n' >"$TMP/wrong.txt"
expect_rc "wrong password" 2 "$QTB" sign --p12 "$P/p12/rsa_individual_sign.p12" \
    --password-file "$TMP/wrong.txt" --out "$TMP/x.p7s" "$TMP/doc.bin"
expect_rc "password from the environment" 0 env QTB_PW="$(cat "$P/password.txt")" "$QTB" sign \
    --p12 "$P/p12/rsa_individual_sign.p12" --password-env QTB_PW --out "$TMP/x.p7s" "$TMP/doc.bin"
finish
