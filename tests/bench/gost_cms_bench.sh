#!/usr/bin/env bash
# GOST-2015/512 beside RSA-2048 CMS verification (never run in CI): the same N small (2 KB)
# documents, each signed detached once with a real NCA GOST 34.10-2015/512 test key
# (../shared/fixtures-real/p12/gost2015_legal_ceo_valid_2026.p12, chain to the NCA GOST 2022
# test root with its CRL) and once with the generated RSA-2048 key (chain and CRLs of the test
# PKI); each set verified ROUNDS times in one process (full checks: signature, digest, chain,
# CRL), on 1 thread and on all cores. Prints docs/s for both, then `openssl speed rsa2048`.
# Usage: tests/bench/gost_cms_bench.sh [BUILD_DIR] (default ./build)
#        QTB_BENCH_N=200 QTB_BENCH_ROUNDS=5 QTB_SHARED=../shared to change.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
P="$build/fixtures/pki"
QTB="$build/qoltanba"
N=${QTB_BENCH_N:-200}
ROUNDS=${QTB_BENCH_ROUNDS:-5}
THREADS=$(nproc)
R="${QTB_SHARED:-$src/../shared}/fixtures-real"
[ -f "$P/password.txt" ] || { echo "no generated PKI in $P (build first)" >&2; exit 2; }
[ -d "$R/p12" ] || { echo "no real NCA fixtures in $R (set QTB_SHARED)" >&2; exit 2; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

cc -O2 -o "$W/cms_bench" "$src/tests/bench/cms_bench.c" -I"$src/engine/include" \
    -I"$src/signers/include" -L"$build" -lqoltanba -Wl,-rpath,"$build" -lpthread

mkdir -p "$W/docs" "$W/gost_trust"
cp "$R/ca/root_test_gost_2022.cer" "$R/ca/nca_gost2022_test.cer" "$R/ca/nca_gost2022_test.crl" \
    "$W/gost_trust/"
export QTB_BENCH_PW=Qwerty12
echo "== preparing $N detached 2 KB documents, each signed with GOST-2015/512 and RSA-2048"
gost=() rsa=()
for i in $(seq 1 "$N"); do
    head -c 2048 /dev/urandom >"$W/docs/$i.bin"
    "$QTB" sign --p12 "$R/p12/gost2015_legal_ceo_valid_2026.p12" --password-env QTB_BENCH_PW \
        --detached --out "$W/docs/$i.gost.p7s" "$W/docs/$i.bin"
    "$QTB" sign --p12 "$P/p12/rsa_individual_sign.p12" --password-file "$P/password.txt" \
        --detached --out "$W/docs/$i.rsa.p7s" "$W/docs/$i.bin"
    gost+=("$W/docs/$i.gost.p7s" "$W/docs/$i.bin")
    rsa+=("$W/docs/$i.rsa.p7s" "$W/docs/$i.bin")
done
for t in 1 "$THREADS"; do
    echo "== $t thread(s)"
    printf 'GOST-2015/512: '
    "$W/cms_bench" small "$W/gost_trust" "$t" "$ROUNDS" "${gost[@]}"
    printf 'RSA-2048:      '
    "$W/cms_bench" small "$P/trust/rsa" "$t" "$ROUNDS" "${rsa[@]}"
done
echo "openssl speed rsa2048 (one core):"
openssl speed -seconds 2 rsa2048 2>/dev/null | grep -E '^rsa 2048'
uptime
