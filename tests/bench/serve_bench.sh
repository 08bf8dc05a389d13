#!/usr/bin/env bash
# Load on `qoltanba serve`: wrk drives POST /cms/verify (a small attached CMS signed with the
# test PKI, RSA-2048, full path validation with CRLs) with keep-alive, and this prints
# requests/s, p50/p99 latency, the error count and the server's RSS at start and end. Not part of
# CTest. Usage:
#   tests/bench/serve_bench.sh [BUILD_DIR] [SECONDS] [THREADS]   (defaults: build, 60, the
#   server's own default: twice the online CPUs)
# Targets (issue 9): >= 5,000 verifications/s on 2 cores, p99 < 20 ms, 0 errors, RSS flat.
# The server and wrk share the machine's cores (wrk uses 1 thread, 16 connections).
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
secs=${2:-60}
threads_arg=()
[ -n "${3:-}" ] && threads_arg=(--threads "$3")
qtb=$build/qoltanba
pki=$build/fixtures/pki
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
tmp=$(mktemp -d)
pid=
cleanup() { if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; rm -rf "$tmp"; }
trap cleanup EXIT

printf 'payment order 42\n' >"$tmp/doc.txt"
openssl cms -sign -binary -nodetach -md sha256 -in "$tmp/doc.txt" -signer "$pki/certs/rsa_ceo_sign.pem" \
    -inkey "$pki/keys/rsa_ceo_sign.key.pem" -outform DER -out "$tmp/doc.cms"
printf '{"cms":"%s"}' "$(base64 -w0 "$tmp/doc.cms")" >"$tmp/body.json"
cat >"$tmp/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$tmp/body.json", "rb")
wrk.body = f:read("*a")
f:close()
done = function(summary, latency, requests)
  io.write(string.format("requests/s: %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("p50: %.2f ms\np99: %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  local e = summary.errors
  io.write(string.format("errors: %d (socket connect %d read %d write %d timeout %d, non-2xx %d)\n",
    e.connect + e.read + e.write + e.timeout + e.status, e.connect, e.read, e.write, e.timeout, e.status))
end
LUA
"$qtb" serve --listen 127.0.0.1:0 --db "$tmp/bench.db" --trust "$pki/trust/all" "${threads_arg[@]}" \
    2>"$tmp/serve.log" &
pid=$!
port=
for _ in $(seq 1 200); do
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$tmp/serve.log")
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || { echo "server did not start: $(cat "$tmp/serve.log")" >&2; exit 1; }
url=http://127.0.0.1:$port/cms/verify
# The request must verify (TOTAL_PASSED); wrk then counts non-2xx answers as errors.
curl -s -X POST "$url" --data-binary @"$tmp/body.json" | grep -q '"valid":true' || { echo "the benchmark request does not verify" >&2; exit 1; }
wrk -t1 -c16 -d2s -s "$tmp/post.lua" "$url" >/dev/null # warm-up (certificate cache, allocator)
rss() { awk '/^VmRSS/ {print $2 " kB"}' "/proc/$pid/status"; }
echo "server RSS at start: $(rss)"
wrk -t1 -c16 -d"${secs}s" --latency -s "$tmp/post.lua" "$url" | sed -n '/^requests\/s/,$p'
echo "server RSS at end: $(rss)"
echo "log lines: $(wc -l <"$tmp/serve.log")"
