# Shared helpers for end-to-end tests (sourced, not run). Each test prints ok/FAIL lines and
# ends with "N passed, N failed"; a case that needs ../shared is skipped without it, and fails
# without it under CI=true.
set -u
QTB=${QTB_CLI:?QTB_CLI not set}
FIX=${QTB_FIXTURES:?QTB_FIXTURES not set}
SHARED=${QTB_SHARED:-../shared}
T_PASS=0
T_FAIL=0
T_SKIP=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ok() { T_PASS=$((T_PASS + 1)); echo "ok   $*"; }
fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL $*"; }
skip() { T_SKIP=$((T_SKIP + 1)); echo "SKIP $*"; }

# need_shared: returns 1 (and records a skip or, under CI=true, a failure) without ../shared.
need_shared() {
    if [ -d "$SHARED/reference" ]; then
        return 0
    fi
    if [ "${CI:-}" = "true" ]; then
        fail "../shared is missing ($SHARED) and CI=true"
    else
        skip "../shared not found at $SHARED"
    fi
    return 1
}

# expect_rc NAME WANT CMD...: run CMD, compare its exit code; output kept in $TMP/out, $TMP/err.
expect_rc() {
    local name=$1 want=$2
    shift 2
    local got=0
    "$@" >"$TMP/out" 2>"$TMP/err" || got=$?
    if [ "$got" = "$want" ]; then
        ok "$name"
    else
        fail "$name: exit $got, want $want; stderr: $(head -c 400 "$TMP/err")"
    fi
}

# jq-free JSON field check via python3: json_eq NAME FILE PYEXPR EXPECTED
json_eq() {
    local name=$1 file=$2 expr=$3 want=$4 got
    got=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($expr)" "$file" 2>&1) || true
    if [ "$got" = "$want" ]; then
        ok "$name"
    else
        fail "$name: got '$got', want '$want'"
    fi
}

# cms_sigvalue CMS OUT: the RSA-2048 signature value of a CMS (its last 256-byte OCTET STRING),
# what an RFC 3161 timestamp of that signature covers.
cms_sigvalue() {
    local line off hl
    line=$(openssl asn1parse -inform DER -in "$1" | grep 'prim: OCTET STRING' | grep 'l= 256' | tail -1)
    off=$(echo "$line" | sed 's/^ *\([0-9]*\):.*/\1/')
    hl=$(echo "$line" | sed 's/.*hl=\([0-9]*\).*/\1/')
    dd if="$1" of="$2" bs=1 skip=$((off + hl)) count=256 status=none
}

# tsa_token DATA OUT: an RFC 3161 token over the file DATA from the generated test TSA
# (openssl ts, offline). Needs $P (the generated PKI) and $TMP.
tsa_token() {
    if [ ! -f "$TMP/tsa-token.cnf" ]; then
        printf '[ tsa ]\ndefault_tsa = t\n[ t ]\nserial = %s\ncrypto_device = builtin\nsigner_digest = sha256\ndefault_policy = 1.2.398.3.3.2.6.1\ndigests = sha256\ness_cert_id_alg = sha256\n' \
            "$TMP/tsa-token.serial" >"$TMP/tsa-token.cnf"
        echo 01 >"$TMP/tsa-token.serial"
        cat "$P/rsa/ca.pem" "$P/rsa/root.pem" >"$TMP/tsa-token-chain.pem"
    fi
    openssl ts -query -data "$1" -sha256 -cert -no_nonce -out "$TMP/tsa-token.tsq" 2>/dev/null &&
        openssl ts -reply -config "$TMP/tsa-token.cnf" -queryfile "$TMP/tsa-token.tsq" \
            -signer "$P/tsa/tsa.pem" -inkey "$P/tsa/tsa.key.pem" -chain "$TMP/tsa-token-chain.pem" \
            -token_out -out "$2" 2>/dev/null
}

finish() {
    echo "$T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
    if [ "$T_FAIL" -gt 0 ]; then
        exit 1
    fi
    if [ "$T_PASS" -eq 0 ] && [ "$T_SKIP" -gt 0 ]; then
        exit 77
    fi
    exit 0
}
