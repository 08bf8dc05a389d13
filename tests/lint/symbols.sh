#!/usr/bin/env bash
# Only QTB_API functions (all named qtb_*) may be exported by libqoltanba.so.
set -euo pipefail
lib=${QTB_LIB:?QTB_LIB not set}
bad=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' \
    | grep -vE '^(qtb_|_init$|_fini$|_edata$|_end$|__bss_start$)' || true)
if [ -n "$bad" ]; then
    echo "symbols exported without the qtb_ prefix (missing -fvisibility=hidden or QTB_API misuse):"
    echo "$bad"
    exit 1
fi
count=$(nm -D --defined-only "$lib" | grep -c ' T qtb_' || true)
echo "lint_symbols: $count exported qtb_ functions; 1 passed, 0 failed"
