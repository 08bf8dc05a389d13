#!/usr/bin/env bash
# OCSP benchmark (never run in CI): signs N (default 1,000) small documents with one key of the
# generated PKI, starts `openssl ocsp` for the RSA CA on 127.0.0.1, and verifies them all in one
# process (1 thread, then all cores), printing docs/s and the number of OCSP requests (which must
# be 1: one round trip per distinct certificate per cache lifetime; the leaf is the only
# certificate asked, the anchors being root and CA).
# Usage: tests/bench/ocsp_bench.sh [BUILD_DIR] (default ./build); QTB_BENCH_N=1000.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
P="$build/fixtures/pki"
QTB="$build/qoltanba"
N=${QTB_BENCH_N:-1000}
[ -f "$P/password.txt" ] || { echo "no generated PKI in $P (build first)" >&2; exit 2; }
W=$(mktemp -d)
RESP_PID=
cleanup() {
    if [ -n "$RESP_PID" ]; then
        kill "$RESP_PID" 2>/dev/null || true
        wait "$RESP_PID" 2>/dev/null || true
    fi
    rm -rf "$W"
}
trap cleanup EXIT

cc -O2 -o "$W/ocsp_bench" "$src/tests/bench/ocsp_bench.c" -I"$src/engine/include" \
    -I"$src/signers/include" -L"$build" -lqoltanba -Wl,-rpath,"$build" -lpthread

mkdir -p "$W/trust" "$W/docs"
cp "$P/trust/rsa/root.pem" "$P/trust/rsa/ca.pem" "$W/trust/" # anchors, no CRLs: OCSP decides
echo "== signing $N documents with rsa_individual_sign"
for i in $(seq 1 "$N"); do
    printf 'document %s\n' "$i" >"$W/docs/$i.txt"
    "$QTB" sign --p12 "$P/p12/rsa_individual_sign.p12" --password-file "$P/password.txt" \
        --out "$W/docs/$i.p7s" "$W/docs/$i.txt"
done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
openssl ocsp -index "$P/ocsp/index.txt" -CA "$P/rsa/ca.pem" -rsigner "$P/ocsp/ocsp.pem" \
    -rkey "$P/ocsp/ocsp.key.pem" -port "$port" -nmin 60 >"$W/ocsp.log" 2>&1 &
RESP_PID=$!
for _ in $(seq 100); do
    grep -q "waiting for OCSP client connections" "$W/ocsp.log" && break
    sleep 0.1
done
files=("$W"/docs/*.p7s)
echo "== verifying against the local responder (a new checker, cold cache, per run)"
"$W/ocsp_bench" "$W/trust" "http://127.0.0.1:$port/" 1 "${files[@]}"
"$W/ocsp_bench" "$W/trust" "http://127.0.0.1:$port/" "$(nproc)" "${files[@]}"
echo "responder saw $(grep -c 'Received request' "$W/ocsp.log") requests in total"
