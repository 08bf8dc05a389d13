#!/usr/bin/env bash
# GOST micro-benchmark (never run in CI): hash MB/s and sign/verify per second per curve, with
# `openssl speed` ECDSA P-256/P-521 beside it for scale.
# Usage: tests/bench/gost_bench.sh [BUILD_DIR] [HASH_MB] [SECONDS_PER_CURVE]
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
# Internal API: compile against the static archive, as the unit tests do.
cc -O2 -DQTB_INTERNAL -o "$W/gost_bench" "$src/tests/bench/gost_bench.c" \
    -I"$src/engine/include" -I"$src/signers/include" -I"$src/engine/src" -I"$src/signers/src" \
    "$build/libqoltanba_static.a" \
    $(pkg-config --libs libxml-2.0 xmlsec1-openssl jansson sqlite3 libcrypto libssl) \
    -lhpdf -lpthread -lm
"$W/gost_bench" "${2:-64}" "${3:-2}"
echo "== for scale: openssl speed (ECDSA, same machine)"
openssl speed -seconds 2 ecdsap256 ecdsap521 2>/dev/null | tail -3
