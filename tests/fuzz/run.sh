#!/usr/bin/env bash
# Long fuzzing (never run by CTest or CI): build the instrumented configuration (clang,
# -DQTB_FUZZ=ON: libFuzzer coverage on the library and the targets, ASan+UBSan) and run every
# target, or the ones named, for SECONDS each (default 60), one at a time on one core.
#
#   bash tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     e.g. run.sh 300 cms_verify crl
#
# Each target starts from its committed corpus (tests/fuzz/corpus/<target>, read only) and
# writes what it finds to $BUILD/fuzz-work/<target>/corpus; crashes, leaks, timeouts and
# out-of-memory inputs land in $BUILD/fuzz-work/<target>/ and make the script exit 1.
# Environment: BUILD (default build-fuzz), CC (default clang), FUZZ_NICE (default 10),
# FUZZ_KEEP_GOING=1 (libFuzzer -fork=1: one worker that carries on after a finding, so a long
# run collects every crash instead of stopping at the first).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}
shift || true
build=${BUILD:-$root/build-fuzz}
nice_level=${FUZZ_NICE:-10}
all_targets="applicant cert cms_verify crl gost_spki ocsp p12 xml_verify"
targets=${*:-$all_targets}

case $seconds in
'' | *[!0-9]*)
    echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2
    exit 2
    ;;
*) ;;
esac

# Inputs larger than the biggest realistic seed only slow the search down.
max_len() {
    case $1 in
    applicant | xml_verify) echo 16384 ;;
    gost_spki) echo 1024 ;;
    ocsp) echo 2048 ;;
    *) echo 4096 ;;
    esac
}

CC=${CC:-clang} cmake -S "$root" -B "$build" -DQTB_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    >/dev/null
bins=""
for t in $targets; do
    bins="$bins ${t}_fuzz"
done
# shellcheck disable=SC2086
nice -n "$nice_level" cmake --build "$build" -j2 --target $bins

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
keep_going=()
if [ "${FUZZ_KEEP_GOING:-0}" = 1 ]; then
    keep_going=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
fi
found=0
for t in $targets; do
    work=$build/fuzz-work/$t
    mkdir -p "$work/corpus" "$work/previous"
    # Findings of an earlier run are kept, out of the way of this run's report.
    find "$work" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
        -o -name 'oom-*' \) -exec mv -t "$work/previous" {} +
    echo "== $t: ${seconds}s, -max_len=$(max_len "$t"), log $work/fuzz.log"
    rc=0
    extra=("${keep_going[@]}")
    # XML targets get a dictionary of tag names and algorithm URIs (mutations rarely spell them).
    case $t in
    applicant | xml_verify) extra+=("-dict=$root/tests/fuzz/xml.dict") ;;
    *) ;;
    esac
    # One fuzzing process in the foreground (no -jobs/-workers): one core, whatever the machine.
    nice -n "$nice_level" "$build/tests/${t}_fuzz" -max_total_time="$seconds" \
        -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        "${extra[@]}" -artifact_prefix="$work/" "$work/corpus" "$root/tests/fuzz/corpus/$t" \
        >"$work/fuzz.log" 2>&1 || rc=$?
    grep -E '^#[0-9]+.*cov: ' "$work/fuzz.log" | tail -n 1 || true
    artifacts=$(find "$work" -maxdepth 1 -type f \
        \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \))
    if [ "$rc" -ne 0 ] || [ -n "$artifacts" ]; then
        found=1
        echo "!! $t: exit $rc"
        grep -m 3 -E 'ERROR|runtime error|SUMMARY' "$work/fuzz.log" || true
        [ -n "$artifacts" ] && echo "$artifacts"
    fi
done
if [ "$found" -ne 0 ]; then
    echo "fuzz: findings above (reproduce: \$BUILD/tests/<target>_fuzz <artifact>)"
    exit 1
fi
echo "fuzz: no findings"
