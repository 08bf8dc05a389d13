#!/usr/bin/env bash
# The generated test PKI (fixtures/gen-pki.sh) checked with the openssl CLI only: every leaf
# in MANIFEST.tsv chains to its trust folder or fails for the reason its status says, both
# PKCS#12 flavours open with the password (and not without it), the MANIFEST agrees with the
# certificates (IIN/BIN check digits, roles, key usage, dates), CRLs, TSA and OCSP work.
. "$(dirname "$0")/lib.sh"

P="$FIX/pki"
if [ ! -f "$P/MANIFEST.tsv" ]; then
    fail "no generated PKI at $P (build the 'fixtures' target)"
    finish
fi
PASS=$(cat "$P/password.txt")
if [ "$(wc -l <"$P/password.txt")" = 1 ] && [ -n "$PASS" ]; then
    ok "password.txt: one line"
else
    fail "password.txt: not one non-empty line"
fi
export PASS
now=$(date -u +%s)

# verify_reason NAME WANT_TEXT ARGS...: openssl verify must fail and mention WANT_TEXT.
verify_fails() {
    local name=$1 want=$2
    shift 2
    if openssl verify "$@" >"$TMP/v" 2>&1; then
        fail "$name: verified, want '$want'"
    elif grep -q "$want" "$TMP/v"; then
        ok "$name ($want)"
    else
        fail "$name: want '$want', got: $(tr '\n' ' ' <"$TMP/v" | tail -c 300)"
    fi
}

# --- layout ------------------------------------------------------------------------------
for f in password.txt MANIFEST.tsv \
    rsa/root.pem rsa/root.key.pem rsa/ca.pem rsa/ca.key.pem rsa/ca.crl rsa/ca.crl.pem \
    rsa/root.crl rsa/root.crl.pem rsa/ca-stale.crl rsa/ca-stale.crl.pem \
    ec/root.pem ec/root.key.pem ec/ca.pem ec/ca.key.pem ec/ca.crl ec/root.crl \
    untrusted/root.pem untrusted/ca.pem untrusted/ca.key.pem untrusted/ca.crl \
    trust/rsa/root.pem trust/rsa/ca.pem trust/rsa/ca.crl trust/rsa/root.crl \
    trust/ec/root.pem trust/ec/ca.pem trust/ec/ca.crl trust/ec/root.crl \
    trust/all/rsa-root.pem trust/all/rsa-ca.pem trust/all/rsa-ca.crl trust/all/rsa-root.crl \
    trust/all/ec-root.pem trust/all/ec-ca.pem trust/all/ec-ca.crl trust/all/ec-root.crl \
    trust/rsa-stale/ca.crl tsa/tsa.pem tsa/tsa.key.pem tsa/tsa.cnf \
    ocsp/ocsp.pem ocsp/ocsp.key.pem ocsp/index.txt ocsp/index.txt.attr; do
    if [ -s "$P/$f" ]; then
        ok "layout: $f"
    else
        fail "layout: $f missing or empty"
    fi
done
if grep -rlq "PRIVATE KEY" "$P/trust"; then
    fail "layout: a private key in a trust folder"
else
    ok "layout: no private key in trust folders"
fi
if [ -e "$P/.stamp" ]; then ok "layout: .stamp"; else fail "layout: .stamp missing"; fi
expected="name key_alg hierarchy holder iin bin roles iin_valid bin_valid status not_before not_after usage"
if [ "$(head -n 1 "$P/MANIFEST.tsv" | tr '\t' ' ')" = "$expected" ]; then
    ok "MANIFEST header"
else
    fail "MANIFEST header: $(head -n 1 "$P/MANIFEST.tsv")"
fi
for n in rsa_individual_sign rsa_individual_auth rsa_individual_both rsa_ceo_sign rsa_signright \
    rsa_finance rsa_hr rsa_employee rsa_infosystem rsa_treasury ec_individual_sign ec_ceo_sign \
    rsa_expired rsa_notyet rsa_revoked rsa_untrusted rsa_badiin rsa_pss_sign; do
    if cut -f1 "$P/MANIFEST.tsv" | grep -qx "$n"; then
        ok "MANIFEST lists $n"
    else
        fail "MANIFEST lacks $n"
    fi
done

