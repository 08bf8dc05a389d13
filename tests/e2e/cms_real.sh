#!/usr/bin/env bash
# The real NCA RK CMS samples (../shared/fixtures-real/cms): per-signer verdicts and identities.
# RSA signers pass with --at inside their (long expired) validity; GOST signers are
# INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE naming the algorithm until GOST support lands.
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

# GOST 2015 + RSA, attached: a verdict per signer.
two_signers() { # NAME FILE ARGS...
    local name=$1 file=$2
    shift 2
    v "$name" 3 --at "$AT" "$@" "$file"
    json_eq "$name: two signatures" "$TMP/j.json" "len(d['signatures'])" 2
    json_eq "$name: GOST signer indeterminate" "$TMP/j.json" \
        "d['signatures'][0]['indication'] + '/' + d['signatures'][0]['subIndication']" \
        INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE
    json_eq "$name: GOST named" "$TMP/j.json" "'GOST' in d['signatures'][0]['message']" True
    json_eq "$name: GOST signer identified" "$TMP/j.json" \
        "d['signatures'][0]['signer'] is not None" True
    json_eq "$name: RSA signer passes" "$TMP/j.json" "$(sig 1 indication)" TOTAL_PASSED
    json_eq "$name: overall" "$TMP/j.json" "d['indication']" INDETERMINATE
}
two_signers "two signers attached" "$R/cms/gost2015_rsa_two_signers_attached.p7s"
two_signers "two signers detached" "$R/cms/gost2015_rsa_two_signers_detached.p7s" \
    --content "$R/cms/gost2015_rsa_two_signers_detached.content.bin"
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

# GOST 2015 CEO with a (GOST 2004) timestamp token.
v "gost with timestamp" 3 "$R/cms/gost2015_legal_ceo_attached_tsp.p7s"
json_eq "gost with timestamp: CRYPTO_CONSTRAINTS_FAILURE" "$TMP/j.json" \
    "$(sig 0 subIndication)" CRYPTO_CONSTRAINTS_FAILURE
json_eq "gost with timestamp: signingTime" "$TMP/j.json" "$(sig 0 signingTime)" \
    2025-02-24T19:23:13Z

# NCALayer hands out bare base64: same verdict.
base64 -w0 "$R/cms/rsa_individual_attached.p7s" >"$TMP/b64.txt"
v "rsa attached as base64" 0 --at "$AT" "$TMP/b64.txt"
finish
