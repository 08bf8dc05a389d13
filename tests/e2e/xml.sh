#!/usr/bin/env bash
# XMLDSig through the CLI: sign --xml (one and two signers), verify (report and exit codes),
# xmlsec1 as an independent verifier of our output, the real NCA samples, and the hostile
# inputs (XXE with a real local secret, billion laughs under a memory limit, no signature).
source "$(dirname "$0")/lib.sh"

PKI=$FIX/pki
PW=$PKI/password.txt
IN=$TMP/in.xml
printf '<?xml version="1.0" encoding="UTF-8"?>\n<application><!-- c -->\n  <applicant>Әлия</applicant>\n  <amount>100</amount>\n</application>\n' >"$IN"

# ---- sign and verify ------------------------------------------------------------------------
expect_rc "sign --xml (RSA individual)" 0 \
    "$QTB" sign --xml --p12 "$PKI/p12/rsa_individual_sign.p12" --password-file "$PW" \
    --out "$TMP/one.xml" "$IN"
expect_rc "verify signed XML: TOTAL_PASSED, exit 0" 0 \
    "$QTB" verify --trust "$PKI/trust/rsa" --json "$TMP/one.xml"
cp "$TMP/out" "$TMP/one.json"
json_eq "format is XMLDSIG" "$TMP/one.json" "d['format']" "XMLDSIG"
json_eq "signer IIN" "$TMP/one.json" "d['signatures'][0]['signer']['iin']" "900315400126"
json_eq "covers the whole document" "$TMP/one.json" \
    "d['signatures'][0]['covers']['wholeDocument']" "True"

expect_rc "sign --xml again (CEO, --password-env): a second signature" 0 \
    env QTB_PW_E2E="$(head -n1 "$PW")" "$QTB" sign --xml --p12 "$PKI/p12/rsa_ceo_sign.p12" \
    --password-env QTB_PW_E2E --out "$TMP/two.xml" "$TMP/one.xml"
expect_rc "two signatures verify" 0 "$QTB" verify --trust "$PKI/trust/rsa" --json "$TMP/two.xml"
cp "$TMP/out" "$TMP/two.json"
json_eq "both reported" "$TMP/two.json" "len(d['signatures'])" "2"
json_eq "second signer is the CEO (BIN)" "$TMP/two.json" "d['signatures'][1]['signer']['bin']" \
    "040540000123"

json_eq "checks: the CMS report's four, each judged" "$TMP/one.json" \
    "' '.join(k + '=' + v for k, v in d['signatures'][0]['checks'].items())" \
    "signatureValue=PASSED messageDigest=PASSED chain=PASSED timestamp=NOT_CHECKED"

sed 's|<amount>100<|<amount>900<|' "$TMP/one.xml" >"$TMP/changed.xml"
expect_rc "text changed after signing: exit 1" 1 \
    "$QTB" verify --trust "$PKI/trust/rsa" --json "$TMP/changed.xml"
json_eq "changed text: messageDigest FAILED, the later steps NOT_CHECKED" "$TMP/out" \
    "' '.join(k + '=' + v for k, v in d['signatures'][0]['checks'].items())" \
    "signatureValue=PASSED messageDigest=FAILED chain=NOT_CHECKED timestamp=NOT_CHECKED"
expect_rc "sign with a key of an untrusted CA" 0 \
    "$QTB" sign --xml --p12 "$PKI/p12/rsa_untrusted.p12" --password-file "$PW" \
    --out "$TMP/untrusted.xml" "$IN"
expect_rc "untrusted signer: INDETERMINATE, exit 3" 3 \
    "$QTB" verify --trust "$PKI/trust/rsa" "$TMP/untrusted.xml"
expect_rc "no signature at all: exit 3 (not TOTAL_PASSED)" 3 \
    "$QTB" verify --trust "$PKI/trust/rsa" "$IN"

