#!/usr/bin/env bash
# Kazakh GOST round trips through the CLI: every real NCA GOST 2015 test key signs CMS
# (attached, detached, co-signed) and XMLDSig in Kalkan's format, and qoltanba verifies them
# against the real NCA test CAs and CRLs: valid keys pass, revoked ones are REVOKED, a changed
# byte fails. The GOST 34.310-2004 key signs too. Unknown GOST variants are named, not guessed.
. "$(dirname "$0")/lib.sh"

need_shared || finish
R="$SHARED/fixtures-real"
export QTB_PW=Qwerty12 QTB_PW_2022=Aa123456
mkdir -p "$TMP/t2015" "$TMP/t2004" "$TMP/tall"
cp "$R/ca/root_test_gost_2022.cer" "$R/ca/nca_gost2022_test.cer" "$R/ca/nca_gost2022_test.crl" \
    "$TMP/t2015/"
cp "$R/ca/root_gost_test.crt" "$R/ca/nca_gost_test.crt" "$R/ca/nca_gost_test.crl" "$TMP/t2004/"
cp "$R"/ca/* "$TMP/tall/"
printf 'Өтініш: qoltanba GOST round trip\n' >"$TMP/doc.txt"
printf '<?xml version="1.0" encoding="UTF-8"?>\n<doc><p>Өтініш</p><!-- c --></doc>\n' \
    >"$TMP/doc.xml"

# "Now" for the real 2026 keys, fixed so that the suite does not change its answers when the
# real CRL (nextUpdate 2027-02-07) or the certificates (2027-05-08) age: inside their validity,
# after the revocations of 2026-05-08 and 2026-06-02, after the CRL's thisUpdate.
NOW=2026-11-01T00:00:00Z
# vj NAME WANT_RC TRUST ARGS... -> $TMP/j.json (at $NOW unless ARGS hold an --at)
vj() {
    local name=$1 want=$2 trust=$3 a at=(--at "$NOW")
    shift 3
    for a in "$@"; do
        [ "$a" = --at ] && at=()
    done
    expect_rc "$name" "$want" "$QTB" verify --json --trust "$trust" "${at[@]}" "$@"
    cp "$TMP/out" "$TMP/j.json"
}
sig() { echo "d['signatures'][$1]['$2']"; }
who() { echo "str(d['signatures'][$1]['signer']['iin']) + '/' + str(d['signatures'][$1]['signer']['bin'])"; }
# flip FILE OUT: one byte of the GOST signature value of the last SignerInfo changed.
flip() {
    python3 - "$1" "$2" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
oids = [bytes.fromhex("060a2a830e030a0101020302"), bytes.fromhex("06092a830e030a01010102")]
at = max(b.rfind(o) for o in oids)
i = b.find(b"\x04\x81\x80", at)
i = i + 3 if i >= 0 else b.index(b"\x04\x40", at) + 2
t = bytearray(b); t[i + 10] ^= 0x40
open(sys.argv[2], "wb").write(t)
EOF
}

# ---- the currently valid 2026 keys: CMS attached, detached, XML; each with a failing twin ---
while IFS='|' read -r key who_want revoked; do
    p12="$R/p12/$key.p12"
    at=(--at "$NOW")
    if [ -n "$revoked" ]; then
        # NCA's current CRL revokes some "valid" keys of the NGO set (superseded, 2026-06-02):
        # they pass at a time before that and are REVOKED now.
        at=(--at 2026-05-20T00:00:00Z)
        expect_rc "$key: sign (revoked $revoked)" 0 "$QTB" sign --p12 "$p12" \
            --password-env QTB_PW --out "$TMP/$key.now.p7s" "$TMP/doc.txt"
        vj "$key: REVOKED at $NOW" 1 "$TMP/t2015" "$TMP/$key.now.p7s"
        json_eq "$key: REVOKED" "$TMP/j.json" "$(sig 0 subIndication)" REVOKED
    fi
    expect_rc "$key: sign attached" 0 "$QTB" sign --p12 "$p12" --password-env QTB_PW \
        --out "$TMP/$key.p7s" "$TMP/doc.txt"
    vj "$key: attached verifies" 0 "$TMP/t2015" "${at[@]}" "$TMP/$key.p7s"
    json_eq "$key: attached TOTAL_PASSED" "$TMP/j.json" "$(sig 0 indication)" TOTAL_PASSED
    json_eq "$key: signer identity" "$TMP/j.json" "$(who 0)" "$who_want"
    json_eq "$key: Kalkan's algorithms" "$TMP/j.json" \
        "$(sig 0 signatureAlgorithm) + ' / ' + $(sig 0 digestAlgorithm)" \
        "GOST 34.10-2015/512 (1.2.398.3.10.1.1.2.3.2) / GOST 34.11-2015/512 (1.2.398.3.10.1.3.3)"
    flip "$TMP/$key.p7s" "$TMP/$key.flip.p7s"
    vj "$key: flipped signature byte fails" 1 "$TMP/t2015" "${at[@]}" "$TMP/$key.flip.p7s"
    json_eq "$key: SIG_CRYPTO_FAILURE" "$TMP/j.json" "$(sig 0 subIndication)" SIG_CRYPTO_FAILURE

    expect_rc "$key: sign detached" 0 "$QTB" sign --p12 "$p12" --password-env QTB_PW --detached \
        --out "$TMP/$key.det.p7s" "$TMP/doc.txt"
    vj "$key: detached verifies" 0 "$TMP/t2015" "${at[@]}" --content "$TMP/doc.txt" "$TMP/$key.det.p7s"
    printf 'Өтініш: qoltanba GOST round trip!\n' >"$TMP/other.txt"
    vj "$key: detached, other content fails" 1 "$TMP/t2015" "${at[@]}" --content "$TMP/other.txt" \
        "$TMP/$key.det.p7s"
    json_eq "$key: HASH_FAILURE" "$TMP/j.json" "$(sig 0 subIndication)" HASH_FAILURE

    expect_rc "$key: sign XML" 0 "$QTB" sign --xml --p12 "$p12" --password-env QTB_PW \
        --out "$TMP/$key.xml" "$TMP/doc.xml"
    vj "$key: XML verifies" 0 "$TMP/t2015" "${at[@]}" "$TMP/$key.xml"
    json_eq "$key: XML signer identity" "$TMP/j.json" "$(who 0)" "$who_want"
    sed 's/Өтініш/Отініш/' "$TMP/$key.xml" >"$TMP/$key.bad.xml"
    vj "$key: XML with changed text fails" 1 "$TMP/t2015" "${at[@]}" "$TMP/$key.bad.xml"
    json_eq "$key: XML HASH_FAILURE" "$TMP/j.json" "$(sig 0 subIndication)" HASH_FAILURE
done <<'EOF'
gost2015_individual_valid_2026|123456789011/None
gost2015_legal_ceo_valid_2026|123456789011/123456789021
gost2015_legal_employee_valid_2026|123456789012/123456789021|2026-06-02
gost2015_legal_signright_valid_2026|123456789012/123456789021
gost2015_legal_infosystem_valid_2026|None/123456789021
gost2015_legal_treasury_client_valid_2026|123456789012/123456789021|2026-06-02
EOF
grep -q 'gostr34102015-gostr34112015-512' "$TMP/gost2015_individual_valid_2026.xml" &&
    ok "XML SignatureMethod is Kalkan's pkigovkz URI" || fail "XML SignatureMethod URI"

# Kalkan's layout, compared with the real NCANode/Kalkan sample: the same digestAlgorithm and
# signatureAlgorithm encodings (with NULL parameters), signed attributes contentType,
# signingTime, messageDigest in that (DER) order, a 128-byte signature OCTET STRING.
python3 - "$R/cms/gost2015_rsa_two_signers_attached.p7s" "$TMP/gost2015_legal_ceo_valid_2026.p7s" <<'EOF' &&
import sys
def tlv(b, i):
    n = b[i + 1]
    if n < 0x80:
        return i + 2, i + 2 + n
    k = n & 0x7f
    return i + 2 + k, i + 2 + k + int.from_bytes(b[i + 2:i + 2 + k], "big")
def children(b, i):
    s, e = tlv(b, i)
    out = []
    while s < e:
        out.append(s)
        s = tlv(b, s)[1]
    return out
def layout(b, which):
    sd = children(b, children(b, 0)[1])[0]
    si = children(b, children(b, sd)[-1])[which]
    f = children(b, si)
    raw = lambda i: b[i:tlv(b, i)[1]]
    attrs = [raw(children(b, a)[0]) for a in children(b, f[3])]
    return (raw(f[0]), b[f[1]], raw(f[2]), b[f[3]], attrs, raw(f[4]), b[f[5]], tlv(b, f[5])[1] - tlv(b, f[5])[0])
real, ours = layout(open(sys.argv[1], "rb").read(), 0), layout(open(sys.argv[2], "rb").read(), 0)
assert real == ours, (real, ours)
EOF
    ok "GOST SignerInfo laid out as Kalkan's" || fail "GOST SignerInfo layout differs from Kalkan's"

# ---- revoked 2026 keys: the signature is sound, the CRL says REVOKED --------------------------
for key in gost2015_individual_revoked_2026 gost2015_legal_ceo_revoked_2026; do
    p12="$R/p12/$key.p12"
    expect_rc "$key: sign" 0 "$QTB" sign --p12 "$p12" --password-env QTB_PW \
        --out "$TMP/$key.p7s" "$TMP/doc.txt"
    vj "$key: CMS fails" 1 "$TMP/t2015" "$TMP/$key.p7s"
    json_eq "$key: CMS REVOKED, signature value sound" "$TMP/j.json" \
        "$(sig 0 subIndication) + ' ' + d['signatures'][0]['checks']['signatureValue']" \
        "REVOKED PASSED"
    expect_rc "$key: sign XML" 0 "$QTB" sign --xml --p12 "$p12" --password-env QTB_PW \
        --out "$TMP/$key.xml" "$TMP/doc.xml"
    vj "$key: XML fails" 1 "$TMP/t2015" "$TMP/$key.xml"
    json_eq "$key: XML REVOKED" "$TMP/j.json" "$(sig 0 subIndication)" REVOKED
done

# The GOST CRLs themselves: signatures valid as given, a flipped byte breaks them, and then no
# revocation answer is possible (never TOTAL_PASSED).
expect_rc "GOST 2015 trust folder: CRL signature verifies" 0 "$QTB" trust --json --at "$NOW" \
    "$TMP/t2015"
expect_rc "GOST 2004 trust folder at 2022-05-01: CRL signature verifies" 0 "$QTB" trust --json \
    --at 2022-05-01T00:00:00Z "$TMP/t2004"
mkdir -p "$TMP/tflip"
cp "$R/ca/root_test_gost_2022.cer" "$R/ca/nca_gost2022_test.cer" "$TMP/tflip/"
python3 - "$R/ca/nca_gost2022_test.crl" "$TMP/tflip/nca_gost2022_test.crl" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[-20] ^= 1  # inside the signature value
open(sys.argv[2], "wb").write(b)
EOF
expect_rc "GOST CRL with a flipped byte: trust listing fails" 1 "$QTB" trust --at "$NOW" \
    "$TMP/tflip"
vj "revoked key, CRL flipped: not passed" 3 "$TMP/tflip" \
    "$TMP/gost2015_individual_revoked_2026.p7s"
vj "valid key, CRL flipped: not passed" 3 "$TMP/tflip" "$TMP/gost2015_individual_valid_2026.p7s"

# ---- expired GOST 2015 keys: pass at a time inside their validity ------------------------------
expect_rc "gost2015_legal_ceo_2024: sign" 0 "$QTB" sign --p12 "$R/p12/gost2015_legal_ceo_2024.p12" \
    --password-env QTB_PW --out "$TMP/ceo2024.p7s" "$TMP/doc.txt"
vj "gost2015_legal_ceo_2024 at 2025-03-01" 0 "$TMP/t2015" --at 2025-03-01T00:00:00Z \
    "$TMP/ceo2024.p7s"
vj "gost2015_legal_ceo_2024 now: expired" 3 "$TMP/t2015" "$TMP/ceo2024.p7s"
expect_rc "gost2015_individual_2022: sign XML" 0 "$QTB" sign --xml \
    --p12 "$R/p12/gost2015_individual_2022.p12" --password-env QTB_PW_2022 \
    --out "$TMP/ind2022.xml" "$TMP/doc.xml"
vj "gost2015_individual_2022 XML at 2022-09-28" 0 "$TMP/t2015" --at 2022-09-28T00:00:00Z \
    "$TMP/ind2022.xml"
expect_rc "wrong password refused" 2 "$QTB" sign --p12 "$R/p12/gost2015_individual_2022.p12" \
    --password-env QTB_PW --out "$TMP/x.p7s" "$TMP/doc.txt"

# ---- GOST 34.310-2004: valid from 2022-01-18T04:46:14Z, revoked at 04:47:37Z ----------------
K04="$R/p12/gost2004_legal_ceo_sign_revoked_2022.p12"
A04=2022-01-18T04:47:00Z
expect_rc "gost2004: sign attached" 0 "$QTB" sign --p12 "$K04" --password-env QTB_PW \
    --out "$TMP/g04.p7s" "$TMP/doc.txt"
vj "gost2004: attached at $A04" 0 "$TMP/t2004" --at "$A04" "$TMP/g04.p7s"
json_eq "gost2004: algorithms" "$TMP/j.json" \
    "$(sig 0 signatureAlgorithm) + ' / ' + $(sig 0 digestAlgorithm)" \
    "GOST 34.310-2004 (1.2.398.3.10.1.1.1.2) / GOST 34.311-95 (1.2.398.3.10.1.3.1)"
json_eq "gost2004: CEO identity" "$TMP/j.json" "$(who 0)" 123456789011/123456789021
vj "gost2004: after the revocation" 1 "$TMP/t2004" --at 2022-06-01T00:00:00Z "$TMP/g04.p7s"
json_eq "gost2004: REVOKED" "$TMP/j.json" "$(sig 0 subIndication)" REVOKED
flip "$TMP/g04.p7s" "$TMP/g04.flip.p7s"
vj "gost2004: flipped signature byte" 1 "$TMP/t2004" --at "$A04" "$TMP/g04.flip.p7s"
expect_rc "gost2004: sign detached" 0 "$QTB" sign --p12 "$K04" --password-env QTB_PW --detached \
    --out "$TMP/g04d.p7s" "$TMP/doc.txt"
vj "gost2004: detached at $A04" 0 "$TMP/t2004" --at "$A04" --content "$TMP/doc.txt" \
    "$TMP/g04d.p7s"
expect_rc "gost2004: sign XML" 0 "$QTB" sign --xml --p12 "$K04" --password-env QTB_PW \
    --out "$TMP/g04.xml" "$TMP/doc.xml"
vj "gost2004: XML at $A04" 0 "$TMP/t2004" --at "$A04" "$TMP/g04.xml"
grep -q 'xmldsig-more#gost34310-gost34311' "$TMP/g04.xml" &&
    ok "gost2004: XML SignatureMethod gost34310-gost34311" || fail "gost2004 XML URI"
sed 's/Өтініш/Отініш/' "$TMP/g04.xml" >"$TMP/g04.bad.xml"
vj "gost2004: XML with changed text" 1 "$TMP/t2004" --at "$A04" "$TMP/g04.bad.xml"

# ---- co-signing: GOST added to the real RSA CMS and to a GOST one; earlier bytes intact -----
CEO="$R/p12/gost2015_legal_ceo_valid_2026.p12"
EMP="$R/p12/gost2015_legal_signright_valid_2026.p12"
expect_rc "add GOST to the real RSA CMS" 0 "$QTB" sign --p12 "$CEO" --password-env QTB_PW \
    --add-to "$R/cms/rsa_individual_attached.p7s" --out "$TMP/rsa_gost.p7s" -
python3 - "$R/cms/rsa_individual_attached.p7s" "$TMP/rsa_gost.p7s" <<'EOF' &&
import sys
old, new = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
def tlv(b, i):  # (start of contents, end) of the DER element at i
    n = b[i + 1]
    if n < 0x80:
        return i + 2, i + 2 + n
    k = n & 0x7f
    return i + 2 + k, i + 2 + k + int.from_bytes(b[i + 2:i + 2 + k], "big")
def children(b, i):
    s, e = tlv(b, i)
    out = []
    while s < e:
        out.append(s)
        s = tlv(b, s)[1]
    return out
def signer_infos(b):
    sd = children(b, children(b, 0)[1])[0]  # ContentInfo -> [0] -> SignedData
    sis = children(b, sd)[-1]
    return [b[c:tlv(b, c)[1]] for c in children(b, sis)]
o, n = signer_infos(old), signer_infos(new)
assert len(o) == 1 and len(n) == 2 and n[0] == o[0], "the RSA SignerInfo was re-encoded"
EOF
    ok "RSA SignerInfo kept byte for byte" || fail "RSA SignerInfo changed"
vj "RSA + GOST at 2021-07-11: RSA passes" 1 "$TMP/tall" --at 2021-07-11T00:00:00Z \
    "$TMP/rsa_gost.p7s"
json_eq "RSA + GOST: RSA signer passes" "$TMP/j.json" "$(sig 0 indication)" TOTAL_PASSED
vj "RSA + GOST now: GOST passes" 3 "$TMP/tall" "$TMP/rsa_gost.p7s"
json_eq "RSA + GOST now: GOST signer passes" "$TMP/j.json" "$(sig 1 indication)" TOTAL_PASSED
json_eq "RSA + GOST now: GOST CEO identified" "$TMP/j.json" "$(who 1)" 123456789011/123456789021

# A BER (indefinite-length, `openssl cms -stream`) RSA CMS of the generated PKI gets a GOST
# co-signer: the outer wrappers are re-encoded, the RSA SignerInfo and content are not.
PK="$FIX/pki"
if openssl cms -sign -stream -binary -nodetach -outform DER -in "$TMP/doc.txt" \
    -signer "$PK/certs/rsa_individual_sign.pem" -inkey "$PK/keys/rsa_individual_sign.key.pem" \
    -out "$TMP/ber.p7s" 2>"$TMP/err"; then
    mkdir -p "$TMP/tmix"
    cp "$PK"/trust/rsa/* "$TMP/t2015"/* "$TMP/tmix/"
    expect_rc "add GOST to a BER RSA CMS" 0 "$QTB" sign --p12 "$CEO" --password-env QTB_PW \
        --add-to "$TMP/ber.p7s" --out "$TMP/ber_gost.p7s" -
    # The generated RSA key is valid from the build on: checked now; the GOST one at $NOW.
    # (the exit status now depends on the GOST certificate's age: not checked here)
    "$QTB" verify --json --trust "$TMP/tmix" "$TMP/ber_gost.p7s" >"$TMP/out" || true
    json_eq "BER RSA + GOST: RSA passes now" "$TMP/out" "$(sig 0 indication)" TOTAL_PASSED
    vj "BER RSA + GOST at $NOW" 1 "$TMP/tmix" "$TMP/ber_gost.p7s"
    json_eq "BER RSA + GOST: GOST passes at $NOW" "$TMP/j.json" "$(sig 1 indication)" TOTAL_PASSED
    json_eq "BER RSA + GOST: two signers" "$TMP/j.json" "len(d['signatures'])" 2
else
    fail "openssl cms -sign -stream: $(head -c 300 "$TMP/err")"
fi

src="$TMP/gost2015_legal_ceo_valid_2026.det.p7s"
expect_rc "add GOST to a detached GOST CMS" 0 "$QTB" sign --p12 "$EMP" --password-env QTB_PW \
    --add-to "$src" --out "$TMP/two_gost.p7s" "$TMP/doc.txt"
vj "two GOST signers, detached" 0 "$TMP/t2015" --content "$TMP/doc.txt" "$TMP/two_gost.p7s"
json_eq "two GOST signers: both identified" "$TMP/j.json" "$(who 0) + ' ' + $(who 1)" \
    "123456789011/123456789021 123456789012/123456789021"
flip "$TMP/two_gost.p7s" "$TMP/two_gost.flip.p7s"
vj "two GOST signers, second flipped" 1 "$TMP/t2015" --content "$TMP/doc.txt" \
    "$TMP/two_gost.flip.p7s"
json_eq "second flipped: first still passes" "$TMP/j.json" \
    "$(sig 0 indication) + ' ' + $(sig 1 subIndication)" "TOTAL_PASSED SIG_CRYPTO_FAILURE"
expect_rc "add to a detached CMS without its content" 2 "$QTB" sign --p12 "$EMP" \
    --password-env QTB_PW --add-to "$src" --out "$TMP/x.p7s" -
expect_rc "XML: a second GOST signature" 0 "$QTB" sign --xml --p12 "$EMP" --password-env QTB_PW \
    --out "$TMP/two.xml" "$TMP/gost2015_legal_ceo_valid_2026.xml"
vj "XML: two GOST signatures verify" 0 "$TMP/t2015" "$TMP/two.xml"
json_eq "XML: two signatures" "$TMP/j.json" "len(d['signatures'])" 2

# A timestamp token added to a GOST CMS (OpenSSL re-encodes the CMS: the GOST signature must
# survive it); NCA's real token is over another signature, so its imprint is refused.
python3 - "$R/cms/gost2015_legal_ceo_attached_tsp.p7s" "$TMP/token.der" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
def tlv(b, i):
    n = b[i + 1]
    if n < 0x80:
        return i + 2, i + 2 + n
    k = n & 0x7f
    return i + 2 + k, i + 2 + k + int.from_bytes(b[i + 2:i + 2 + k], "big")
oid = bytes.fromhex("060b2a864886f70d010910020e")
s = tlv(b, b.index(oid) + len(oid))[0]
open(sys.argv[2], "wb").write(b[s:tlv(b, s)[1]])
EOF
expect_rc "add a timestamp token to a GOST CMS" 0 "$QTB" sign --timestamp-token "$TMP/token.der" \
    --out "$TMP/with_ts.p7s" "$TMP/gost2015_legal_ceo_valid_2026.p7s"
vj "GOST CMS with a foreign token" 0 "$TMP/t2015" "$TMP/with_ts.p7s"
json_eq "foreign token: imprint refused, GOST signature intact" "$TMP/j.json" \
    "d['signatures'][0]['timestamp']['indication'] + ' ' + d['signatures'][0]['checks']['signatureValue'] + ' ' + str('not over this signature' in d['signatures'][0]['timestamp']['message'])" \
    "FAILED PASSED True"

# ---- unknown GOST variants: INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE, named ----------------
python3 - "$TMP/gost2015_individual_valid_2026.p7s" "$TMP" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
sig = bytes.fromhex("060a2a830e030a0101020302")
tumar = bytes.fromhex("060a2b06010401b511010202")  # 1.3.6.1.4.1.6801.1.2.2
i = b.rindex(sig)
open(sys.argv[2] + "/tumar.p7s", "wb").write(b[:i] + tumar + b[i + len(sig):])
dig = bytes.fromhex("06082a830e030a010303")
j = b.rindex(dig)
open(sys.argv[2] + "/unkdigest.p7s", "wb").write(b[:j] + bytes.fromhex("06082a830e030a010309") + b[j + len(dig):])
ps = bytes.fromhex("060a2a830e030a0101020201")
k = b.index(ps)  # the publicKeyParamSet in the certificate's SPKI
open(sys.argv[2] + "/unkparam.p7s", "wb").write(b[:k] + bytes.fromhex("060a2a830e030a0101020209") + b[k + len(ps):])
EOF
vj "Tumar signature OID" 3 "$TMP/t2015" "$TMP/tumar.p7s"
json_eq "Tumar: CRYPTO_CONSTRAINTS_FAILURE naming it" "$TMP/j.json" \
    "$(sig 0 subIndication) + ' ' + str('1.3.6.1.4.1.6801' in d['signatures'][0]['message'])" \
    "CRYPTO_CONSTRAINTS_FAILURE True"
vj "unknown Kazakh digest OID" 3 "$TMP/t2015" "$TMP/unkdigest.p7s"
json_eq "unknown digest: named" "$TMP/j.json" \
    "$(sig 0 subIndication) + ' ' + str('1.2.398.3.10.1.3.9' in d['signatures'][0]['message'])" \
    "CRYPTO_CONSTRAINTS_FAILURE True"
vj "unknown GOST parameter set" 3 "$TMP/t2015" "$TMP/unkparam.p7s"
json_eq "unknown parameter set: named" "$TMP/j.json" \
    "$(sig 0 subIndication) + ' ' + str('1.2.398.3.10.1.1.2.2.9' in d['signatures'][0]['message'])" \
    "CRYPTO_CONSTRAINTS_FAILURE True"
# XML: an unknown GOST SignatureMethod or DigestMethod URI, a certificate with an unknown
# parameter set (its key cannot be read, so the GOST algorithm is named).
X="$TMP/gost2015_individual_valid_2026.xml"
sed 's/gostr34102015-gostr34112015-512/gostr34102015-gostr34112015-1024/' "$X" >"$TMP/unk_sm.xml"
vj "XML: unknown GOST SignatureMethod" 3 "$TMP/t2015" "$TMP/unk_sm.xml"
json_eq "XML unknown SignatureMethod: named" "$TMP/j.json" \
    "$(sig 0 subIndication) + ' ' + str('gostr34112015-1024' in d['signatures'][0]['message'])" \
    "CRYPTO_CONSTRAINTS_FAILURE True"
sed 's/:gostr34112015-512"/:gostr34112015-1024"/' "$X" >"$TMP/unk_dm.xml"
vj "XML: unknown GOST DigestMethod" 3 "$TMP/t2015" "$TMP/unk_dm.xml"
json_eq "XML unknown DigestMethod: CRYPTO_CONSTRAINTS_FAILURE" "$TMP/j.json" \
    "$(sig 0 subIndication)" CRYPTO_CONSTRAINTS_FAILURE
python3 - "$X" "$TMP/unk_param.xml" <<'EOF'
import base64, re, sys
x = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"<ds:X509Certificate>([^<]*)</ds:X509Certificate>", x)
der = base64.b64decode(re.sub(r"\s|&#13;", "", m.group(1)))
ps = bytes.fromhex("060a2a830e030a0101020201")
assert der.count(ps) == 1
der = der.replace(ps, bytes.fromhex("060a2a830e030a0101020209"))
x = x[:m.start(1)] + base64.b64encode(der).decode() + x[m.end(1):]
open(sys.argv[2], "w", encoding="utf-8").write(x)
EOF
vj "XML: certificate with an unknown GOST parameter set" 3 "$TMP/t2015" "$TMP/unk_param.xml"
json_eq "XML unknown parameter set: named" "$TMP/j.json" \
    "$(sig 0 subIndication) + ' ' + str('1.2.398.3.10.1.1.2.2.9' in d['signatures'][0]['message'])" \
    "CRYPTO_CONSTRAINTS_FAILURE True"
finish
