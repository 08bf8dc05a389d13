#!/usr/bin/env bash
# qoltanba sign --tsa against a real local TSA: `openssl ts -reply` behind revhttp.py on
# 127.0.0.1 (its own copy of the PKI's tsa folder: every reply rewrites the serial file).
. "$(dirname "$0")/lib.sh"

P="$FIX/pki"
[ -f "$P/tsa/tsa.cnf" ] || { fail "no generated PKI at $P"; finish; }
command -v openssl >/dev/null || { skip "openssl CLI not found"; finish; }
HERE=$(cd "$(dirname "$0")" && pwd)

HTTP_PID=
cleanup() {
    if [ -n "$HTTP_PID" ]; then
        kill "$HTTP_PID" 2>/dev/null
        wait "$HTTP_PID" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

cp -r "$P/tsa" "$TMP/tsa"
sed -i "s|^dir = .*|dir = $TMP/tsa|" "$TMP/tsa/tsa.cnf"
mkdir -p "$TMP/files"
# a granted answer about some other data: replayed, it must be refused
printf 'other' >"$TMP/other.txt"
openssl ts -query -data "$TMP/other.txt" -sha256 -cert -out "$TMP/other.tsq" 2>/dev/null
openssl ts -reply -config "$TMP/tsa/tsa.cnf" -queryfile "$TMP/other.tsq" \
    -out "$TMP/files/other.tsr" 2>/dev/null || fail "openssl ts -reply"
printf 'not DER' >"$TMP/files/junk.tsr"

REVHTTP_TSA_CNF="$TMP/tsa/tsa.cnf" python3 "$HERE/revhttp.py" "$TMP/files" "$TMP/port" &
HTTP_PID=$!
for _ in $(seq 100); do
    [ -s "$TMP/port" ] && break
    sleep 0.1
done
[ -s "$TMP/port" ] || fail "revhttp.py did not start"
H="http://127.0.0.1:$(cat "$TMP/port")"

printf 'өтініш' >"$TMP/doc.txt"
SIGN=("$QTB" sign --p12 "$P/p12/rsa_individual_sign.p12" --password-file "$P/password.txt")
tsfield() { json_eq "$1" "$TMP/v.json" "$2" "$3"; }

expect_rc "sign --tsa" 0 "${SIGN[@]}" --tsa "$H/tsa" --out "$TMP/t.p7s" "$TMP/doc.txt"
expect_rc "verify the stamped signature" 0 "$QTB" verify --json --trust "$P/trust/rsa" "$TMP/t.p7s"
cp "$TMP/out" "$TMP/v.json"
tsfield "timestamp check passed" "d['signatures'][0]['checks']['timestamp']" PASSED
tsfield "timestamp policy is the TSA's" "d['signatures'][0]['timestamp']['policy']" 1.2.3.4.1
tsfield "best signature time is the genTime" \
    "d['signatures'][0]['bestSignatureTime'] == d['signatures'][0]['timestamp']['genTime']" True
expect_rc "openssl reads the stamped CMS" 0 openssl cms -verify -binary -inform DER \
    -in "$TMP/t.p7s" -noverify -out /dev/null
# twin: the same signature unstamped has no timestamp
expect_rc "sign without --tsa" 0 "${SIGN[@]}" --out "$TMP/u.p7s" "$TMP/doc.txt"
expect_rc "verify the unstamped signature" 0 "$QTB" verify --json --trust "$P/trust/rsa" "$TMP/u.p7s"
cp "$TMP/out" "$TMP/v.json"
tsfield "no timestamp without --tsa" "d['signatures'][0]['checks']['timestamp']" NOT_CHECKED

expect_rc "sign --tsa --tsa-policy (the TSA's)" 0 "${SIGN[@]}" --tsa "$H/tsa" \
    --tsa-policy 1.2.3.4.1 --out "$TMP/p.p7s" "$TMP/doc.txt"
expect_rc "sign --tsa --tsa-policy (another): refused" 2 "${SIGN[@]}" --tsa "$H/tsa" \
    --tsa-policy 1.2.3.4.9 --out "$TMP/x.p7s" "$TMP/doc.txt"
grep -q "refused" "$TMP/err" && ok "refusal reported" || fail "refusal not reported: $(cat "$TMP/err")"
expect_rc "bad policy OID: error" 2 "${SIGN[@]}" --tsa "$H/tsa" --tsa-policy nonsense \
    --out "$TMP/x.p7s" "$TMP/doc.txt"

# stamping an existing CMS, signer by signer
expect_rc "stamp an existing CMS" 0 "$QTB" sign --tsa "$H/tsa" --out "$TMP/s.p7s" "$TMP/u.p7s"
expect_rc "verify it" 0 "$QTB" verify --json --trust "$P/trust/rsa" "$TMP/s.p7s"
cp "$TMP/out" "$TMP/v.json"
tsfield "existing CMS: timestamp passed" "d['signatures'][0]['checks']['timestamp']" PASSED
expect_rc "stamp signer 2 of a one-signer CMS: error" 2 "$QTB" sign --tsa "$H/tsa" --signer 2 \
    --out "$TMP/x.p7s" "$TMP/u.p7s"

# answers that must not be embedded
expect_rc "replayed answer about other data: refused" 2 "${SIGN[@]}" --tsa "$H/other.tsr" \
    --out "$TMP/x.p7s" "$TMP/doc.txt"
grep -q "imprint\|nonce" "$TMP/err" && ok "replay: named" || fail "replay: $(cat "$TMP/err")"
expect_rc "junk answer: refused" 2 "${SIGN[@]}" --tsa "$H/junk.tsr" --out "$TMP/x.p7s" "$TMP/doc.txt"
expect_rc "TSA 404: refused" 2 "${SIGN[@]}" --tsa "$H/missing" --out "$TMP/x.p7s" "$TMP/doc.txt"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_rc "TSA down: refused" 2 "${SIGN[@]}" --tsa "http://127.0.0.1:$port/" --out "$TMP/x.p7s" \
    "$TMP/doc.txt"
[ -e "$TMP/x.p7s" ] && fail "a failed stamp left an output file" || ok "no output on failure"
expect_rc "--tsa-policy without --tsa: usage" 2 "${SIGN[@]}" --tsa-policy 1.2.3.4.1 \
    --out "$TMP/x.p7s" "$TMP/doc.txt"

finish
