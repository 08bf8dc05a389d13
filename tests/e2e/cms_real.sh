#!/usr/bin/env bash
# The real NCA RK CMS samples (../shared/fixtures-real/cms): per-signer verdicts and identities.
# Signers pass with --at inside their (long expired) validity, RSA and GOST alike; one flipped
# byte makes each of them fail.
. "$(dirname "$0")/lib.sh"

need_shared || finish
R="$SHARED/fixtures-real"
AT=2021-07-11T00:00:00Z
mkdir -p "$TMP/trust"
cp "$R"/ca/*.crt "$R"/ca/*.cer "$R"/ca/*.pem "$R"/ca/*.crl "$TMP/trust/"

v() { # v NAME WANT_RC ARGS... -> $TMP/j.json
    local name=$1 want=$2
    shift 2
    expect_rc "$name" "$want" "$QTB" verify --json --trust "$TMP/trust" "$@"
    cp "$TMP/out" "$TMP/j.json"
}
sig() { echo "d['signatures'][$1]['$2']"; }

# One RSA signer, attached.
v "rsa attached at $AT" 0 --at "$AT" "$R/cms/rsa_individual_attached.p7s"
json_eq "rsa attached: indication" "$TMP/j.json" "$(sig 0 indication)" TOTAL_PASSED
json_eq "rsa attached: signer IIN in subject" "$TMP/j.json" \
    "'IIN123456789011' in d['signatures'][0]['chain'][0]" True
json_eq "rsa attached: chain built" "$TMP/j.json" "len(d['signatures'][0]['chain']) >= 2" True
json_eq "rsa attached: signingTime read" "$TMP/j.json" "d['signatures'][0]['signingTime'] is not None" True
# Negative twins: validated now (the certificates expired in 2022-2024), tampered content.
v "rsa attached now: not passed" 3 "$R/cms/rsa_individual_attached.p7s"
json_eq "rsa attached now: indication" "$TMP/j.json" "d['indication']" INDETERMINATE
python3 - "$R/cms/rsa_individual_attached.p7s" "$TMP/tampered.p7s" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
assert b.count(b"test123") == 1
open(sys.argv[2], "wb").write(b.replace(b"test123", b"test124"))
EOF
v "rsa attached tampered" 1 --at "$AT" "$TMP/tampered.p7s"
json_eq "rsa attached tampered: HASH_FAILURE" "$TMP/j.json" "$(sig 0 subIndication)" HASH_FAILURE
# Without any trust: signature fine, no path.
expect_rc "rsa attached without trust" 3 "$QTB" verify --json --at "$AT" \
    "$R/cms/rsa_individual_attached.p7s"
json_eq "rsa attached without trust: NO_CERTIFICATE_CHAIN_FOUND" "$TMP/out" \
    "d['signatures'][0]['subIndication']" NO_CERTIFICATE_CHAIN_FOUND

# GOST 2015 + RSA: a verdict per signer. The real files were made on 2022-09-27 with an RSA
# certificate that had expired on 2022-01-18 and a GOST one valid from 2022-07-28, so no single
# --at passes both: at 2022-09-28 the GOST signer passes, at 2021-07-11 the RSA one.
GAT=2022-09-28T00:00:00Z
two_signers() { # NAME FILE ARGS...
    local name=$1 file=$2
    shift 2
    v "$name at $GAT" 3 --at "$GAT" "$@" "$file"
    json_eq "$name: two signatures" "$TMP/j.json" "len(d['signatures'])" 2
    json_eq "$name: GOST signer passes" "$TMP/j.json" "$(sig 0 indication)" TOTAL_PASSED
    json_eq "$name: GOST algorithm named" "$TMP/j.json" "$(sig 0 signatureAlgorithm)" \
        "GOST 34.10-2015/512 (1.2.398.3.10.1.1.2.3.2)"
    json_eq "$name: GOST digest named" "$TMP/j.json" "$(sig 0 digestAlgorithm)" \
        "GOST 34.11-2015/512 (1.2.398.3.10.1.3.3)"
    json_eq "$name: GOST checks" "$TMP/j.json" \
        "d['signatures'][0]['checks']['signatureValue'] + d['signatures'][0]['checks']['messageDigest']" \
        PASSEDPASSED
    json_eq "$name: GOST signer identified" "$TMP/j.json" \
        "d['signatures'][0]['signer']['iin']" 123456789012
    json_eq "$name: RSA signer identified" "$TMP/j.json" \
        "d['signatures'][1]['signer']['iin']" 123456789011
    json_eq "$name: RSA certificate expired by then" "$TMP/j.json" "$(sig 1 subIndication)" \
        OUT_OF_BOUNDS_NO_POE
    v "$name at $AT" 1 --at "$AT" "$@" "$file"
    json_eq "$name: RSA signer passes at $AT" "$TMP/j.json" "$(sig 1 indication)" TOTAL_PASSED
    json_eq "$name: GOST certificate not yet valid at $AT" "$TMP/j.json" \
        "$(sig 0 subIndication)" NOT_YET_VALID
}
two_signers "two signers attached" "$R/cms/gost2015_rsa_two_signers_attached.p7s"
two_signers "two signers detached" "$R/cms/gost2015_rsa_two_signers_detached.p7s" \
    --content "$R/cms/gost2015_rsa_two_signers_detached.content.bin"
# Flipped bytes: the GOST signature value (the 128 bytes after the SignerInfo's GOST 2015
# signatureAlgorithm), the GOST signed attributes (signingTime), the GOST certificate's own
# signature: each fails the GOST signer.
python3 - "$R/cms/gost2015_rsa_two_signers_attached.p7s" "$TMP" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
sig_oid = bytes.fromhex("060a2a830e030a0101020302")
i = b.index(b"\x04\x81\x80", b.rindex(sig_oid)) + 3
t = bytearray(b); t[i + 5] ^= 1
open(sys.argv[2] + "/flip_sig.p7s", "wb").write(t)
j = b.index(b"220927211759Z")  # the GOST signer's signingTime (UTCTime)
t = bytearray(b); t[j + 11] ^= 1
open(sys.argv[2] + "/flip_attr.p7s", "wb").write(t)
k = b.index(sig_oid) + len(sig_oid)  # the GOST certificate's signature follows its tbs
k = b.index(sig_oid, k) + len(sig_oid)
k = b.index(b"\x03\x81\x81\x00", k) + 4
t = bytearray(b); t[k + 7] ^= 1
open(sys.argv[2] + "/flip_cert.p7s", "wb").write(t)
EOF
v "GOST signature byte flipped" 1 --at "$GAT" "$TMP/flip_sig.p7s"
json_eq "GOST signature flipped: SIG_CRYPTO_FAILURE" "$TMP/j.json" "$(sig 0 subIndication)" \
    SIG_CRYPTO_FAILURE
v "GOST signingTime byte flipped" 1 --at "$GAT" "$TMP/flip_attr.p7s"
json_eq "GOST signed attribute flipped: SIG_CRYPTO_FAILURE" "$TMP/j.json" \
    "$(sig 0 subIndication)" SIG_CRYPTO_FAILURE
v "GOST certificate signature flipped" 3 --at "$GAT" "$TMP/flip_cert.p7s"
json_eq "GOST certificate flipped: not passed" "$TMP/j.json" \
    "d['signatures'][0]['indication'] != 'TOTAL_PASSED'" True
# Negative twins of the detached one: no content, other content.
v "two signers detached, no content" 3 --at "$AT" "$R/cms/gost2015_rsa_two_signers_detached.p7s"
json_eq "no content: SIGNED_DATA_NOT_FOUND" "$TMP/j.json" "$(sig 1 subIndication)" \
    SIGNED_DATA_NOT_FOUND
printf 'test124' >"$TMP/other.bin"
v "two signers detached, other content" 1 --at "$AT" --content "$TMP/other.bin" \
    "$R/cms/gost2015_rsa_two_signers_detached.p7s"
json_eq "other content: HASH_FAILURE" "$TMP/j.json" "$(sig 1 subIndication)" HASH_FAILURE
expect_rc "missing content file is an I/O error" 2 "$QTB" verify --trust "$TMP/trust" \
    --content "$TMP/nope.bin" "$R/cms/gost2015_rsa_two_signers_detached.p7s"

# GOST 2015 CEO with a timestamp token from NCA's test TSA (signed GOST 34.310-2004, imprint
# GOST 34.311-95 over the signature value). The token's signature and imprint verify, but the
# TSA's issuer "ҰҚО 3.0 (GOST TEST)" is not among the shared CAs: the token is no proof of
# existence, so the signer's certificate is judged at --at (or now, when it has expired).
v "gost with timestamp at 2025-03-01" 0 --at 2025-03-01T00:00:00Z \
    "$R/cms/gost2015_legal_ceo_attached_tsp.p7s"
json_eq "gost with timestamp: passes" "$TMP/j.json" "$(sig 0 indication)" TOTAL_PASSED
json_eq "gost with timestamp: signingTime" "$TMP/j.json" "$(sig 0 signingTime)" \
    2025-02-24T19:23:13Z
json_eq "gost with timestamp: CEO identified" "$TMP/j.json" \
    "d['signatures'][0]['signer']['iin'] is not None and d['signatures'][0]['signer']['bin'] is not None" True
json_eq "gost with timestamp: genTime read" "$TMP/j.json" \
    "d['signatures'][0]['timestamp']['genTime']" 2025-02-24T19:23:14Z
json_eq "gost with timestamp: token verified up to its TSA chain" "$TMP/j.json" \
    "d['signatures'][0]['timestamp']['message'].startswith('TSA certificate: issuer of')" True
json_eq "gost with timestamp: TSA chain indeterminate" "$TMP/j.json" \
    "d['signatures'][0]['timestamp']['indication']" INDETERMINATE
v "gost with timestamp now" 3 "$R/cms/gost2015_legal_ceo_attached_tsp.p7s"
json_eq "gost with timestamp now: expired, no POE" "$TMP/j.json" "$(sig 0 subIndication)" \
    OUT_OF_BOUNDS_NO_POE
# Flipped bytes: the token's GOST 2004 signature; the signer's GOST 2015 signature.
python3 - "$R/cms/gost2015_legal_ceo_attached_tsp.p7s" "$TMP" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
oid04 = bytes.fromhex("06092a830e030a01010102")
i = b.index(b"\x04\x40", b.rindex(oid04)) + 2
t = bytearray(b); t[i + 3] ^= 1
open(sys.argv[2] + "/flip_tsa.p7s", "wb").write(t)
oid15 = bytes.fromhex("060a2a830e030a0101020302")
i = b.index(b"\x04\x81\x80", b.rindex(oid15)) + 3
t = bytearray(b); t[i + 9] ^= 1
open(sys.argv[2] + "/flip_sig.p7s", "wb").write(t)
EOF
v "timestamp signature flipped" 0 --at 2025-03-01T00:00:00Z "$TMP/flip_tsa.p7s"
json_eq "timestamp flipped: token fails" "$TMP/j.json" \
    "d['signatures'][0]['timestamp']['indication'] + ' ' + d['signatures'][0]['timestamp']['message'][:19]" \
    "FAILED timestamp signature"
v "signer signature flipped (with timestamp)" 1 --at 2025-03-01T00:00:00Z "$TMP/flip_sig.p7s"
json_eq "signer flipped: SIG_CRYPTO_FAILURE" "$TMP/j.json" "$(sig 0 subIndication)" \
    SIG_CRYPTO_FAILURE

# With the TSA's own certificate trusted explicitly (a pinned TSA), the token is a proof of
# existence: at 2026-11-01, after the CEO certificate expired (2025-10-29), the signature
# passes at the token's genTime; without the pin it is OUT_OF_BOUNDS_NO_POE.
python3 - "$R/cms/gost2015_legal_ceo_attached_tsp.p7s" "$TMP/token.der" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
def tlv(b, i):
    n = b[i + 1]
    if n < 0x80:
        return i + 2, i + 2 + n
    k = n & 0x7f
    return i + 2 + k, i + 2 + k + int.from_bytes(b[i + 2:i + 2 + k], "big")
oid = bytes.fromhex("060b2a864886f70d010910020e")  # id-aa-signatureTimeStampToken
s = tlv(b, b.index(oid) + len(oid))[0]
open(sys.argv[2], "wb").write(b[s:tlv(b, s)[1]])
EOF
mkdir -p "$TMP/tsa_pinned" "$TMP/tsa_not_pinned"
cp "$R/ca/root_test_gost_2022.cer" "$R/ca/nca_gost2022_test.cer" "$R/ca/nca_gost2022_test.crl" \
    "$TMP/tsa_pinned/"
cp "$TMP/tsa_pinned"/* "$TMP/tsa_not_pinned/"
openssl pkcs7 -inform DER -in "$TMP/token.der" -print_certs -out "$TMP/tsa_pinned/tsa.pem"
expect_rc "pinned TSA: passes at the token's time" 0 "$QTB" verify --json \
    --trust "$TMP/tsa_pinned" --at 2026-11-01T00:00:00Z "$R/cms/gost2015_legal_ceo_attached_tsp.p7s"
json_eq "pinned TSA: timestamp PASSED, best time = genTime" "$TMP/out" \
    "d['signatures'][0]['timestamp']['indication'] + ' ' + d['signatures'][0]['bestSignatureTime']" \
    "PASSED 2025-02-24T19:23:14Z"
expect_rc "TSA not pinned: no POE" 3 "$QTB" verify --json --trust "$TMP/tsa_not_pinned" \
    --at 2026-11-01T00:00:00Z "$R/cms/gost2015_legal_ceo_attached_tsp.p7s"
json_eq "TSA not pinned: OUT_OF_BOUNDS_NO_POE" "$TMP/out" "d['signatures'][0]['subIndication']" \
    OUT_OF_BOUNDS_NO_POE
expect_rc "pinned TSA, token signature flipped: no POE" 3 "$QTB" verify --json \
    --trust "$TMP/tsa_pinned" --at 2026-11-01T00:00:00Z "$TMP/flip_tsa.p7s"

# NCALayer hands out bare base64: same verdict.
base64 -w0 "$R/cms/rsa_individual_attached.p7s" >"$TMP/b64.txt"
v "rsa attached as base64" 0 --at "$AT" "$TMP/b64.txt"
finish
