#!/usr/bin/env bash
# XMLDSig verification benchmark (never run in CI). Prints, in one run, docs/s for 1,000 small
# signed XML documents (the NCALayer signXml shape, RSA-2048, leaf <- CA <- root with CRLs)
# verified in one process on all cores, on one core, and beside a loop of `xmlsec1 --verify`
# over the same files.
# Usage: tests/bench/xml_bench.sh [BUILD_DIR] (default ./build; needs its generated PKI)
#        QTB_BENCH_ROUNDS=5 QTB_BENCH_XMLSEC_N=1000 to change the work.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
P="$build/fixtures/pki"
QTB="$build/qoltanba"
N=1000
ROUNDS=${QTB_BENCH_ROUNDS:-5}
XMLSEC_N=${QTB_BENCH_XMLSEC_N:-$N}
THREADS=$(nproc)
[ -f "$P/password.txt" ] || { echo "no generated PKI in $P (build first)" >&2; exit 2; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

cc -O2 -o "$W/xml_bench" "$src/tests/bench/xml_bench.c" -I"$src/engine/include" \
    -I"$src/signers/include" -L"$build" -lqoltanba -Wl,-rpath,"$build" -lpthread

echo "== preparing $N small XML documents signed with rsa_individual_sign (RSA-2048)"
mkdir -p "$W/docs"
files=()
for i in $(seq 1 $N); do
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<login><challenge>%s</challenge><n>%d</n></login>\n' \
        "$(head -c 24 /dev/urandom | base64)" "$i" >"$W/in.xml"
    "$QTB" sign --xml --p12 "$P/p12/rsa_individual_sign.p12" --password-file "$P/password.txt" \
        --out "$W/docs/$i.xml" "$W/in.xml"
    files+=("$W/docs/$i.xml")
done
echo "   $(wc -c <"$W/docs/1.xml") bytes each"

echo "== qoltanba, one process"
"$W/xml_bench" "$P/trust/rsa" "$THREADS" "$ROUNDS" "${files[@]}"
"$W/xml_bench" "$P/trust/rsa" 1 "$ROUNDS" "${files[@]}"

if command -v xmlsec1 >/dev/null; then
    echo "== xmlsec1 --verify, one process per file ($XMLSEC_N files)"
    start=$(date +%s%N)
    ok=0
    for i in $(seq 1 "$XMLSEC_N"); do
        if xmlsec1 --verify --enabled-reference-uris empty,same-doc \
            --trusted-pem "$P/rsa/root.pem" --untrusted-pem "$P/rsa/ca.pem" \
            --enabled-key-data x509 "$W/docs/$i.xml" >/dev/null 2>&1; then
            ok=$((ok + 1))
        fi
    done
    ms=$((($(date +%s%N) - start) / 1000000))
    awk -v n="$XMLSEC_N" -v ok="$ok" -v ms="$ms" \
        'BEGIN { printf "xmlsec1 --verify loop: %d documents (%d OK) in %.3f s = %.0f docs/s\n", n, ok, ms / 1000, n * 1000 / ms }'
else
    echo "xmlsec1 not installed: no CLI comparison"
fi
