#!/usr/bin/env bash
# qoltanba questionnaire, end to end: pre-check exit codes and JSON, refusal on error findings,
# byte-identical PDFs across processes and between --out and --out-dir, text extraction with
# pdftotext (Kazakh letters, field values, the data hash), and the layout against a reference PNG.
#
# Layout check: page 1 of fixtures/applicants/le-sakhtandyru-kk.xml rendered with
#   pdftoppm -png -r 60 -f 1 -l 1 Q.pdf page
# must equal tests/e2e/questionnaire-reference.png byte for byte (same poppler). When the layout
# changes on purpose, LOOK at the new page (any image viewer), then refresh the reference with
#   QTB_UPDATE_GOLDEN=1 ctest --test-dir build -R e2e_questionnaire
# and commit the PNG with the change that caused it.
. "$(dirname "$0")/lib.sh"

SRC=${QTB_SOURCE_DIR:?QTB_SOURCE_DIR not set}
APPS=$SRC/fixtures/applicants
REF=$SRC/tests/e2e/questionnaire-reference.png
TODAY=(--today 2026-11-22)

expect_rc "help" 0 "$QTB" questionnaire --help
expect_rc "no input is a usage error" 2 "$QTB" questionnaire "${TODAY[@]}"
expect_rc "unknown option is a usage error" 2 "$QTB" questionnaire --frobnicate "$APPS/np-ivanova-ru.xml"
expect_rc "bad --today is a usage error" 2 "$QTB" questionnaire --today 2026-13-01 "$APPS/np-ivanova-ru.xml"
expect_rc "bad --lang is a usage error" 2 "$QTB" questionnaire --lang en "$APPS/np-ivanova-ru.xml"

# ---- pre-checks: clean samples pass, faulty ones block ------------------------------------------
for f in le-sakhtandyru-kk le-almaty-insurance-ru-pep ie-zhumabekova-kk np-ivanova-ru \
    le-koltanba-test-pki-ru np-kurmangaliyeva-pki-kk ie-seitkali-pki-kk; do
    expect_rc "pre-check passes: $f" 0 "$QTB" questionnaire "${TODAY[@]}" "$APPS/$f.xml"
done
for f in ie-expired-licence-ru le-bad-bank-ru np-bad-iin-kk le-long-iin-instead-of-bin-kk; do
    expect_rc "pre-check blocks: $f" 1 "$QTB" questionnaire "${TODAY[@]}" "$APPS/$f.xml"
done

"$QTB" questionnaire "${TODAY[@]}" --json "$APPS/le-bad-bank-ru.xml" >"$TMP/bad.json" 2>/dev/null || true
json_eq "json: error count" "$TMP/bad.json" "d['errors']" 6
json_eq "json: codes" "$TMP/bad.json" "','.join(sorted(set(x['code'] for x in d['findings'])))" \
    "BIC_FORMAT,DOC_MISSING,IBAN_CHECKSUM,KBE_SECTOR_MISMATCH,OKED_FORMAT,PEP_EDD,PHONE_FORMAT,USER_IIN_BIRTHDATE,USER_IIN_SEX"
json_eq "json: Russian messages" "$TMP/bad.json" \
    "[x['message'] for x in d['findings'] if x['code']=='OKED_FORMAT'][0]" \
    "Код ОКЭД «6629» должен состоять из пяти цифр"
json_eq "json: data hash" "$TMP/bad.json" "d['dataSha256']" \
    "$(sha256sum "$APPS/le-bad-bank-ru.xml" | cut -d' ' -f1)"
"$QTB" questionnaire "${TODAY[@]}" --json --lang kk "$APPS/ie-expired-licence-ru.xml" >"$TMP/kk.json" 2>/dev/null || true
json_eq "json: --lang kk messages" "$TMP/kk.json" \
    "[x['message'] for x in d['findings'] if x['code']=='LICENCE_EXPIRED'][0]" \
    "Лицензияның қолданылу мерзімі 15.01.2025 өтіп кеткен"
