#!/usr/bin/env bash
# The verification report is a contract (schemas/report.schema.json, described in
# schemas/README.md): reports made here for every kind of outcome, CMS and XML, test PKI and the
# real NCA RK samples, the whole external conformance corpus, the HTTP answers and the reports a
# batch stores must all validate; the schema must reject broken reports (negative twins); and its
# enums must match the C tables they mirror. The checking is done by report_schema.py.
. "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${QTB_SOURCE_DIR:?}
P=$FIX/pki
if ! python3 -c 'import jsonschema; jsonschema.Draft202012Validator' 2>/dev/null; then
    if [ "${CI:-}" = "true" ]; then
        fail "python3-jsonschema (draft 2020-12) missing under CI: bash .ci/deps"
    else
        skip "python3-jsonschema (draft 2020-12) not installed: bash .ci/deps"
    fi
    finish
fi
[ -f "$P/MANIFEST.tsv" ] || { fail "no generated test PKI at $P"; finish; }

R=$TMP/reports
LIST=$TMP/list.tsv
mkdir -p "$R"
: >"$LIST"
N=0

# rep NAME WANT_RC WANT_SUB ARGS...: `qoltanba verify --json ARGS`, kept for validation.
# WANT_RC is 0, 1 or 3 (or - for any verdict); WANT_SUB the top-level subIndication (null for
# none, - for any). Exit 2 (no report) always fails.
rep() {
    local name=$1 want=$2 sub=$3 got=0
    shift 3
    N=$((N + 1))
    local f=$R/$N.json
    "$QTB" verify --json "$@" >"$f" 2>"$TMP/err" || got=$?
    if [ "$got" = 2 ] || { [ "$want" != - ] && [ "$got" != "$want" ]; }; then
        fail "$name: exit $got, want $want; $(head -c 300 "$TMP/err")"
        return
    fi
    printf 'report\t%s\t%s\t%s\t%s\t%s\n' "$name" "$f" "$want" "$got" "$sub" >>"$LIST"
}
# other KIND NAME FILE: a file to validate (certinfo, http, store).
other() { printf '%s\t%s\t%s\t-\t-\t-\n' "$1" "$2" "$3" >>"$LIST"; }
TRUST=(--trust "$P/trust/all")

# ---- CMS over the test PKI --------------------------------------------------------------------
printf 'Өтініш: report schema\n' >"$TMP/doc.txt"
printf 'Өтініш: report schema!\n' >"$TMP/other.txt"
osign() { # osign KEY OUT [openssl cms args...]
    local key=$1 o=$2
    shift 2
    openssl cms -sign -binary -md sha256 -in "$TMP/doc.txt" -signer "$P/certs/$key.pem" \
        -inkey "$P/keys/$key.key.pem" -outform DER -out "$o" "$@"
}
osign rsa_individual_sign "$TMP/att.p7s" -nodetach
osign rsa_individual_sign "$TMP/det.p7s"
osign rsa_individual_sign "$TMP/noattr.p7s" -nodetach -noattr
osign ec_individual_sign "$TMP/ec.p7s" -nodetach
osign rsa_ceo_sign "$TMP/two.p7s" -nodetach -signer "$P/certs/ec_ceo_sign.pem" \
    -inkey "$P/keys/ec_ceo_sign.key.pem"
for k in rsa_revoked rsa_expired rsa_notyet rsa_untrusted rsa_badiin rsa_pss_sign; do
    osign "$k" "$TMP/$k.p7s" -nodetach
