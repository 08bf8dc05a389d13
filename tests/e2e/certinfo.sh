#!/usr/bin/env bash
# qoltanba certinfo end to end: real NCA test key stores and CAs, the generated test PKI
# (MANIFEST.tsv), passwords from file and environment (never argv), and bad input.
. "$(dirname "$0")/lib.sh"

REAL="$SHARED/fixtures-real"
PWF="$TMP/pw.txt"
printf 'Qwerty12\n' >"$PWF"
printf 'nope\n' >"$TMP/bad.txt"

# Python starts slowly on a busy machine: JSON checks are queued (jcheck) and run in one
# interpreter (jrun), which prints the usual ok/FAIL lines.
JN=0
jsave() { JN=$((JN + 1)); cp "$TMP/out" "$TMP/j$JN.json"; }
jcheck() { printf '%s\t%s\t%s\t%s\n' "$1" "$TMP/j$JN.json" "$2" "$3" >>"$TMP/checks.tsv"; }
jrun() {
    [ -s "$TMP/checks.tsv" ] || return 0
    local line
    while IFS= read -r line; do
        case "$line" in
        ok*) ok "${line#ok }" ;;
        *) fail "${line#FAIL }" ;;
        esac
    done < <(python3 - "$TMP/checks.tsv" <<'PY'
import json, sys
cache = {}
for row in open(sys.argv[1], encoding="utf-8"):
    name, path, expr, want = row.rstrip("\n").split("\t")
    try:
        d = cache.setdefault(path, None) or json.load(open(path, encoding="utf-8"))
        cache[path] = d
        got = str(eval(expr, {"d": d}))
    except Exception as e:  # a missing key is a failure, not a crash of the test
        got = "error: %s" % e
    print(("ok %s" % name) if got == want else ("FAIL %s: got '%s', want '%s'" % (name, got, want)))
PY
)
    : >"$TMP/checks.tsv"
}

# --help and usage errors
expect_rc "help exits 0" 0 "$QTB" certinfo --help
grep -q -- "--password-file" "$TMP/out" && ok "help names --password-file" || fail "help text"
expect_rc "no file is a usage error" 2 "$QTB" certinfo
expect_rc "unknown option" 2 "$QTB" certinfo --frobnicate x.pem
expect_rc "missing file" 2 "$QTB" certinfo "$TMP/does-not-exist.pem"
grep -q "does-not-exist" "$TMP/err" && ok "missing file is named" || fail "missing file message"
expect_rc "a directory is not a file" 2 "$QTB" certinfo "$TMP"

if need_shared; then
    # name|password|iin|bin|roles|algorithm (SOURCES.md p12 table)
    while IFS='|' read -r name pw iin bin roles alg; do
        f="$REAL/p12/$name.p12"
        export QTB_E2E_PW="$pw"
        expect_rc "$name: --json with --password-env" 0 "$QTB" certinfo --password-env QTB_E2E_PW --json "$f"
        jsave
        jcheck "$name: iin" "d['certificate']['iin']" "$iin"
        jcheck "$name: bin" "d['certificate']['bin']" "$bin"
        jcheck "$name: roles" "','.join(d['certificate']['roles'])" "$roles"
        jcheck "$name: algorithm" "d['certificate']['publicKeyAlgorithm']" "$alg"
        jcheck "$name: chain" "len(d['chain'])" "0"
        jcheck "$name: iinValid" \
            "d['certificate']['iinValid']" "$([ "$iin" = None ] && echo None || echo False)"
        # Wrong password: exit 2 with the words "wrong password".
        export QTB_E2E_PW="${pw}x"
        expect_rc "$name: wrong password exits 2" 2 "$QTB" certinfo --password-env QTB_E2E_PW "$f"
        grep -q "wrong password" "$TMP/err" && ok "$name: says wrong password" ||
            fail "$name: wrong-password message: $(cat "$TMP/err")"
    done <<'EOF'
