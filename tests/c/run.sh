#!/usr/bin/env bash
# Builds the C tests with -std=c99 -Wall -Wextra -Werror -pedantic against libapig (the
# release build, no Python), shared and static, and runs them against apig-emulator; the
# main test also runs under valgrind memcheck when valgrind is installed.
# Usage: tests/c/run.sh   (expects `cargo build --release` and the emulator binary built)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
lib="$root/target/release"
emulator="${APIG_EMULATOR:-$root/target/debug/apig-emulator}"
out="$root/target/c-tests"
mkdir -p "$out"
cc=${CC:-cc}
cxx=${CXX:-c++}
project=0123456789abcdef0123456789abcdef
cflags=(-std=c99 -Wall -Wextra -Werror -pedantic -I"$root/include")
# The system libraries a Rust static library needs (cargo's --print native-static-libs).
static_libs=(-lpthread -ldl -lm -lrt -lgcc_s -lc)

"$cc" "${cflags[@]}" "$root/tests/c/test_apig.c" -o "$out/test_apig" -L"$lib" -lapig -Wl,-rpath,"$lib"
"$cc" "${cflags[@]}" "$root/tests/c/test_apig.c" -o "$out/test_apig_static" "$lib/libapig.a" "${static_libs[@]}"
"$cc" "${cflags[@]}" "$root/tests/c/test_threads.c" -o "$out/test_threads" -L"$lib" -lapig -lpthread -Wl,-rpath,"$lib"
"$cxx" -std=c++11 -Wall -Wextra -Werror -pedantic -I"$root/include" "$root/tests/c/test_cpp.cpp" \
    -o "$out/test_cpp" -L"$lib" -lapig -Wl,-rpath,"$lib"

emulator_pid=
stop_emulator() {
    if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
    emulator_pid=
}
trap stop_emulator EXIT

# Starts a fresh emulator (seeded for the test programs) and sets $endpoint.
start_emulator() {
    stop_emulator
    local seeds=(--cert "$project/c-bound=www.example.com" --rules "$root/tests/c/rules.json")
    for i in 1 2 3 4 5; do seeds+=(--cert "$project/c-ok-$i"); done
    seeds+=(--cert "$project/c-env")
    for t in 0 1 2 3 4 5 6 7; do seeds+=(--cert-range "$project/t$t-/$per_thread"); done
    "$emulator" "${seeds[@]}" > "$out/emulator.out" &
    emulator_pid=$!
    for _ in $(seq 100); do
        endpoint=$(head -n 1 "$out/emulator.out" 2>/dev/null || true)
        [ -n "$endpoint" ] && return 0
        sleep 0.05
    done
    echo "the emulator did not start" >&2
    exit 1
}

per_thread=${APIG_C_PER_THREAD:-250}
failed=0
run() {
    echo "+ $*"
    "$@" || failed=1
}

start_emulator; run "$out/test_apig" "$endpoint" "$project"
start_emulator; run "$out/test_apig_static" "$endpoint" "$project"
start_emulator; run "$out/test_threads" "$endpoint" "$project" "$per_thread"
run "$out/test_cpp"
memcheck() {
    local name=$1; shift
    run valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        --show-leak-kinds=definite --log-file="$out/valgrind-$name.log" "$@"
    echo "valgrind ($name): $(grep -h 'ERROR SUMMARY' "$out/valgrind-$name.log" | sed 's/^==[0-9]*== //')"
    grep -h 'definitely lost' "$out/valgrind-$name.log" | sed "s/^==[0-9]*== */valgrind ($name): /" || true
}
if command -v valgrind >/dev/null; then
    start_emulator
    memcheck test_apig "$out/test_apig" "$endpoint" "$project"
    per_thread=25
    start_emulator
    memcheck test_threads "$out/test_threads" "$endpoint" "$project" "$per_thread"
else
    echo "NOTE: valgrind is not installed; the memcheck run of the C tests is skipped" >&2
fi
stop_emulator
exit "$failed"
