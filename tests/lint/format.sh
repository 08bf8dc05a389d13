#!/usr/bin/env bash
# The project's .clang-format decides; CI checks that every C file is formatted.
set -euo pipefail
root=${QTB_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"
if ! command -v clang-format >/dev/null; then
    echo "clang-format not installed"
    exit 77
fi
dirs=""
for d in engine signers pdf tests; do
    [ -d "$d" ] && dirs="$dirs $d"
done
# shellcheck disable=SC2086
files=$(find $dirs -name '*.[ch]' | sort)
if [ -z "$files" ]; then
    echo "lint_format: no C files found under $root"
    exit 1
fi
# shellcheck disable=SC2086
if ! clang-format --dry-run --Werror $files; then
    echo "run: clang-format -i \$(git ls-files '*.c' '*.h')"
    exit 1
fi
echo "lint_format: 1 passed, 0 failed"