"$QTB" questionnaire "${TODAY[@]}" --json "$APPS/le-almaty-insurance-ru-pep.xml" >"$TMP/pep.json" 2>/dev/null || true
json_eq "json: PEP is a warning" "$TMP/pep.json" "(d['errors'], d['warnings'], d['findings'][0]['code'])" \
    "(0, 1, 'PEP_EDD')"
# "today" is an input: the same licence is fine the day before it expires.
"$QTB" questionnaire --today 2025-01-14 --json "$APPS/ie-expired-licence-ru.xml" >"$TMP/t.json" 2>/dev/null || true
json_eq "json: --today moves the expiry check" "$TMP/t.json" \
    "'LICENCE_EXPIRED' in [x['code'] for x in d['findings']]" "False"

# ---- the applicants that stand for identities of the generated test PKI -------------------------
man="$FIX/pki/MANIFEST.tsv"
if [ -f "$man" ]; then
    # leaf  IIN  BIN as the review store will see them in the signer's certificate
    while read -r leaf file; do
        "$QTB" questionnaire "${TODAY[@]}" --json "$APPS/$file" >"$TMP/pki.json" 2>/dev/null || true
        got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dataSha256"] != "")' "$TMP/pki.json" 2>&1)
        iin=$(sed -n 's:.*<iin>\(.*\)</iin>.*:\1:p' "$APPS/$file")
        org=$(sed -n 's:.*<idNumber>\(.*\)</idNumber>.*:\1:p' "$APPS/$file")
        row=$(awk -F'\t' -v l="$leaf" '$1 == l {print $5 " " $6}' "$man")
        case "$leaf" in
        ec_individual_sign) want="$iin -" ;; # an ИП signs with an individual certificate
        *ceo*) want="$iin $org" ;;
        *) want="$iin -" ;;
        esac
        [ "$got" = True ] && [ "$row" = "$want" ] && ok "$file matches PKI leaf $leaf ($row)" \
            || fail "$file vs PKI leaf $leaf: manifest '$row', applicant '$want'"
    done <<'PKI'
rsa_ceo_sign le-koltanba-test-pki-ru.xml
rsa_individual_sign np-kurmangaliyeva-pki-kk.xml
ec_individual_sign ie-seitkali-pki-kk.xml
PKI
    ie_org=$(sed -n 's:.*<idNumber>\(.*\)</idNumber>.*:\1:p' "$APPS/ie-seitkali-pki-kk.xml")
    ie_iin=$(sed -n 's:.*<iin>\(.*\)</iin>.*:\1:p' "$APPS/ie-seitkali-pki-kk.xml")
    [ "$ie_org" = "$ie_iin" ] && ok "the ИП is identified by its owner's IIN" || fail "ИП IIN mismatch"
else
    skip "no generated PKI at $man"
fi

# ---- the PDF: written, refused, reproducible ------------------------------------------------------
expect_rc "writes the PDF with warnings only" 0 "$QTB" questionnaire "${TODAY[@]}" \
    --out "$TMP/pep.pdf" "$APPS/le-almaty-insurance-ru-pep.xml"
[ -s "$TMP/pep.pdf" ] && ok "PDF exists" || fail "PDF missing"
expect_rc "refuses with error findings" 1 "$QTB" questionnaire "${TODAY[@]}" \
    --out "$TMP/refused.pdf" "$APPS/le-bad-bank-ru.xml"
[ ! -e "$TMP/refused.pdf" ] && ok "no PDF when refused" || fail "a refused PDF was written"
expect_rc "--allow-findings writes anyway" 0 "$QTB" questionnaire "${TODAY[@]}" --allow-findings \
    --out "$TMP/allowed.pdf" "$APPS/le-bad-bank-ru.xml"

"$QTB" questionnaire "${TODAY[@]}" --out "$TMP/a.pdf" "$APPS/le-sakhtandyru-kk.xml"
"$QTB" questionnaire --today 2027-03-01 --out "$TMP/b.pdf" "$APPS/le-sakhtandyru-kk.xml"
cmp -s "$TMP/a.pdf" "$TMP/b.pdf" && ok "byte-identical across processes and days" \
    || fail "two runs differ"
