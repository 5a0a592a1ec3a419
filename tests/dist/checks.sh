# What tests/dist/run.sh and tests/cross/run.sh share: counting checks, the emulator they run
# programs against, what every wheel and archive is checked for, and what a shared object needs
# from glibc. Sourced; expects $root, $out, $project and $version, and runs from $root.

passed=0 failed=0 total_failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
# Runs a check; its output is shown only when it fails.
check() { local what=$1; shift; if "$@" > "$out/last.log" 2>&1; then pass; else fail "$what"; cat "$out/last.log"; fi; }
# Ends a group of checks with its "dist_<group>: N passed, N failed" line (scripts/test counts them).
report() { echo "dist_$1: $passed passed, $failed failed"; total_failed=$((total_failed + failed)); passed=0 failed=0; }

# A fresh emulator (the native one: target/debug/apig-emulator) with c1, c2, and bound (bound to
# www.example.com); its address in $endpoint.
emulator_pid=
stop_emulator() { [ -z "$emulator_pid" ] || { kill "$emulator_pid" 2>/dev/null; wait "$emulator_pid" 2>/dev/null; }; emulator_pid=; }
trap stop_emulator EXIT
start_emulator() {
    stop_emulator
    # Removed first, by this shell: the new emulator's shell truncates the file only once it runs,
    # and until then the loop below would read the last emulator's address.
    rm -f "$out/emulator.out"
    "$root/target/debug/apig-emulator" --cert "$project/c1" --cert "$project/c2" \
        --cert "$project/bound=www.example.com" > "$out/emulator.out" 2>> "$out/emulator.err" &
    emulator_pid=$!
    endpoint=
    for _ in $(seq 100); do endpoint=$(head -n 1 "$out/emulator.out" 2>/dev/null); [ -n "$endpoint" ] && return; sleep 0.05; done
    echo "the emulator did not start:" >&2; cat "$out/emulator.err" >&2; exit 1
}
# Runs the example program (examples/delete_certificate.c; under RUNNER…, e.g. qemu) against a
# fresh emulator: c1 deleted, nope not found, bound refused (IN_USE), exit status 1.
example_works() { # [RUNNER…] PROGRAM
    start_emulator
    local output status
    output=$(APIG_TOKEN=emulator-token "$@" "$endpoint" "$project" c1 nope bound 2>&1)
    status=$?
    [ "$status" = 1 ] && grep -q "c1 *deleted" <<< "$output" && grep -q "nope *APIG_E_NOT_FOUND" <<< "$output" \
        && grep -q "bound *APIG_E_IN_USE" <<< "$output" || { echo "exit $status: $output"; return 1; }
}

# --- what every wheel and C archive is checked for, whatever its platform -------------------
# auditwheel calls WHEEL's platform TAG (e.g. manylinux_2_17_x86_64).
# (Each output is read whole before grep: under pipefail, a grep -q that stops reading early
# could turn the writer's SIGPIPE into a wrong answer.)
auditwheel_says() { # WHEEL TAG
    local said
    said=$(auditwheel show "$1") && grep -q "consistent with the following platform tag: \"$2\"" <<< "$(tr -s ' \n' ' ' <<< "$said")"
}
# A release module without the test hooks of the test wheel.
no_test_hooks() { [ -f "$1" ] && ! grep -a -q -E '_panic_next|_raise_kind|_error_table' "$1"; }
# The files of an archive's (and an install's) library layout, relative to its top.
library_layout() {
    echo include/apig.h lib/libapig.a "lib/libapig.so.$version" lib/libapig.so.0.1 lib/libapig.so \
        lib/pkgconfig/apig.pc lib/pkgconfig/apig-static.pc lib/cmake/apig/apigConfig.cmake \
        lib/cmake/apig/apigConfigVersion.cmake
}
has_soname() { local dynamic; dynamic=$(readelf -d "$1") && grep -q 'SONAME.*\[libapig.so.0.1\]' <<< "$dynamic"; }
# A program linked statically: it exists and names no libapig.so.
needs_no_libapig() { local dynamic; [ -f "$1" ] && dynamic=$(readelf -d "$1") && ! grep -q libapig <<< "$dynamic"; }
# The example program (tests/dist/cmake) configured and built against the apig package in
# PREFIX (an install or an unpacked archive); its logs are shown when it fails.
cmake_build() { # PREFIX BUILD_DIR [-D…]
    local prefix=$1 dir=$2; shift 2
    cmake -S tests/dist/cmake -B "$dir" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_RULE_MESSAGES=OFF "$@" > "$dir.configure.log" 2>&1 \
        && cmake --build "$dir" > "$dir.build.log" 2>&1 || { cat "$dir.configure.log" "$dir.build.log" 2>/dev/null; return 1; }
}

# The highest GLIBC_x.y symbol version a shared object needs.
glibc_ceiling() { objdump -T "$1" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1; }
at_most_2_17() {
    local v
    v=$(glibc_ceiling "$1")
    echo "$1 needs GLIBC $v"
    [ -n "$v" ] && [ "$(printf '%s\n2.17\n' "$v" | sort -V | tail -n 1)" = 2.17 ]
}
