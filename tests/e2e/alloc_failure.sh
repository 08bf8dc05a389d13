#!/usr/bin/env bash
# Simulated allocation failure: QTB_FAIL_ALLOC_AT=N makes the library's Nth allocation fail.
# For every N up to the number of allocations a command makes, the command must end cleanly:
# exit 2 with a one-line reason (or its normal result when the failed allocation was optional),
# never a crash, and, in the ASan build, never a leak (ASan turns a leak into exit 134+).
. "$(dirname "$0")/lib.sh"

PKI=$FIX/pki
printf 'alloc-failure test content\n' >"$TMP/doc.txt"
"$QTB" sign --p12 "$PKI/p12/rsa_individual_sign.p12" --password-file "$PKI/password.txt" \
    --detached --out "$TMP/doc.cms" "$TMP/doc.txt" 2>/dev/null
"$QTB" sign --xml --p12 "$PKI/p12/rsa_individual_sign.p12" --password-file "$PKI/password.txt" \
    --out "$TMP/doc.xml" <(printf '<a><b>x</b></a>\n') 2>/dev/null

# sweep NAME MAX CMD...: run CMD with the Nth allocation failing, N = 1..MAX.
sweep() {
    local name=$1 max=$2
    shift 2
    local bad=0 n rc
    for n in $(seq 1 "$max"); do
        rc=0
        QTB_FAIL_ALLOC_AT=$n "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
        case $rc in
        0 | 1 | 2 | 3) ;;
        *)
            bad=$((bad + 1))
            echo "  $name: allocation $n failed -> exit $rc: $(grep -m3 -E 'ERROR|SUMMARY|error' "$TMP/err" | head -c 300)"
            ;;
        esac
    done
    if [ "$bad" -eq 0 ]; then
        ok "$name: $max failure points, every exit clean"
    else
        fail "$name: $bad of $max failure points crashed or leaked"
    fi
}

sweep "certinfo p12" 120 "$QTB" certinfo --json --password-file "$PKI/password.txt" \
    "$PKI/p12/rsa_ceo_sign.legacy.p12"
sweep "verify cms" 150 "$QTB" verify --json --trust "$PKI/trust/rsa" --content "$TMP/doc.txt" \
    "$TMP/doc.cms"
sweep "verify xml" 150 "$QTB" verify --json --trust "$PKI/trust/rsa" "$TMP/doc.xml"
sweep "questionnaire" 150 "$QTB" questionnaire --allow-findings --out "$TMP/q.pdf" \
    "$QTB_SOURCE_DIR/fixtures/applicants/np-ivanova-ru.xml"
finish