# ---- xmlsec1 as an independent verifier ---------------------------------------------------
if command -v xmlsec1 >/dev/null; then
    for k in rsa_individual_sign:rsa ec_individual_sign:ec; do
        name=${k%%:*}
        h=${k##*:}
        "$QTB" sign --xml --p12 "$PKI/p12/$name.p12" --password-file "$PW" --out "$TMP/x.xml" "$IN"
        expect_rc "xmlsec1 --verify accepts our $name signature" 0 \
            xmlsec1 --verify --enabled-reference-uris empty,same-doc \
            --trusted-pem "$PKI/$h/root.pem" --untrusted-pem "$PKI/$h/ca.pem" \
            --enabled-key-data x509 "$TMP/x.xml"
        sed 's|<amount>100<|<amount>101<|' "$TMP/x.xml" >"$TMP/x-bad.xml"
        expect_rc "xmlsec1 --verify rejects it once changed ($name)" 1 \
            xmlsec1 --verify --enabled-reference-uris empty,same-doc \
            --trusted-pem "$PKI/$h/root.pem" --untrusted-pem "$PKI/$h/ca.pem" \
            --enabled-key-data x509 "$TMP/x-bad.xml"
    done
else
    skip "xmlsec1 not installed"
fi

# ---- hostile input --------------------------------------------------------------------------
SECRET="qtb-e2e-secret-$$-$RANDOM"
printf '%s\n' "$SECRET" >"$TMP/secret.txt"
cat >"$TMP/xxe.xml" <<EOF
<?xml version="1.0"?>
<!DOCTYPE a [<!ENTITY xxe SYSTEM "file://$TMP/secret.txt">]>
<a><b>&xxe;</b><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></a>
EOF
expect_rc "XXE document: refused (exit 1)" 1 "$QTB" verify --json "$TMP/xxe.xml"
if grep -q "$SECRET" "$TMP/out" "$TMP/err"; then
    fail "the XXE secret appeared in the output"
else
    ok "the XXE secret never appears in stdout or stderr"
fi
json_eq "XXE: FORMAT_FAILURE" "$TMP/out" "d['subIndication']" "FORMAT_FAILURE"

{
    printf '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    prev=lol
    for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
        printf '<!ENTITY lol%d "' "$i"
        for _ in 1 2 3 4 5 6 7 8 9 10; do printf '&%s;' "$prev"; done
        printf '">\n'
        prev=lol$i
    done
    printf ']>\n<lolz>&%s;</lolz>\n' "$prev"
} >"$TMP/laughs.xml"
start=$(date +%s%N)
if ldd "$QTB" 2>/dev/null | grep -q libasan; then
    # ASan reserves terabytes of shadow address space: no ulimit -v under it.
    expect_rc "billion laughs: refused (exit 1)" 1 "$QTB" verify "$TMP/laughs.xml"
    skip "address-space limit not applied under AddressSanitizer"
else
    expect_rc "billion laughs under a 64 MiB address-space limit: refused (exit 1)" 1 \
        bash -c "ulimit -v 65536; exec \"$QTB\" verify \"$TMP/laughs.xml\""
fi
ms=$((($(date +%s%N) - start) / 1000000))
if [ "$ms" -lt 1000 ]; then
    ok "billion laughs answered in ${ms} ms (< 1 s)"
else
    fail "billion laughs took ${ms} ms"
fi

# ---- real NCA (Kalkan) samples --------------------------------------------------------------
if need_shared; then
    RX=$SHARED/fixtures-real
    mkdir -p "$TMP/nca"
    cp "$RX/ca/root_rsa_test.pem" "$RX/ca/nca_rsa_test.crt" "$TMP/nca/"
    expect_rc "real NCA RSA sample at a time inside validity: exit 0" 0 \
        "$QTB" verify --trust "$TMP/nca" --at 2021-06-01T00:00:00Z --json \
        "$RX/xml/rsa_individual_enveloped.xml"
    json_eq "real NCA RSA signer IIN" "$TMP/out" "d['signatures'][0]['signer']['iin']" \
        "123456789011"
    expect_rc "same sample today (certificate expired): not passed" 3 \
        "$QTB" verify --trust "$TMP/nca" "$RX/xml/rsa_individual_enveloped.xml"
    cp "$RX/ca/root_test_gost_2022.cer" "$RX/ca/nca_gost2022_test.cer" \
        "$RX/ca/nca_gost2022_test.crl" "$TMP/nca/"
    # The RSA certificate expired (2022-01-18) before the GOST one began (2022-07-28): each
    # signature passes at a time inside its own certificate's validity.
    expect_rc "two-signature sample at 2021-06-01: RSA passes, GOST not yet valid" 1 \
        "$QTB" verify --trust "$TMP/nca" --at 2021-06-01T00:00:00Z --json \
        "$RX/xml/rsa_and_gost2015_two_signatures.xml"
    json_eq "both signatures reported" "$TMP/out" "len(d['signatures'])" "2"
    json_eq "first (RSA) passes" "$TMP/out" "d['signatures'][0]['indication']" "TOTAL_PASSED"
    json_eq "second (GOST) not yet valid" "$TMP/out" "d['signatures'][1]['subIndication']" \
        "NOT_YET_VALID"
    expect_rc "two-signature sample at 2022-09-28" 3 \
        "$QTB" verify --trust "$TMP/nca" --at 2022-09-28T00:00:00Z --json \
        "$RX/xml/rsa_and_gost2015_two_signatures.xml"
    json_eq "second (GOST) passes" "$TMP/out" "d['signatures'][1]['indication']" "TOTAL_PASSED"
    json_eq "second (GOST) signer IIN" "$TMP/out" "d['signatures'][1]['signer']['iin']" \
        "123456789012"
    json_eq "first (RSA) expired by then" "$TMP/out" "d['signatures'][0]['subIndication']" \
        "OUT_OF_BOUNDS_NO_POE"
    expect_rc "GOST CEO sample at 2025-03-01: exit 0" 0 \
        "$QTB" verify --trust "$TMP/nca" --at 2025-03-01T00:00:00Z --json \
        "$RX/xml/gost2015_legal_ceo_enveloped.xml"
    json_eq "GOST CEO: BIN" "$TMP/out" "d['signatures'][0]['signer']['bin']" "123456789021"
    # Flipped bytes: the signed text, then the GOST DigestValue of the two-signature file.
    sed 's/QCxn00hfuH9zCv58/RCxn00hfuH9zCv58/' "$RX/xml/gost2015_legal_ceo_enveloped.xml" \
        >"$TMP/ceo_tampered.xml"
    expect_rc "GOST CEO sample, text changed: exit 1" 1 \
        "$QTB" verify --trust "$TMP/nca" --at 2025-03-01T00:00:00Z --json "$TMP/ceo_tampered.xml"
    json_eq "GOST CEO tampered: HASH_FAILURE" "$TMP/out" "d['subIndication']" "HASH_FAILURE"
    python3 - "$RX/xml/rsa_and_gost2015_two_signatures.xml" "$TMP/two_flipped.xml" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
i = b.rindex(b"<ds:SignatureValue>") + len(b"<ds:SignatureValue>")
while b[i:i + 1] in (b"\n", b"\r"):
    i += 1
t = bytearray(b); t[i + 4] = ord("B") if t[i + 4] == ord("A") else ord("A")
open(sys.argv[2], "wb").write(t)
EOF
    expect_rc "two-signature sample, GOST SignatureValue changed: exit 1" 1 \
        "$QTB" verify --trust "$TMP/nca" --at 2022-09-28T00:00:00Z --json "$TMP/two_flipped.xml"
    json_eq "GOST flipped: SIG_CRYPTO_FAILURE" "$TMP/out" "d['signatures'][1]['subIndication']" \
        "SIG_CRYPTO_FAILURE"
fi

# Crypto policy: an MD5-signed CA certificate is refused by default, accepted on request.
if need_shared; then
    phaos=$SHARED/conformance/xmldsig/xmlsec/phaos-xmldsig-three
    mkdir -p "$TMP/phaos-trust"
    cp "$phaos/certs/rsa-ca-cert.der" "$TMP/phaos-trust/ca.der"
    expect_rc "RSA-MD5 CA refused by default" 3 "$QTB" verify --trust "$TMP/phaos-trust" \
        --at 2009-01-01T10:00:00Z "$phaos/signature-rsa-enveloped.xml"
    if grep -q "weak signature algorithm RSA-MD5" "$TMP/out"; then
        ok "the refusal names md5WithRSAEncryption"
    else
        fail "the refusal does not name the algorithm: $(head -c 300 "$TMP/out")"
    fi
    expect_rc "RSA-MD5 CA accepted with --allow-weak-crypto" 0 "$QTB" verify --allow-weak-crypto \
        --trust "$TMP/phaos-trust" --at 2009-01-01T10:00:00Z "$phaos/signature-rsa-enveloped.xml"
fi

finish