done
rep "CMS attached" 0 null "${TRUST[@]}" "$TMP/att.p7s"
rep "CMS detached" 0 null "${TRUST[@]}" --content "$TMP/doc.txt" "$TMP/det.p7s"
rep "CMS detached, other content" 1 HASH_FAILURE "${TRUST[@]}" --content "$TMP/other.txt" "$TMP/det.p7s"
rep "CMS detached, no content" 3 SIGNED_DATA_NOT_FOUND "${TRUST[@]}" "$TMP/det.p7s"
rep "CMS without signed attributes" 0 null "${TRUST[@]}" "$TMP/noattr.p7s"
rep "CMS ECDSA" 0 null "${TRUST[@]}" "$TMP/ec.p7s"
rep "CMS two signers (RSA + ECDSA)" 0 null "${TRUST[@]}" "$TMP/two.p7s"
openssl cms -sign -binary -nodetach -md sha256 -in "$TMP/doc.txt" -signer "$P/rsa/ca.pem" \
    -inkey "$P/rsa/ca.key.pem" -outform DER -out "$TMP/by_ca.p7s"
osign rsa_individual_sign "$TMP/md5.p7s" -nodetach -md md5
rep "CMS signed by a CA key (no digitalSignature)" 3 CHAIN_CONSTRAINTS_FAILURE "${TRUST[@]}" "$TMP/by_ca.p7s"
rep "CMS with MD5" 3 CRYPTO_CONSTRAINTS_FAILURE "${TRUST[@]}" "$TMP/md5.p7s"
rep "CMS revoked" 1 REVOKED "${TRUST[@]}" "$TMP/rsa_revoked.p7s"
rep "CMS expired" 3 OUT_OF_BOUNDS_NO_POE "${TRUST[@]}" "$TMP/rsa_expired.p7s"
rep "CMS not yet valid" 1 NOT_YET_VALID "${TRUST[@]}" "$TMP/rsa_notyet.p7s"
rep "CMS untrusted CA" 3 NO_CERTIFICATE_CHAIN_FOUND "${TRUST[@]}" "$TMP/rsa_untrusted.p7s"
rep "CMS IIN with a bad check digit" 0 null "${TRUST[@]}" "$TMP/rsa_badiin.p7s"
rep "CMS RSA-PSS" - - "${TRUST[@]}" "$TMP/rsa_pss_sign.p7s"
rep "CMS without trust anchors" 3 NO_CERTIFICATE_CHAIN_FOUND "$TMP/att.p7s"
rep "CMS --no-chain" 3 NO_CERTIFICATE_CHAIN_FOUND --no-chain "${TRUST[@]}" "$TMP/att.p7s"
rep "CMS stale CRL" 3 TRY_LATER --trust "$P/trust/rsa-stale" "$TMP/att.p7s"
python3 - "$TMP/att.p7s" "$TMP" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
t = bytearray(b); i = b.index("report schema".encode()); t[i] ^= 1
open(sys.argv[2] + "/att_content.p7s", "wb").write(t)
t = bytearray(b); t[-10] ^= 1  # inside the RSA signature value, the last field
open(sys.argv[2] + "/att_sig.p7s", "wb").write(t)
open(sys.argv[2] + "/truncated.p7s", "wb").write(b[:len(b) // 2])
EOF
rep "CMS attached, content changed" 1 HASH_FAILURE "${TRUST[@]}" "$TMP/att_content.p7s"
rep "CMS signature value changed" 1 SIG_CRYPTO_FAILURE "${TRUST[@]}" "$TMP/att_sig.p7s"
rep "CMS truncated" 1 FORMAT_FAILURE "${TRUST[@]}" "$TMP/truncated.p7s"
printf 'not a signature at all' >"$TMP/garbage.bin"
: >"$TMP/empty.bin"
rep "garbage" 1 FORMAT_FAILURE "${TRUST[@]}" "$TMP/garbage.bin"
rep "empty file" 1 FORMAT_FAILURE "${TRUST[@]}" "$TMP/empty.bin"
openssl crl2pkcs7 -nocrl -certfile "$P/certs/rsa_individual_sign.pem" -outform DER \
    -out "$TMP/nosigner.p7s"
rep "CMS SignedData without a SignerInfo" 3 NO_SIGNATURE_FOUND "${TRUST[@]}" "$TMP/nosigner.p7s"
base64 -w0 "$TMP/att.p7s" >"$TMP/att.b64"
rep "CMS as bare base64 (NCALayer)" 0 null "${TRUST[@]}" "$TMP/att.b64"

# CAdES-T: a token from the test TSA (openssl ts, offline), and a token over another signature.
cms_sigvalue "$TMP/det.p7s" "$TMP/sv.bin"
cms_sigvalue "$TMP/att.p7s" "$TMP/osv.bin"
if tsa_token "$TMP/sv.bin" "$TMP/tok.der" && tsa_token "$TMP/osv.bin" "$TMP/otok.der" &&
    "$QTB" sign --timestamp-token "$TMP/tok.der" --out "$TMP/ts.p7s" "$TMP/det.p7s" &&
    "$QTB" sign --timestamp-token "$TMP/otok.der" --out "$TMP/fts.p7s" "$TMP/det.p7s"; then
    rep "CMS with a timestamp" 0 null "${TRUST[@]}" --content "$TMP/doc.txt" "$TMP/ts.p7s"
    rep "CMS with a timestamp over another signature" 0 null "${TRUST[@]}" \
        --content "$TMP/doc.txt" "$TMP/fts.p7s"
    rep "CMS with a timestamp, no trust" 3 NO_CERTIFICATE_CHAIN_FOUND --content "$TMP/doc.txt" \
        "$TMP/ts.p7s"
else
    fail "could not make timestamped CMS with openssl ts and 'qoltanba sign --timestamp-token'"
fi

# ---- XML over the test PKI --------------------------------------------------------------------
PW=$P/password.txt
printf '<?xml version="1.0" encoding="UTF-8"?>\n<application Id="app"><applicant>Әлия</applicant><amount>100</amount></application>\n' >"$TMP/in.xml"
xsign() { "$QTB" sign --xml --p12 "$P/p12/$1.p12" --password-file "$PW" --out "$3" "$2" >/dev/null; }
xsign rsa_individual_sign "$TMP/in.xml" "$TMP/one.xml"
xsign rsa_ceo_sign "$TMP/one.xml" "$TMP/two.xml"
xsign ec_individual_sign "$TMP/in.xml" "$TMP/ec.xml"
xsign rsa_revoked "$TMP/in.xml" "$TMP/revoked.xml"
xsign rsa_untrusted "$TMP/in.xml" "$TMP/untrusted.xml"
rep "XML pass" 0 null "${TRUST[@]}" "$TMP/one.xml"
rep "XML two signatures" 0 null "${TRUST[@]}" "$TMP/two.xml"
rep "XML ECDSA" 0 null "${TRUST[@]}" "$TMP/ec.xml"
rep "XML revoked" 1 REVOKED "${TRUST[@]}" "$TMP/revoked.xml"
rep "XML untrusted CA" 3 NO_CERTIFICATE_CHAIN_FOUND "${TRUST[@]}" "$TMP/untrusted.xml"
rep "XML without trust anchors" 3 NO_CERTIFICATE_CHAIN_FOUND "$TMP/one.xml"
rep "XML --no-chain" 3 NO_CERTIFICATE_CHAIN_FOUND --no-chain "${TRUST[@]}" "$TMP/one.xml"
sed 's|<amount>100<|<amount>900<|' "$TMP/one.xml" >"$TMP/changed.xml"
rep "XML text changed" 1 HASH_FAILURE "${TRUST[@]}" "$TMP/changed.xml"
python3 - "$TMP/one.xml" "$TMP" <<'EOF'
import re, sys
b = open(sys.argv[1], encoding="utf-8").read()
i = b.index("<ds:SignatureValue>") + len("<ds:SignatureValue>")
while b[i] in "\r\n":
    i += 1
open(sys.argv[2] + "/sigflip.xml", "w", encoding="utf-8").write(b[:i] + ("B" if b[i] == "A" else "A") + b[i + 1:])
# wrapping: the signed element duplicated under another parent, same Id
j = b.index("<application")
open(sys.argv[2] + "/dupid.xml", "w", encoding="utf-8").write(
    b.replace("</application>", '<wrap><application Id="app"><amount>900</amount></application></wrap></application>', 1))
# a Reference to an Id that is not in the document, and an unknown algorithm
open(sys.argv[2] + "/noref.xml", "w", encoding="utf-8").write(b.replace('URI=""', 'URI="#missing"', 1))
# ... whose Id is long and Kazakh: the message quotes it cut at 100 bytes, mid-letter
open(sys.argv[2] + "/longref.xml", "w", encoding="utf-8").write(b.replace('URI=""', 'URI="#' + "Ә" * 60 + '"', 1))
open(sys.argv[2] + "/badalg.xml", "w", encoding="utf-8").write(
    re.sub(r'SignatureMethod Algorithm="[^"]*"', 'SignatureMethod Algorithm="urn:x-unknown"', b, 1))
# KeyInfo without a certificate
open(sys.argv[2] + "/nokey.xml", "w", encoding="utf-8").write(re.sub(r"<ds:KeyInfo>.*?</ds:KeyInfo>", "", b, 1, re.S))
EOF
rep "XML SignatureValue changed" 1 SIG_CRYPTO_FAILURE "${TRUST[@]}" "$TMP/sigflip.xml"
rep "XML wrapping (duplicate Id)" 1 FORMAT_FAILURE "${TRUST[@]}" "$TMP/dupid.xml"
rep "XML Reference to a missing Id" 3 SIGNED_DATA_NOT_FOUND "${TRUST[@]}" "$TMP/noref.xml"
rep "XML Reference to a long Kazakh Id (message cut mid-letter)" 3 SIGNED_DATA_NOT_FOUND \
    "${TRUST[@]}" "$TMP/longref.xml"
rep "XML unknown SignatureMethod" 1 FORMAT_FAILURE "${TRUST[@]}" "$TMP/badalg.xml"
rep "XML without KeyInfo" 3 NO_SIGNING_CERTIFICATE_FOUND "${TRUST[@]}" "$TMP/nokey.xml"
rep "XML without a signature" 3 NO_SIGNATURE_FOUND "${TRUST[@]}" "$TMP/in.xml"
printf '<?xml version="1.0"?>\n<a><b>unclosed</a>\n' >"$TMP/broken.xml"
rep "XML not well-formed" 1 FORMAT_FAILURE "${TRUST[@]}" "$TMP/broken.xml"
printf '<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY x "y">]>\n<a>&x;<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></a>\n' >"$TMP/dtd.xml"
rep "XML with a DTD" 1 FORMAT_FAILURE "${TRUST[@]}" "$TMP/dtd.xml"
printf '<a><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></a>\n' >"$TMP/emptysig.xml"
rep "XML empty ds:Signature" 1 FORMAT_FAILURE "${TRUST[@]}" "$TMP/emptysig.xml"

# ---- certinfo --json --------------------------------------------------------------------------
for c in "$P"/certs/*.pem "$P"/rsa/root.pem "$P"/ec/ca.pem "$P"/tsa/tsa.pem; do
    N=$((N + 1))
    if "$QTB" certinfo --json "$c" >"$R/$N.json" 2>"$TMP/err"; then
        other certinfo "certinfo $(basename "$c")" "$R/$N.json"
    else
        fail "certinfo $c: $(head -c 300 "$TMP/err")"
    fi
done
N=$((N + 1))
if "$QTB" certinfo --json --password-file "$PW" "$P/p12/rsa_ceo_sign.p12" >"$R/$N.json" 2>"$TMP/err"; then
    other certinfo "certinfo rsa_ceo_sign.p12" "$R/$N.json"
else
    fail "certinfo p12: $(head -c 300 "$TMP/err")"
fi

# ---- the real NCA RK samples (../shared/fixtures-real) ----------------------------------------
if need_shared; then
    RX=$SHARED/fixtures-real
    mkdir -p "$TMP/nca" "$TMP/t2015"
    cp "$RX"/ca/* "$TMP/nca/"
    cp "$RX/ca/root_test_gost_2022.cer" "$RX/ca/nca_gost2022_test.cer" \
        "$RX/ca/nca_gost2022_test.crl" "$TMP/t2015/"
    NT=(--trust "$TMP/nca")
    AT=2021-07-11T00:00:00Z GAT=2022-09-28T00:00:00Z NOW=2026-11-01T00:00:00Z
    rep "NCA RSA attached at $AT" 0 null "${NT[@]}" --at $AT "$RX/cms/rsa_individual_attached.p7s"
    rep "NCA RSA attached now (expired)" 3 - "${NT[@]}" "$RX/cms/rsa_individual_attached.p7s"
    rep "NCA RSA attached, recorded OCSP" 0 null "${NT[@]}" --at $AT --revocation ocsp --offline \
        --ocsp-response "$RX/ocsp/rsa_individual_sign_2021_good.ocsp.der" \
        "$RX/cms/rsa_individual_attached.p7s"
    python3 - "$RX/cms/rsa_individual_attached.p7s" "$TMP/nca_tampered.p7s" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(b.replace(b"test123", b"test124"))
EOF
    rep "NCA RSA attached, content changed" 1 HASH_FAILURE "${NT[@]}" --at $AT "$TMP/nca_tampered.p7s"
    two=$RX/cms/gost2015_rsa_two_signers_attached.p7s
    rep "NCA GOST + RSA at $GAT" 3 OUT_OF_BOUNDS_NO_POE "${NT[@]}" --at $GAT "$two"
    rep "NCA GOST + RSA at $AT" 1 NOT_YET_VALID "${NT[@]}" --at $AT "$two"
    det=$RX/cms/gost2015_rsa_two_signers_detached.p7s
    rep "NCA GOST + RSA detached" 1 NOT_YET_VALID "${NT[@]}" --at $AT \
        --content "$RX/cms/gost2015_rsa_two_signers_detached.content.bin" "$det"
    rep "NCA GOST + RSA detached, no content" 3 SIGNED_DATA_NOT_FOUND "${NT[@]}" --at $AT "$det"
    tsp=$RX/cms/gost2015_legal_ceo_attached_tsp.p7s
    rep "NCA GOST with timestamp (TSA CA unknown)" 0 null "${NT[@]}" --at 2025-03-01T00:00:00Z "$tsp"
    python3 - "$tsp" "$TMP" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
def tlv(b, i):
    n = b[i + 1]
    if n < 0x80:
        return i + 2, i + 2 + n
    k = n & 0x7f
    return i + 2 + k, i + 2 + k + int.from_bytes(b[i + 2:i + 2 + k], "big")
oid = bytes.fromhex("060b2a864886f70d010910020e")  # id-aa-signatureTimeStampToken
s = tlv(b, b.index(oid) + len(oid))[0]
open(sys.argv[2] + "/token.der", "wb").write(b[s:tlv(b, s)[1]])
oid04 = bytes.fromhex("06092a830e030a01010102")  # the token's GOST 34.310-2004 signature
i = b.index(b"\x04\x40", b.rindex(oid04)) + 2
t = bytearray(b); t[i + 3] ^= 1
open(sys.argv[2] + "/flip_tsa.p7s", "wb").write(t)
EOF
    mkdir -p "$TMP/tsa_pinned"
    cp "$TMP/t2015"/* "$TMP/tsa_pinned/"
    openssl pkcs7 -inform DER -in "$TMP/token.der" -print_certs -out "$TMP/tsa_pinned/tsa.pem"
    rep "NCA GOST with timestamp, TSA pinned" 0 null --trust "$TMP/tsa_pinned" --at $NOW "$tsp"
    rep "NCA GOST with timestamp, token signature changed" 3 OUT_OF_BOUNDS_NO_POE \
        --trust "$TMP/tsa_pinned" --at $NOW "$TMP/flip_tsa.p7s"
    base64 -w0 "$tsp" >"$TMP/tsp.b64"
    rep "NCA GOST with timestamp as base64" 0 null "${NT[@]}" --at 2025-03-01T00:00:00Z "$TMP/tsp.b64"
    # Kalkan-format GOST signatures made here with the real 2026 test keys.
    export QTB_PW_RS=Qwerty12
    for k in gost2015_individual_valid_2026 gost2015_legal_ceo_valid_2026 gost2015_legal_ceo_revoked_2026; do
        "$QTB" sign --p12 "$RX/p12/$k.p12" --password-env QTB_PW_RS --out "$TMP/$k.p7s" "$TMP/doc.txt" ||
            fail "sign with $k"
        "$QTB" sign --xml --p12 "$RX/p12/$k.p12" --password-env QTB_PW_RS --out "$TMP/$k.xml" \
            "$TMP/in.xml" || fail "sign --xml with $k"
    done
    rep "GOST CMS individual" 0 null --trust "$TMP/t2015" --at $NOW "$TMP/gost2015_individual_valid_2026.p7s"
    rep "GOST CMS CEO" 0 null --trust "$TMP/t2015" --at $NOW "$TMP/gost2015_legal_ceo_valid_2026.p7s"
    rep "GOST CMS revoked" 1 REVOKED --trust "$TMP/t2015" --at $NOW "$TMP/gost2015_legal_ceo_revoked_2026.p7s"
    rep "GOST XML individual" 0 null --trust "$TMP/t2015" --at $NOW "$TMP/gost2015_individual_valid_2026.xml"
    rep "GOST XML CEO" 0 null --trust "$TMP/t2015" --at $NOW "$TMP/gost2015_legal_ceo_valid_2026.xml"
    rep "GOST XML revoked" 1 REVOKED --trust "$TMP/t2015" --at $NOW "$TMP/gost2015_legal_ceo_revoked_2026.xml"
    # The real Kalkan XML samples.
    rep "NCA RSA XML at 2021-06-01" 0 null "${NT[@]}" --at 2021-06-01T00:00:00Z \
        "$RX/xml/rsa_individual_enveloped.xml"
    rep "NCA RSA XML now (expired)" 3 - "${NT[@]}" "$RX/xml/rsa_individual_enveloped.xml"
    rep "NCA RSA + GOST XML at 2021-06-01" 1 NOT_YET_VALID "${NT[@]}" --at 2021-06-01T00:00:00Z \
        "$RX/xml/rsa_and_gost2015_two_signatures.xml"
    rep "NCA RSA + GOST XML at $GAT" 3 OUT_OF_BOUNDS_NO_POE "${NT[@]}" --at $GAT \
        "$RX/xml/rsa_and_gost2015_two_signatures.xml"
    rep "NCA GOST CEO XML" 0 null "${NT[@]}" --at 2025-03-01T00:00:00Z \
        "$RX/xml/gost2015_legal_ceo_enveloped.xml"
    sed 's/QCxn00hfuH9zCv58/RCxn00hfuH9zCv58/' "$RX/xml/gost2015_legal_ceo_enveloped.xml" \
        >"$TMP/ceo_tampered.xml"
    rep "NCA GOST CEO XML, text changed" 1 HASH_FAILURE "${NT[@]}" --at 2025-03-01T00:00:00Z \
        "$TMP/ceo_tampered.xml"
    for c in "$RX"/ca/*.crt "$RX"/ca/*.cer "$RX"/ca/*.pem "$RX"/gost/*.cer; do
        N=$((N + 1))
        "$QTB" certinfo --json "$c" >"$R/$N.json" 2>"$TMP/err" &&
            other certinfo "certinfo $(basename "$c")" "$R/$N.json" ||
            fail "certinfo $c: $(head -c 300 "$TMP/err")"
    done
fi

# ---- every row of the external conformance corpus (../shared/conformance) ---------------------
# Anchors into a per-row --trust folder, untrusted= into --untrusted, time= into --at,
# noverify into --no-chain. Pinned keys (cert=, pubkey=, hmac=) have no CLI option: those rows
# are verified without them (the report must still be well formed). Any verdict is accepted
# here (cms_conformance.sh and the xmldsig conformance unit test judge them). Rows refused by
# the default crypto policy run once more with --allow-weak-crypto, as the reference tools would.
if need_shared; then
    CONF=$SHARED/conformance
    rows=0
    while IFS=$'\t' read -r id kind file content trust expected reason source; do
        [ "$id" = id ] && continue
        rows=$((rows + 1))
        dir=$TMP/conf/$id
        mkdir -p "$dir"
        args=(--trust "$dir")
        IFS=';' read -ra toks <<<"$trust"
        for t in "${toks[@]}"; do
            case "$t" in
            - | app=* | cert=* | pubkey=* | hmac=*) ;;
            noverify) args+=(--no-chain) ;;
            time=*) args+=(--at "${t#time=}") ;;
            untrusted=*) args+=(--untrusted "$CONF/${t#untrusted=}") ;;
            *) cp "$CONF/$t" "$dir/" ;;
            esac
        done
        [ "$content" != - ] && args+=(--content "$CONF/$content")
        rep "conformance $id ($expected)" - - "${args[@]}" "$CONF/$file"
        if grep -q '"CRYPTO_CONSTRAINTS_FAILURE"' "$R/$N.json"; then
            rep "conformance $id ($expected), weak crypto allowed" - - --allow-weak-crypto \
                "${args[@]}" "$CONF/$file"
        fi
    done <"$CONF/MANIFEST.tsv"
    if [ "$rows" -ge 120 ]; then ok "conformance: $rows rows run"; else fail "conformance: only $rows rows"; fi
fi

# ---- HTTP answers (qoltanba serve) -------------------------------------------------------------
if "$QTB" serve --help >/dev/null 2>&1 && command -v curl >/dev/null &&
    ! "$QTB" serve --listen probe --db "$TMP/probe.db" 2>&1 </dev/null | grep -q "no HTTP server"; then
    . "$HERE/serve_lib.bash"
    if serve_start "$TMP/serve.log" --db "$TMP/serve.db" "${TRUST[@]}"; then
        post() { # post NAME PATH JSON-BODY-FILE
            N=$((N + 1))
            local code
            code=$(curl -s -o "$R/$N.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
                --data-binary @"$3" "$BASE$2") || code=curl-failed
            if [ "$code" = 200 ]; then other http "$1" "$R/$N.json"; else fail "$1: HTTP $code"; fi
        }
        b64() { base64 -w0 "$1"; }
        printf '{"cms":"%s","data":"%s"}' "$(b64 "$TMP/det.p7s")" "$(b64 "$TMP/doc.txt")" >"$TMP/h1.json"
        printf '{"cms":"%s","data":"%s"}' "$(b64 "$TMP/det.p7s")" "$(b64 "$TMP/other.txt")" >"$TMP/h2.json"
        printf '{"cms":"%s"}' "$(b64 "$TMP/garbage.bin")" >"$TMP/h3.json"
        printf '{"xml":"%s"}' "$(b64 "$TMP/one.xml")" >"$TMP/h4.json"
        printf '{"xml":"%s"}' "$(b64 "$TMP/changed.xml")" >"$TMP/h5.json"
        printf '{"xml":"%s"}' "$(b64 "$TMP/in.xml")" >"$TMP/h6.json"
        printf '{"cms":"%s","at":"2020-01-01T00:00:00Z"}' "$(b64 "$TMP/att.p7s")" >"$TMP/h7.json"
        post "HTTP /cms/verify detached" /cms/verify "$TMP/h1.json"
        post "HTTP /cms/verify other data" /cms/verify "$TMP/h2.json"
        post "HTTP /cms/verify garbage" /cms/verify "$TMP/h3.json"
        post "HTTP /cms/verify at a time before the certificate" /cms/verify "$TMP/h7.json"
        post "HTTP /xml/verify" /xml/verify "$TMP/h4.json"
        post "HTTP /xml/verify changed" /xml/verify "$TMP/h5.json"
        post "HTTP /xml/verify no signature" /xml/verify "$TMP/h6.json"
        openssl x509 -in "$P/certs/rsa_ceo_sign.pem" -outform DER -out "$TMP/ceo.der"
        printf '{"certs":["%s","%s"]}' "$(b64 "$TMP/ceo.der")" "$(b64 "$P/rsa/ca.pem")" >"$TMP/h8.json"
        N=$((N + 1))
        code=$(curl -s -o "$R/$N.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
            --data-binary @"$TMP/h8.json" "$BASE/x509/info") || code=curl-failed
        if [ "$code" = 200 ]; then other x509info "HTTP /x509/info" "$R/$N.json"; else fail "HTTP /x509/info: HTTP $code"; fi
        serve_stop
    else
        fail "serve did not start: $(head -c 300 "$TMP/serve.log")"
    fi
else
    skip "HTTP answers: no 'qoltanba serve' with libmicrohttpd, or no curl"
fi

# ---- reports stored by batch (validations.report_json, signatures rows) -----------------------
APPS=$SRC/fixtures/applicants
today=$(date -u +%Y-%m-%d)
submission() { # submission NAME APPLICANT SIGNER [pdf]: questionnaire signed (detached)
    local d=$TMP/inbox/$1
    mkdir -p "$d"
    cp "$APPS/$2" "$d/applicant.xml"
    "$QTB" questionnaire --allow-findings --today "$today" --out "$TMP/$1.pdf" "$d/applicant.xml" >/dev/null
    [ "${4:-}" = pdf ] && printf 'x' >>"$TMP/$1.pdf"
    openssl cms -sign -binary -md sha256 -in "$TMP/$1.pdf" -signer "$P/certs/$3.pem" \
        -inkey "$P/keys/$3.key.pem" -outform DER -out "$d/questionnaire.pdf.cms"
}
submission person-ok np-kurmangaliyeva-pki-kk.xml rsa_individual_sign
submission other-pdf np-kurmangaliyeva-pki-kk.xml rsa_individual_sign pdf
submission revoked np-kurmangaliyeva-pki-kk.xml rsa_revoked
printf '<challenge><nonce>person-ok</nonce></challenge>\n' >"$TMP/challenge.xml"
xsign rsa_individual_auth "$TMP/challenge.xml" "$TMP/inbox/person-ok/auth.xml"
printf 'garbage' >"$TMP/inbox/revoked/auth.xml"
if "$QTB" batch --db "$TMP/batch.db" "${TRUST[@]}" --json "$TMP/inbox" >"$TMP/batch.json" 2>"$TMP/err"; then
    other store "batch store" "$TMP/batch.db"
else
    fail "batch: $(head -c 300 "$TMP/err")"
fi

# ---- validate everything --------------------------------------------------------------------
nrep=$(grep -c '^report' "$LIST")
ended=0
while IFS=$'\t' read -r st name why; do
    case "$st" in
    ok) ok "$name" ;;
    FAIL) fail "$name: $why" ;;
    END) ended=1 ;;
    *) echo "$st${name:+ $name}" ;;
    esac
done < <(python3 "$HERE/report_schema.py" "$SRC" "$LIST" 2>&1)
[ "$ended" = 1 ] && ok "validator ran to the end ($nrep verify reports)" || fail "report_schema.py did not finish"
finish
