#!/usr/bin/env bash
# House style: functions with bounded or checked replacements in our helpers are banned.
set -euo pipefail
root=${QTB_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"
pattern='\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|atoll|sscanf|gets|system|popen)[[:space:]]*\('
hits=$(grep -rnE "$pattern" --include='*.c' --include='*.h' engine signers pdf tests/unit tests/fuzz tests/bench 2>/dev/null \
    | grep -vE '^\S+:[0-9]+:\s*(/\*|\*)' || true)
if [ -n "$hits" ]; then
    echo "banned functions used:"
    echo "$hits"
    exit 1
fi
echo "lint_banned: 1 passed, 0 failed"