# --- IIN/BIN checker used below, itself checked on kz-pki.md §3.7 vectors -------------------
kzcheck() {
    python3 - "$1" <<'EOF'
import sys
v = sys.argv[1]
if v == "-":
    print("-"); sys.exit()
d = [int(c) for c in v]
c = sum(x * w for x, w in zip(d[:11], range(1, 12))) % 11
if c == 10:
    c = sum(x * w for x, w in zip(d[:11], [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2])) % 11
print("true" if len(v) == 12 and c != 10 and c == d[11] else "false")
EOF
}
vectors="900101300007:true 900101300811:true 150340000109:true 150340000003:true"
vectors="$vectors 123456789011:false 123456789012:false 123456789021:false 900101300801:false"
for v in $vectors; do
    got=$(kzcheck "${v%%:*}")
    if [ "$got" = "${v##*:}" ]; then
        ok "kz check digit vector ${v%%:*} -> $got"
    else
        fail "kz check digit vector ${v%%:*}: got $got"
    fi
done

# --- per leaf -------------------------------------------------------------------------------
ku_of() { openssl x509 -in "$1" -noout -ext keyUsage | tail -n +2 | tr -d ' '; }
tail -n +2 "$P/MANIFEST.tsv" >"$TMP/rows"
while IFS=$'\t' read -r name keyalg hier holder iin bin roles iinv binv status nb na usage; do
    c="$P/certs/$name.pem"
    k="$P/keys/$name.key.pem"
    if [ ! -f "$c" ] || [ ! -f "$k" ] || [ ! -f "$P/p12/$name.p12" ] ||
        [ ! -f "$P/p12/$name.legacy.p12" ]; then
        fail "$name: certificate, key or p12 missing"
        continue
    fi
    # key matches certificate
    if [ "$(openssl pkey -in "$k" -pubout)" = "$(openssl x509 -in "$c" -noout -pubkey)" ]; then
        ok "$name: key matches certificate"
    else
        fail "$name: key does not match certificate"
    fi
    txt=$(openssl x509 -in "$c" -noout -text)
    case "$keyalg" in
    RSA-2048) want="Public-Key: (2048 bit)" ;;
    ECDSA-P256) want="NIST CURVE: P-256" ;;
    *) want="unknown key_alg $keyalg" ;;
    esac
    if grep -q "$want" <<<"$txt"; then ok "$name: $keyalg"; else fail "$name: not $keyalg"; fi

    # chain and status
    tr="$P/trust/$hier"
    case "$status" in
    valid)
        expect_rc "$name: verifies against trust/$hier" 0 openssl verify -CAfile "$tr/root.pem" \
            -untrusted "$tr/ca.pem" "$c"
        expect_rc "$name: verifies with CRLs (crl_check_all)" 0 openssl verify -crl_check_all \
            -CRLfile "$tr/ca.crl" -CRLfile "$tr/root.crl" -CAfile "$tr/root.pem" \
            -untrusted "$tr/ca.pem" "$c"
        other=ec
        if [ "$hier" = ec ]; then other=rsa; fi
        verify_fails "$name: not under trust/$other" "unable to get local issuer certificate" \
            -CAfile "$P/trust/$other/root.pem" -untrusted "$P/trust/$other/ca.pem" "$c"
        ;;
    expired)
        verify_fails "$name: fails" "certificate has expired" -CAfile "$tr/root.pem" \
            -untrusted "$tr/ca.pem" "$c"
        expect_rc "$name: verifies inside its validity" 0 openssl verify -attime \
            "$(($(date -u -d "$nb" +%s) + 3600))" -CAfile "$tr/root.pem" -untrusted "$tr/ca.pem" "$c"
        ;;
    notyet)
        verify_fails "$name: fails" "certificate is not yet valid" -CAfile "$tr/root.pem" \
            -untrusted "$tr/ca.pem" "$c"
        expect_rc "$name: verifies inside its validity" 0 openssl verify -attime \
            "$(($(date -u -d "$nb" +%s) + 3600))" -CAfile "$tr/root.pem" -untrusted "$tr/ca.pem" "$c"
        ;;
    revoked)
        expect_rc "$name: chain fine without CRL" 0 openssl verify -CAfile "$tr/root.pem" \
            -untrusted "$tr/ca.pem" "$c"
        verify_fails "$name: fails with crl_check" "certificate revoked" -crl_check \
            -CRLfile "$tr/ca.crl" -CAfile "$tr/root.pem" -untrusted "$tr/ca.pem" "$c"
        verify_fails "$name: stale CRL is stale" "CRL has expired" -crl_check \
            -CRLfile "$P/trust/$hier-stale/ca.crl" -CAfile "$tr/root.pem" -untrusted "$tr/ca.pem" "$c"
        ;;
    untrusted)
        verify_fails "$name: fails against trust/rsa" "unable to get local issuer certificate" \
            -CAfile "$P/trust/rsa/root.pem" -untrusted "$P/trust/rsa/ca.pem" "$c"
        verify_fails "$name: fails against trust/all" "unable to get local issuer certificate" \
            -CAfile "$P/trust/all/rsa-root.pem" -untrusted "$P/trust/all/rsa-ca.pem" "$c"
        expect_rc "$name: chains to its own (untrusted) root" 0 openssl verify \
            -CAfile "$P/untrusted/root.pem" -untrusted "$P/untrusted/ca.pem" "$c"
        ;;
    *) fail "$name: unknown status $status" ;;
    esac

    # both PKCS#12 flavours
    for f in p12 legacy.p12; do
        p12="$P/p12/$name.$f"
        flag=""
        if [ "$f" = legacy.p12 ]; then flag=-legacy; fi
        # shellcheck disable=SC2086
        if openssl pkcs12 $flag -in "$p12" -passin env:PASS -nokeys 2>/dev/null |
            openssl x509 -outform DER | cmp -s - <(openssl x509 -in "$c" -outform DER); then
            ok "$name.$f: opens, holds the certificate"
        else
            fail "$name.$f: does not open or holds another certificate"
        fi
        # shellcheck disable=SC2086
        if openssl pkcs12 $flag -in "$p12" -passin pass:wrong-password -nokeys >/dev/null 2>&1; then
            fail "$name.$f: opens with a wrong password"
        else
            ok "$name.$f: wrong password rejected"
        fi
    done
    info=$(openssl pkcs12 -legacy -info -noout -in "$P/p12/$name.legacy.p12" \
        -passin "file:$P/password.txt" 2>&1)
    if grep -q "MAC: sha1, Iteration 1024" <<<"$info" &&
        grep -q "Encrypted data: pbeWithSHA1And40BitRC2-CBC, Iteration 1024" <<<"$info" &&
        grep -q "Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 1024" <<<"$info"; then
        ok "$name.legacy.p12: RC2-40 cert bag, 3DES key bag, SHA-1 MAC, 1024 iterations"
    else
        fail "$name.legacy.p12: not NCA's layout: $(tr '\n' ' ' <<<"$info")"
    fi
    if openssl pkcs12 -in "$P/p12/$name.legacy.p12" -passin "file:$P/password.txt" -nokeys \
        >/dev/null 2>&1; then
        fail "$name.legacy.p12: opens without -legacy (so it is not RC2-40)"
    else
        ok "$name.legacy.p12: needs the legacy provider"
    fi
    info=$(openssl pkcs12 -info -noout -in "$P/p12/$name.p12" -passin "file:$P/password.txt" 2>&1)
    if grep -q "MAC: sha256" <<<"$info" && grep -q "PBKDF2, AES-256-CBC" <<<"$info" &&
        ! grep -q "RC2\|TripleDES" <<<"$info"; then
        ok "$name.p12: AES-256-CBC, PBKDF2, SHA-256 MAC"
    else
        fail "$name.p12: not modern: $(tr '\n' ' ' <<<"$info")"
    fi

    # identity columns agree with the subject and with the check digits
    subj=$(openssl x509 -in "$c" -noout -subject -nameopt RFC2253,utf8,-esc_msb)
    for pair in "iin:$iin:$iinv:serialNumber=IIN" "bin:$bin:$binv:OU=BIN"; do
        IFS=: read -r what val valid attr <<<"$pair"
        got=$(kzcheck "$val")
        if [ "$got" = "$valid" ]; then
            ok "$name: ${what}_valid=$valid matches the check digit"
        else
            fail "$name: ${what}_valid=$valid but the check digit says $got"
        fi
        if [ "$val" = "-" ]; then
            if grep -q "$attr" <<<"$subj"; then fail "$name: $attr present, MANIFEST says -"; fi
        elif grep -q "$attr$val" <<<"$subj"; then
            ok "$name: subject has $attr$val"
        else
            fail "$name: subject lacks $attr$val: $subj"
        fi
    done

    # roles <-> EKU OIDs
    eku=$(openssl x509 -in "$c" -noout -ext extendedKeyUsage)
    want=""
    for r in ${roles//,/ }; do
        case "$r" in
        INDIVIDUAL) o=1.2.398.3.3.4.1.1 ;;
        ORGANIZATION) o=1.2.398.3.3.4.1.2 ;;
        CEO) o=1.2.398.3.3.4.1.2.1 ;;
        CAN_SIGN) o=1.2.398.3.3.4.1.2.2 ;;
        CAN_SIGN_FINANCIAL) o=1.2.398.3.3.4.1.2.3 ;;
        HR) o=1.2.398.3.3.4.1.2.4 ;;
        EMPLOYEE) o=1.2.398.3.3.4.1.2.5 ;;
        INFORMATION_SYSTEM) o=1.2.398.3.3.4.1.2.6 ;;
        TREASURY_CLIENT) o=1.2.398.5.19.1.2.2.1 ;;
        *) o="unknown-role-$r" ;;
        esac
        want="$want $o"
    done
    have=$(grep -oE '1\.2\.398\.[0-9.]+' <<<"$eku" | tr '\n' ' ')
    if [ "$(tr ' ' '\n' <<<"$want" | sort | xargs)" = "$(tr ' ' '\n' <<<"$have" | sort | xargs)" ]; then
        ok "$name: roles $roles = EKU role OIDs"
    else
        fail "$name: roles $roles but EKU has $have"
    fi
    if [[ ",$roles," == *,CAN_SIGN,* ]]; then
        if grep -q "Extended Key Usage: critical" <<<"$eku"; then
            ok "$name: signing-right EKU is critical"
        else
            fail "$name: signing-right EKU not critical"
        fi
    fi

    # usage <-> key usage / EKU
    ku=$(ku_of "$c")
    case "$usage:$keyalg" in
    sign:*) want="DigitalSignature,NonRepudiation" ;;
    auth:RSA-2048) want="DigitalSignature,KeyEncipherment" ;;
    both:RSA-2048) want="DigitalSignature,NonRepudiation,KeyEncipherment" ;;
    auth:ECDSA-P256) want="DigitalSignature,KeyAgreement" ;;
    both:ECDSA-P256) want="DigitalSignature,NonRepudiation,KeyAgreement" ;;
    *) want="unknown usage $usage" ;;
    esac
    if [ "$ku" = "$want" ]; then ok "$name: usage $usage -> $ku"; else fail "$name: usage $usage but KU $ku"; fi
    case "$usage" in
    sign) weku="E-mail Protection" ;;
    auth) weku="TLS Web Client Authentication" ;;
    *) weku="E-mail Protection, TLS Web Client Authentication" ;;
    esac
    if [ "$holder" = system ]; then
        weku="" # an information system certificate carries no emailProtection (as NCA's)
    fi
    if [ -z "$weku" ] || grep -q "$weku" <<<"$eku"; then
        ok "$name: EKU has '${weku:-roles only}'"
    else
        fail "$name: EKU lacks '$weku': $eku"
    fi

    # dates in the MANIFEST are the certificate's
    cnb=$(date -u -d "$(openssl x509 -in "$c" -noout -startdate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
    cna=$(date -u -d "$(openssl x509 -in "$c" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
    if [ "$cnb $cna" = "$nb $na" ]; then
        ok "$name: MANIFEST dates match"
    else
        fail "$name: MANIFEST dates $nb $na, certificate $cnb $cna"
    fi
done <"$TMP/rows"

# --- subject encoding as NCA: UTF8String names, PrintableString serialNumber -------------------
openssl asn1parse -in "$P/certs/rsa_ceo_sign.pem" >"$TMP/asn1"
if grep -A1 ':serialNumber' "$TMP/asn1" | grep -q 'PRINTABLESTRING *:IIN' &&
    grep -A1 ':surname' "$TMP/asn1" | grep -q 'UTF8STRING' &&
    grep -A1 ':givenName' "$TMP/asn1" | grep -q 'UTF8STRING'; then
    ok "subject: serialNumber PrintableString, SN/GN UTF8String"
else
    fail "subject string types differ from NCA's"
fi
order=$(openssl x509 -in "$P/certs/rsa_ceo_sign.pem" -noout -subject -nameopt sep_comma_plus,sname,-esc_msb |
    sed 's/^subject=//' | tr ',' '\n' | cut -d= -f1 | xargs)
if [ "$order" = "CN SN serialNumber C O OU GN" ]; then
    ok "subject: RDN order as NCA's ($order)"
else
    fail "subject: RDN order $order"
fi

names=$(for c in "$P"/certs/*.pem; do openssl x509 -in "$c" -noout -subject -nameopt utf8; done)
missing=""
for l in Ә Ғ Қ Ң Ө Ұ Ү Һ І Ё; do
    if ! grep -q "$l" <<<"$names"; then missing="$missing $l"; fi
done
if [ -z "$missing" ]; then
    ok "subjects use the Kazakh letters ӘҒҚҢӨҰҮҺІ and Russian Ё"
else
    fail "subjects lack:$missing"
fi

# --- CA profile ---------------------------------------------------------------------------
for h in rsa ec untrusted; do
    t=$(openssl x509 -in "$P/$h/ca.pem" -noout -text)
    if grep -A1 "Basic Constraints: critical" <<<"$t" | grep -q "CA:TRUE, pathlen:0" &&
        grep -A1 "Key Usage: critical" <<<"$t" | grep -q "Certificate Sign, CRL Sign"; then
        ok "$h/ca: CA:TRUE pathlen:0, keyCertSign+cRLSign (critical)"
    else
        fail "$h/ca: CA profile wrong"
    fi
done

# --- CRLs -----------------------------------------------------------------------------------
crl_sig() { # crl_sig NAME WANT CRL ISSUER: openssl crl exits 0 either way; read its verdict
    if openssl crl -in "$3" -inform DER -noout -CAfile "$4" 2>&1 | grep -qx "$2"; then
        ok "$1"
    else
        fail "$1: want '$2'"
    fi
}
crl_next() { date -u -d "$(openssl crl -in "$1" -inform "$2" -noout -nextupdate | cut -d= -f2)" +%s; }
for h in rsa ec untrusted; do
    for w in ca root; do
        nu=$(crl_next "$P/$h/$w.crl" DER)
        if [ "$nu" -ge $((now + 30 * 86400)) ]; then
            ok "$h/$w.crl: nextUpdate at least 30 days ahead"
        else
            fail "$h/$w.crl: nextUpdate too early"
        fi
        crl_sig "$h/$w.crl: signed by $w" "verify OK" "$P/$h/$w.crl" "$P/$h/$w.pem"
    done
done
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-1] ^= 1
open(sys.argv[2], "wb").write(b)' "$P/rsa/ca.crl" "$TMP/tampered.crl"
crl_sig "rsa/ca.crl: a flipped signature bit is rejected" "verify failure" "$TMP/tampered.crl" \
    "$P/rsa/ca.pem"
if [ "$(crl_next "$P/rsa/ca-stale.crl" DER)" -lt "$now" ]; then
    ok "rsa/ca-stale.crl: nextUpdate in the past"
else
    fail "rsa/ca-stale.crl: not stale"
fi
rev=$(openssl x509 -in "$P/certs/rsa_revoked.pem" -noout -serial | cut -d= -f2)
crl=$(openssl crl -in "$P/rsa/ca.crl" -inform DER -noout -text)
if grep -A4 "Serial Number: $rev" <<<"$crl" | grep -q "Key Compromise"; then
    ok "rsa/ca.crl: lists rsa_revoked with reason keyCompromise"
else
    fail "rsa/ca.crl: rsa_revoked missing or without reason"
fi
if [ "$(grep -c 'Serial Number:' <<<"$crl")" = 1 ]; then
    ok "rsa/ca.crl: lists exactly one certificate"
else
    fail "rsa/ca.crl: lists $(grep -c 'Serial Number:' <<<"$crl") certificates"
fi
rd=$(date -u -d "$(grep -A1 "Serial Number: $rev" <<<"$crl" | sed -n 's/.*Revocation Date: //p')" +%s)
if [ "$rd" -lt $((now - 86400)) ]; then
    ok "rsa/ca.crl: revocation dated days ago"
else
    fail "rsa/ca.crl: revocation dated now"
fi

# --- TSA ------------------------------------------------------------------------------------
t=$(openssl x509 -in "$P/tsa/tsa.pem" -noout -ext extendedKeyUsage)
if grep -q "Extended Key Usage: critical" <<<"$t" && grep -q "Time Stamping" <<<"$t"; then
    ok "tsa: EKU timeStamping, critical"
else
    fail "tsa: EKU wrong: $t"
fi
expect_rc "tsa: verifies for purpose timestampsign" 0 openssl verify -purpose timestampsign \
    -CAfile "$P/rsa/root.pem" -untrusted "$P/rsa/ca.pem" "$P/tsa/tsa.pem"
printf 'qoltanba' >"$TMP/data"
openssl ts -query -data "$TMP/data" -sha256 -cert -out "$TMP/tsq" 2>/dev/null
expect_rc "tsa: openssl ts -reply with tsa/tsa.cnf" 0 openssl ts -reply -config "$P/tsa/tsa.cnf" \
    -queryfile "$TMP/tsq" -out "$TMP/tsr"
expect_rc "tsa: token verifies" 0 openssl ts -verify -data "$TMP/data" -in "$TMP/tsr" \
    -CAfile "$P/rsa/root.pem" -untrusted "$P/rsa/ca.pem"
printf 'qoltanbA' >"$TMP/data2"
expect_rc "tsa: token rejects other data" 1 openssl ts -verify -data "$TMP/data2" -in "$TMP/tsr" \
    -CAfile "$P/rsa/root.pem" -untrusted "$P/rsa/ca.pem"

# --- OCSP -----------------------------------------------------------------------------------
ocsp_status() { # ocsp_status LEAF: good|revoked|... from a local responder run
    openssl ocsp -issuer "$P/rsa/ca.pem" -cert "$P/certs/$1.pem" -reqout "$TMP/oreq" \
        >/dev/null 2>&1
    openssl ocsp -index "$P/ocsp/index.txt" -CA "$P/rsa/ca.pem" -rsigner "$P/ocsp/ocsp.pem" \
        -rkey "$P/ocsp/ocsp.key.pem" -reqin "$TMP/oreq" -respout "$TMP/oresp" >/dev/null 2>&1
    cat "$P/rsa/root.pem" "$P/rsa/ca.pem" >"$TMP/chain.pem"
    openssl ocsp -respin "$TMP/oresp" -issuer "$P/rsa/ca.pem" -cert "$P/certs/$1.pem" \
        -CAfile "$TMP/chain.pem" -no_nonce 2>"$TMP/oerr" | sed -n "s|^$P/certs/$1.pem: ||p"
    grep -q "Response verify OK" "$TMP/oerr" || echo "response-not-verified"
}
for pair in rsa_individual_sign:good rsa_revoked:revoked; do
    got=$(ocsp_status "${pair%%:*}" | xargs)
    if [ "$got" = "${pair##*:}" ]; then
        ok "ocsp: ${pair%%:*} is ${pair##*:}"
    else
        fail "ocsp: ${pair%%:*}: got '$got'"
    fi
done

# --- generator: idempotent, refuses to wipe a foreign folder --------------------------------
mkdir -p "$TMP/foreign"
echo keep >"$TMP/foreign/file"
expect_rc "gen-pki: refuses a non-PKI folder" 2 bash "$QTB_SOURCE_DIR/fixtures/gen-pki.sh" "$TMP/foreign"
if [ -f "$TMP/foreign/file" ]; then ok "gen-pki: foreign folder untouched"; else fail "gen-pki: wiped it"; fi
mkdir -p "$TMP/again"
touch "$TMP/again/MANIFEST.tsv" "$TMP/again/leftover"
expect_rc "gen-pki: regenerates over a previous run" 0 bash "$QTB_SOURCE_DIR/fixtures/gen-pki.sh" "$TMP/again"
if [ ! -e "$TMP/again/leftover" ] && [ -f "$TMP/again/.stamp" ] &&
    [ "$(cut -f1 "$TMP/again/MANIFEST.tsv")" = "$(cut -f1 "$P/MANIFEST.tsv")" ]; then
    ok "gen-pki: wiped and regenerated the same leaves"
else
    fail "gen-pki: regeneration differs"
fi

finish