if grep -aq -e '/CreationDate' -e '/ModDate' -e '/ID \[' "$TMP/a.pdf"; then
    fail "PDF carries a date or an /ID"
else
    ok "no dates or IDs in the PDF"
fi
size=$(stat -c %s "$TMP/a.pdf")
[ "$size" -le 40960 ] && ok "PDF is $size bytes (<= 40 KB)" || fail "PDF is $size bytes"
"$QTB" questionnaire "${TODAY[@]}" --out "$TMP/ru.pdf" --lang ru "$APPS/le-sakhtandyru-kk.xml"
cmp -s "$TMP/a.pdf" "$TMP/ru.pdf" && fail "--lang ru made no difference" || ok "--lang changes the PDF"
# A one-character change of the data changes the PDF (the negative twin of reproducibility).
sed 's/12-қабат<\/actualAddress>/13-қабат<\/actualAddress>/' "$APPS/le-sakhtandyru-kk.xml" >"$TMP/mod.xml"
"$QTB" questionnaire "${TODAY[@]}" --out "$TMP/mod.pdf" "$TMP/mod.xml"
cmp -s "$TMP/a.pdf" "$TMP/mod.pdf" && fail "changed data, same PDF" || ok "changed data, changed PDF"

mkdir -p "$TMP/batch"
expect_rc "batch --out-dir" 0 "$QTB" questionnaire "${TODAY[@]}" --out-dir "$TMP/batch" \
    "$APPS/le-sakhtandyru-kk.xml" "$APPS/np-ivanova-ru.xml" "$APPS/ie-zhumabekova-kk.xml" \
    "$APPS/le-almaty-insurance-ru-pep.xml"
cmp -s "$TMP/a.pdf" "$TMP/batch/le-sakhtandyru-kk.pdf" && ok "batch output equals --out output" \
    || fail "batch output differs"
[ "$(ls "$TMP/batch" | wc -l)" = 4 ] && ok "batch wrote 4 PDFs" || fail "batch wrote $(ls "$TMP/batch")"
printf '<applicant kind="natural-person"' >"$TMP/broken.xml"
mkdir -p "$TMP/batch2"
expect_rc "batch with a malformed file exits 2" 2 "$QTB" questionnaire "${TODAY[@]}" \
    --out-dir "$TMP/batch2" "$TMP/broken.xml" "$APPS/np-ivanova-ru.xml"
[ -s "$TMP/batch2/np-ivanova-ru.pdf" ] && ok "batch still renders the good file" \
    || fail "batch stopped at the malformed file"

# ---- malformed and unsafe input ------------------------------------------------------------------
expect_rc "malformed XML exits 2" 2 "$QTB" questionnaire "$TMP/broken.xml"
grep -q "line 1" "$TMP/err" && ok "malformed XML: the error names the line" \
    || fail "no line in: $(cat "$TMP/err")"
sed 's/<expiryDate>2029-06-21/<expiryDate>2029-02-30/' "$APPS/le-sakhtandyru-kk.xml" >"$TMP/baddate.xml"
expect_rc "schema-invalid date exits 2" 2 "$QTB" questionnaire "$TMP/baddate.xml"
grep -q "line 23: /applicant/organisation/licence/expiryDate" "$TMP/err" \
    && ok "schema error names line and field" || fail "schema error: $(cat "$TMP/err")"
{
    echo '<?xml version="1.0"?>'
    echo '<!DOCTYPE applicant [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    tail -n +2 "$APPS/np-ivanova-ru.xml" | sed 's/<birthPlace>[^<]*</<birthPlace>\&xxe;</'
} >"$TMP/xxe.xml"
expect_rc "a DTD is rejected" 2 "$QTB" questionnaire "$TMP/xxe.xml"
grep -q "DTD" "$TMP/err" && ok "DTD rejection says so" || fail "DTD: $(cat "$TMP/err")"