gost2015_individual_valid_2026|Qwerty12|123456789011|None|INDIVIDUAL|GOST34.10-2015-512
gost2015_individual_revoked_2026|Qwerty12|123456789011|None|INDIVIDUAL|GOST34.10-2015-512
gost2015_legal_ceo_valid_2026|Qwerty12|123456789011|123456789021|ORGANIZATION,CEO|GOST34.10-2015-512
gost2015_legal_ceo_revoked_2026|Qwerty12|123456789011|123456789021|ORGANIZATION,CEO|GOST34.10-2015-512
gost2015_legal_employee_valid_2026|Qwerty12|123456789012|123456789021|ORGANIZATION,EMPLOYEE|GOST34.10-2015-512
gost2015_legal_signright_valid_2026|Qwerty12|123456789012|123456789021|ORGANIZATION,CAN_SIGN|GOST34.10-2015-512
gost2015_legal_infosystem_valid_2026|Qwerty12|None|123456789021|ORGANIZATION,INFORMATION_SYSTEM|GOST34.10-2015-512
gost2015_legal_treasury_client_valid_2026|Qwerty12|123456789012|123456789021|ORGANIZATION,TREASURY_CLIENT|GOST34.10-2015-512
gost2015_legal_ceo_2024|Qwerty12|123456789011|123456789021|ORGANIZATION,CEO|GOST34.10-2015-512
gost2015_individual_2022|Aa123456|123456789012|None|INDIVIDUAL|GOST34.10-2015-512
rsa_individual_sign_2021|Qwerty12|123456789011|None|INDIVIDUAL|RSA
rsa_individual_auth_revoked_2022|Qwerty12|123456789011|None|INDIVIDUAL|RSA
gost2004_legal_ceo_sign_revoked_2022|Qwerty12|123456789011|123456789021|ORGANIZATION,CEO|GOST34.310-2004
EOF
    unset QTB_E2E_PW

    ceo="$REAL/p12/gost2015_legal_ceo_valid_2026.p12"
    # Password from a file; human card shows the IIN, BIN, roles and the checksum finding.
    expect_rc "password from file" 0 "$QTB" certinfo --password-file "$PWF" "$ceo"
    grep -q "123456789011" "$TMP/out" && ok "card shows the IIN" || fail "card lacks the IIN"
    grep -q "123456789021" "$TMP/out" && ok "card shows the BIN" || fail "card lacks the BIN"
    grep -q "ORGANIZATION, CEO" "$TMP/out" && ok "card shows the roles" || fail "card lacks roles"
    grep -q "checksum FAILS" "$TMP/out" && ok "card flags the test IIN" || fail "card checksum"
    expect_rc "--password-file=F form" 0 "$QTB" certinfo --password-file="$PWF" --json "$ceo"
    expect_rc "wrong password from file" 2 "$QTB" certinfo --password-file "$TMP/bad.txt" "$ceo"
    grep -q "wrong password" "$TMP/err" && ok "file: says wrong password" || fail "file message"
    # Never from argv: there is no option for it, and the error says where to put it.
    expect_rc "--password on argv is refused" 2 "$QTB" certinfo --password Qwerty12 "$ceo"
    grep -q "never taken from the command line" "$TMP/err" && ok "argv refusal explains" ||
        fail "argv refusal message: $(cat "$TMP/err")"
    expect_rc "--password=X on argv is refused" 2 "$QTB" certinfo --password=Qwerty12 "$ceo"
    expect_rc "both password sources" 2 "$QTB" certinfo --password-file "$PWF" --password-env HOME "$ceo"
    expect_rc "unset password variable" 2 env -u QTB_NOPE "$QTB" certinfo --password-env QTB_NOPE "$ceo"
    # No terminal and no password option: a clear error, not a hang.
    if command -v setsid >/dev/null; then
        expect_rc "no tty, no password" 2 setsid -w "$QTB" certinfo "$ceo" </dev/null
        grep -q -- "--password-file" "$TMP/err" && ok "no-tty message names the options" ||
            fail "no-tty message: $(cat "$TMP/err")"
    else
        skip "setsid not available"
    fi

    # Truncated and tampered key stores: exit 2 with a reason, never a crash.
    head -c 1000 "$ceo" >"$TMP/trunc.p12"
    expect_rc "truncated p12" 2 "$QTB" certinfo --password-file "$PWF" "$TMP/trunc.p12"
    grep -q "error:" "$TMP/err" && ok "truncated p12 has a reason" || fail "truncated message"

    # The six CA certificates (no password asked, none needed).
    for ca in root_test_gost_2022.cer nca_gost2022_test.cer root_rsa_test.pem nca_rsa_test.crt \
        root_gost_test.crt nca_gost_test.crt; do
        expect_rc "CA $ca" 0 "$QTB" certinfo --json "$REAL/ca/$ca" </dev/null
        jsave
        jcheck "CA $ca: isCA" "d['certificate']['isCA']" "True"
        jcheck "CA $ca: no IIN" "d['certificate']['iin']" "None"
        jcheck "CA $ca: not unknown algorithm" \
            "d['certificate']['publicKeyAlgorithm'] in ('RSA','GOST34.10-2015-512','GOST34.310-2004')" "True"
    done
    expect_rc "CA human card" 0 "$QTB" certinfo "$REAL/ca/root_test_gost_2022.cer"
    grep -q "self-signed root" "$TMP/out" && ok "root card says self-signed" || fail "root card"

    # The same certificate as DER, PEM and bare base64 gives the same JSON.
    gost_ee="$REAL/gost/gost2004_legal_ceo_valid_sign_2022.cer"
    expect_rc "PEM end-entity certificate" 0 "$QTB" certinfo --json "$gost_ee"
    jsave
    cp "$TMP/out" "$TMP/pem.json"
    grep -v -- ----- "$gost_ee" | base64 -d >"$TMP/ee.der"
    base64 -w 64 "$TMP/ee.der" >"$TMP/ee.b64"
    expect_rc "DER certificate" 0 "$QTB" certinfo --json "$TMP/ee.der"
    cmp -s "$TMP/out" "$TMP/pem.json" && ok "DER and PEM agree" || fail "DER and PEM differ"
    expect_rc "base64 certificate" 0 "$QTB" certinfo --json "$TMP/ee.b64"
    cmp -s "$TMP/out" "$TMP/pem.json" && ok "base64 and PEM agree" || fail "base64 and PEM differ"
    jcheck "GOST 2004 certificate: roles" \
        "','.join(d['certificate']['roles'])" "ORGANIZATION,CEO"

    # Two certificates in one PEM: refused with the count.
    cat "$REAL/ca/root_rsa_test.pem" "$gost_ee" >"$TMP/two.pem"
    expect_rc "two-certificate PEM" 2 "$QTB" certinfo "$TMP/two.pem"
    grep -q "holds 2 certificates" "$TMP/err" && ok "two-cert message" || fail "two-cert: $(cat "$TMP/err")"
    head -c 300 "$gost_ee" >"$TMP/trunc.pem"
    expect_rc "truncated PEM" 2 "$QTB" certinfo "$TMP/trunc.pem"
    head -c 200 "$TMP/ee.der" >"$TMP/trunc.der"
    expect_rc "truncated DER" 2 "$QTB" certinfo "$TMP/trunc.der"
