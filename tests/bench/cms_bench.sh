#!/usr/bin/env bash
# CMS verification benchmark (never run in CI): prints, in one run,
#  - docs/s for 1,000 small (2 KB) detached RSA-2048 CMS (leaf <- CA <- root, CRLs) verified in
#    one process on all cores, beside a loop of `openssl cms -verify` over the same files and
#    beside `openssl speed rsa2048` verify/s;
#  - MB/s and peak RSS for one 1 GB detached document, beside `openssl speed -evp sha256`
#    (64 KiB blocks that stay in the CPU cache) and beside SHA-256 over the same number of
#    bytes already in memory (what a document bigger than the caches can be hashed at here).
# Usage: tests/bench/cms_bench.sh [BUILD_DIR] (default ./build; needs its generated PKI)
#        QTB_BENCH_LARGE_MB=1024 QTB_BENCH_ROUNDS=20 QTB_BENCH_OPENSSL_N=200 to change sizes.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
P="$build/fixtures/pki"
QTB="$build/qoltanba"
N=1000
ROUNDS=${QTB_BENCH_ROUNDS:-20}
LARGE_MB=${QTB_BENCH_LARGE_MB:-1024}
OSSL_N=${QTB_BENCH_OPENSSL_N:-200}
THREADS=$(nproc)
[ -f "$P/password.txt" ] || { echo "no generated PKI in $P (build first)" >&2; exit 2; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

cc -O2 -o "$W/cms_bench" "$src/tests/bench/cms_bench.c" -I"$src/engine/include" \
    -I"$src/signers/include" -L"$build" -lqoltanba -Wl,-rpath,"$build" -lpthread -lcrypto

echo "== preparing $N detached 2 KB documents signed with rsa_individual_sign (RSA-2048)"
mkdir -p "$W/docs"
args=()
for i in $(seq 1 $N); do
    head -c 2048 /dev/urandom >"$W/docs/$i.bin"
    "$QTB" sign --p12 "$P/p12/rsa_individual_sign.p12" --password-file "$P/password.txt" \
        --detached --out "$W/docs/$i.p7s" "$W/docs/$i.bin"
    args+=("$W/docs/$i.p7s" "$W/docs/$i.bin")
done

echo "== small documents ($(nproc) cores)"
"$W/cms_bench" small "$P/trust/rsa" "$THREADS" "$ROUNDS" "${args[@]}"
"$W/cms_bench" small "$P/trust/rsa" 1 "$ROUNDS" "${args[@]}"

# openssl cms takes CRLs inside the -CAfile bundle.
cat "$P/trust/rsa/root.pem" "$P/trust/rsa/ca.pem" "$P/rsa/root.crl.pem" "$P/rsa/ca.crl.pem" \
    >"$W/ca.pem"
start=$(date +%s.%N)
for i in $(seq 1 "$OSSL_N"); do
    openssl cms -verify -binary -inform DER -in "$W/docs/$i.p7s" -content "$W/docs/$i.bin" \
        -CAfile "$W/ca.pem" -crl_check_all -no-CApath -no-CAstore \
        -out /dev/null 2>/dev/null || { echo "openssl cms -verify failed on $i" >&2; exit 1; }
done
end=$(date +%s.%N)
python3 -c "import sys; n=int(sys.argv[1]); t=float(sys.argv[3])-float(sys.argv[2]); print(f'openssl cms -verify, one process per file, sequential: {n} documents in {t:.2f} s = {n/t:.0f} docs/s wall')" \
    "$OSSL_N" "$start" "$end"
echo "openssl speed rsa2048 (one core, then -multi $THREADS):"
openssl speed -seconds 3 rsa2048 2>/dev/null | grep -E 'sign/s|^rsa 2048'
openssl speed -seconds 3 -multi "$THREADS" rsa2048 2>/dev/null | grep -E '^rsa 2048'
uptime

echo "== one ${LARGE_MB} MB detached document"
head -c $((LARGE_MB * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$W/large.bin"
"$QTB" sign --p12 "$P/p12/rsa_individual_sign.p12" --password-file "$P/password.txt" \
    --detached --out "$W/large.p7s" "$W/large.bin"
# The gigabyte was just written: let the kernel finish writing it back first, or its flusher
# threads compete with the measurement for the two cores (seen: 1,406 MB/s right after the write,
# 1,600+ MB/s once the disk was idle).
sync
for i in 1 2 3; do
    "$W/cms_bench" large "$P/trust/rsa" "$W/large.p7s" "$W/large.bin" | tee "$W/large$i.txt"
done
"$W/cms_bench" sha256-ram "$LARGE_MB" | tee "$W/ram.txt"
echo "openssl speed -evp sha256 (64 KiB blocks, bytes per second in 1000s):"
openssl speed -seconds 3 -bytes 65536 -evp sha256 2>/dev/null | grep -iE '^sha256|^type' |
    tee "$W/speed.txt"
python3 - "$W" <<'EOF'
import re, sys
w = sys.argv[1]
runs = sorted(float(re.search(r"= (\d+) MB/s wall", open(f"{w}/large{i}.txt").read()).group(1))
              for i in (1, 2, 3))
median = runs[1]
ram = float(re.search(r"= (\d+) MB/s", open(f"{w}/ram.txt").read()).group(1))
speed = float(open(f"{w}/speed.txt").read().split()[-1].rstrip("k")) / 1000.0
print(f"large document, median of three ({runs[0]:.0f}-{runs[2]:.0f}): {median:.0f} MB/s = {100 * median / speed:.0f} % of openssl speed "
      f"sha256 ({speed:.0f} MB/s in cache), {100 * median / ram:.0f} % of SHA-256 over memory "
      f"({ram:.0f} MB/s)")
EOF
uptime