# ---- text extraction --------------------------------------------------------------------------------
if command -v pdftotext >/dev/null; then
    sed 's|<name>«Қазақ Сақтандыру Сервис» жауапкершілігі шектеулі серіктестігі</name>|<name>ЖШС «ӘҒҚҢӨҰҮҺІ әғқңөұүһі»</name>|' \
        "$APPS/le-sakhtandyru-kk.xml" >"$TMP/letters.xml"
    "$QTB" questionnaire "${TODAY[@]}" --out "$TMP/letters.pdf" "$TMP/letters.xml"
    pdftotext -enc UTF-8 "$TMP/letters.pdf" "$TMP/letters.txt" 2>"$TMP/pdftotext.err"
    [ ! -s "$TMP/pdftotext.err" ] && ok "pdftotext reads the PDF without a warning (a real ToUnicode CMap)" ||
        fail "pdftotext warns: $(head -c 300 "$TMP/pdftotext.err")"
    txt=$(cat "$TMP/letters.txt")
    for s in "ЖШС «ӘҒҚҢӨҰҮҺІ әғқңөұүһі»" "ӨТІНІШ БЕРУШІНІҢ САУАЛНАМАСЫ" "060340001009" "850412301004" \
        "KZ12601A861000123456" "Сейітқазиев" "n.seitkaziyev@saqtandyru.kz" "QTB-2026-000101" \
        "ЭЦҚ қою орны" "$(sha256sum "$TMP/letters.xml" | cut -d' ' -f1)" "Бет 1 / 1"; do
        case "$txt" in
        *"$s"*) ok "pdftotext finds '$s'" ;;
        *) fail "pdftotext misses '$s'" ;;
        esac
    done
    pdftotext -enc UTF-8 "$TMP/ru.pdf" - 2>/dev/null | grep -q "АНКЕТА ЗАЯВИТЕЛЯ" \
        && ok "--lang ru: Russian labels" || fail "--lang ru: no Russian title"
    pdftotext -enc UTF-8 "$TMP/batch/np-ivanova-ru.pdf" - 2>/dev/null | grep -q "Страница 1 / 1" \
        && ok "one-page natural person" || fail "natural person is not one page"
    "$QTB" questionnaire "${TODAY[@]}" --allow-findings --out "$TMP/long.pdf" \
        "$APPS/le-long-iin-instead-of-bin-kk.xml" 2>/dev/null
    pdftotext -enc UTF-8 "$TMP/long.pdf" "$TMP/long.txt" 2>/dev/null
    grep -q "Бет 1 / 2" "$TMP/long.txt" && grep -q "Бет 2 / 2" "$TMP/long.txt" \
        && ok "long texts wrap onto a numbered second page" || fail "long sample is not 2 pages"
    grep -q "Ұлттық Өңірлік Көлік" "$TMP/long.txt" && ok "wrapped long name is extractable" \
        || fail "long name missing from the text"
else
    skip "pdftotext not installed (poppler-utils)"
fi

# ---- layout against the reference PNG -----------------------------------------------------------------
if command -v pdftoppm >/dev/null; then
    pdftoppm -png -r 60 -f 1 -l 1 "$TMP/a.pdf" "$TMP/page" 2>/dev/null
    page=$(ls "$TMP"/page*.png | head -1)
    if [ "${QTB_UPDATE_GOLDEN:-}" = 1 ]; then
        cp "$page" "$REF" && ok "reference PNG updated: look at $REF before committing"
    elif cmp -s "$page" "$REF"; then
        ok "page 1 matches tests/e2e/questionnaire-reference.png"
    else
        cp "$page" "${QTB_BUILD_DIR:-/tmp}/questionnaire-page1.png" 2>/dev/null || true
        fail "layout changed: compare ${QTB_BUILD_DIR:-/tmp}/questionnaire-page1.png with $REF (QTB_UPDATE_GOLDEN=1 to accept)"
    fi
else
    skip "pdftoppm not installed (poppler-utils)"
fi

finish