fi

# Empty file and garbage.
: >"$TMP/empty.pem"
expect_rc "empty file" 2 "$QTB" certinfo "$TMP/empty.pem"
grep -q "empty" "$TMP/err" && ok "empty file message" || fail "empty message: $(cat "$TMP/err")"
head -c 2000 /dev/urandom >"$TMP/garbage.bin"
expect_rc "random bytes" 2 "$QTB" certinfo "$TMP/garbage.bin"
printf 'hello, I am not a certificate\n' >"$TMP/garbage.txt"
expect_rc "text garbage" 2 "$QTB" certinfo "$TMP/garbage.txt"
grep -q "not a readable certificate or PKCS#12" "$TMP/err" && ok "garbage message" ||
    fail "garbage message: $(cat "$TMP/err")"

# The generated test PKI: every MANIFEST row, certificate and both PKCS#12 flavours.
PKI="$FIX/pki"
if [ -f "$PKI/MANIFEST.tsv" ]; then
    rows=0
    while IFS=$'\t' read -r name _ _ _ iin bin roles iin_valid bin_valid _ nb na _; do
        [ "$name" = name ] && continue
        rows=$((rows + 1))
        want_iin=$([ "$iin" = - ] && echo None || echo "$iin")
        want_bin=$([ "$bin" = - ] && echo None || echo "$bin")
        want_iv=$([ "$iin_valid" = - ] && echo None || ([ "$iin_valid" = true ] && echo True || echo False))
        want_bv=$([ "$bin_valid" = - ] && echo None || ([ "$bin_valid" = true ] && echo True || echo False))
        for f in "$PKI/certs/$name.pem" "$PKI/p12/$name.p12" "$PKI/p12/$name.legacy.p12"; do
            [ -f "$f" ] || { fail "$f missing"; continue; }
            label="pki $(basename "$f")"
            expect_rc "$label" 0 "$QTB" certinfo --password-file "$PKI/password.txt" --json "$f"
            jsave
            jcheck "$label: iin" "d['certificate']['iin']" "$want_iin"
            jcheck "$label: bin" "d['certificate']['bin']" "$want_bin"
            jcheck "$label: roles" "','.join(d['certificate']['roles'])" "$roles"
            jcheck "$label: iinValid" "d['certificate']['iinValid']" "$want_iv"
            jcheck "$label: binValid" "d['certificate']['binValid']" "$want_bv"
            jcheck "$label: validity" \
                "d['certificate']['notBefore'] + ' ' + d['certificate']['notAfter']" "$nb $na"
        done
    done <"$PKI/MANIFEST.tsv"
    [ "$rows" -gt 0 ] && ok "generated PKI: $rows rows checked" || fail "generated PKI: empty MANIFEST"
    first=$(awk -F'\t' 'NR==2{print $1}' "$PKI/MANIFEST.tsv")
    expect_rc "generated p12, wrong password" 2 "$QTB" certinfo --password-file "$TMP/bad.txt" \
        "$PKI/p12/$first.p12"
else
    skip "no generated PKI at $PKI (fixtures target not built)"
fi

jrun
finish
