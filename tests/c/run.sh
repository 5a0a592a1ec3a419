#!/usr/bin/env bash
# Builds the C tests with -std=c99 -Wall -Wextra -Werror -pedantic against libapig (the
# release build, no Python), shared and static, and runs them against apig-emulator; the
# main test also runs under valgrind memcheck when valgrind is installed.
# Usage: tests/c/run.sh   (expects `cargo build --release` and the emulator binary built)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
emulator="${APIG_EMULATOR:-$root/target/debug/apig-emulator}"
out="$root/target/c-tests"
prefix="$out/prefix"
rm -rf "$out"
mkdir -p "$out"
cc=${CC:-cc}
cxx=${CXX:-c++}
project=0123456789abcdef0123456789abcdef
cflags=(-std=c99 -Wall -Wextra -Werror -pedantic)

# Everything links against an installed copy, found through pkg-config, as users do.
"$root/scripts/install-c" "$prefix" --no-build
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
if command -v pkg-config >/dev/null; then
    read -r -a shared <<< "$(pkg-config --cflags --libs apig)"
    read -r -a static <<< "$(pkg-config --cflags --libs apig-static)"
else
    echo "NOTE: pkg-config is not installed; using the flags apig.pc would give" >&2
    shared=(-I"$prefix/include" -L"$prefix/lib" -lapig)
    static=(-I"$prefix/include" "$prefix/lib/libapig.a" -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc)
fi
rpath=(-Wl,-rpath,"$prefix/lib")

"$cc" "${cflags[@]}" "$root/tests/c/test_apig.c" -o "$out/test_apig" "${shared[@]}" "${rpath[@]}"
"$cc" "${cflags[@]}" "$root/tests/c/test_apig.c" -o "$out/test_apig_static" "${static[@]}"
"$cc" "${cflags[@]}" "$root/tests/c/test_options.c" -o "$out/test_options" "${shared[@]}" "${rpath[@]}"
"$cc" "${cflags[@]}" "$root/tests/c/test_cancel.c" -o "$out/test_cancel" "${shared[@]}" -lpthread "${rpath[@]}"
"$cc" "${cflags[@]}" "$root/tests/c/test_identity.c" -o "$out/test_identity" "${shared[@]}" "${rpath[@]}"
"$cc" "${cflags[@]}" "$root/tests/c/test_threads.c" -o "$out/test_threads" "${shared[@]}" -lpthread "${rpath[@]}"
"$cc" "${cflags[@]}" "$root/tests/c/test_lifecycle.c" -o "$out/test_lifecycle" "${shared[@]}" "${rpath[@]}"
"$cc" "${cflags[@]}" "$root/tests/c/test_throttle.c" -o "$out/test_throttle" "${shared[@]}" -lpthread "${rpath[@]}"
"$cxx" -std=c++11 -Wall -Wextra -Werror -pedantic "$root/tests/c/test_cpp.cpp" -o "$out/test_cpp" "${shared[@]}" "${rpath[@]}"
"$cc" "${cflags[@]}" "$root/examples/delete_certificate.c" -o "$out/example_shared" "${shared[@]}" "${rpath[@]}"
# The same programs under AddressSanitizer and UndefinedBehaviorSanitizer (the C side: our
# header's types, every pointer we hand out and take back), where the compiler has them.
sanitize=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
sanitizers=1
for program in test_apig test_cancel test_identity test_lifecycle test_throttle; do
    extra=()
    case "$program" in test_cancel | test_throttle) extra=(-lpthread) ;; esac
    if ! "$cc" "${cflags[@]}" "${sanitize[@]}" "$root/tests/c/$program.c" -o "$out/${program}_asan" \
        "${shared[@]}" "${extra[@]}" "${rpath[@]}" 2> "$out/asan-build.log"; then
        sanitizers=0
    fi
done
"$cc" "${cflags[@]}" "$root/examples/delete_certificate.c" -o "$out/example_static" "${static[@]}"

emulator_pid=
stop_emulator() {
    if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
    emulator_pid=
}
trap stop_emulator EXIT

# Starts a fresh emulator (seeded for the test programs) and sets $endpoint.
start_emulator() {
    local seeds=(--cert "$project/c-bound=www.example.com" --rules "$root/tests/c/rules.json")
    for i in 1 2 3 4 5; do seeds+=(--cert "$project/c-ok-$i"); done
    for i in password discovered metadata-1 metadata-2 pod oidc oidc-env; do seeds+=(--cert "$project/id-$i"); done
    seeds+=(--cert "$project/c-failover" --idp "c-idp=c-oidc.jwt.token")
    seeds+=(--cert "$project/c-env" --cert "$project/c-outcome" --cert "$project/c-after")
    for t in 0 1 2 3 4 5 6 7; do seeds+=(--cert-range "$project/t$t-/$per_thread"); done
    launch_emulator "${seeds[@]}"
}

# Starts a fresh emulator with no certificate at all (test_lifecycle and test_throttle seed their
# own through the control API; test_lifecycle lists the whole project) and sets $endpoint.
start_bare_emulator() {
    launch_emulator
}

# Starts a fresh emulator with ARGS and sets $endpoint.
launch_emulator() {
    stop_emulator
    # Removed first, by this shell: the new emulator's shell truncates the file only once it runs,
    # and until then the loop below would read the last emulator's address.
    rm -f "$out/emulator.out"
    "$emulator" "$@" > "$out/emulator.out" &
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

# Every delete of test_threads is in the emulator's log: one 204 and one 404 per certificate.
accounted_for() {
    local expected=$1 counts
    counts=$(python3 -c '
import collections, json, sys, urllib.request
log = json.load(urllib.request.urlopen(sys.argv[1] + "/_emulator/requests"))
c = collections.Counter(r["status"] for r in log)
print(len(log), c[204], c[404])' "$endpoint")
    if [ "$counts" = "$expected $((expected / 2)) $((expected / 2))" ]; then
        echo "c_log: 1 passed, 0 failed"
    else
        echo "c_log: 0 passed, 1 failed (requests, 204s, 404s: $counts; expected $expected in all)"
        return 1
    fi
}

# How often test_identity made the emulator's IAM, metadata service and pod identity answer:
# credentials are fetched once per client, never per call.
identity_counts() {
    local counts
    counts=$(python3 -c 'import json, sys, urllib.request
expected = json.loads(sys.argv[2])
counters = json.load(urllib.request.urlopen(sys.argv[1] + "/_emulator/counters"))
print(json.dumps({k: counters.get(k) for k in expected}, sort_keys=True))' "$endpoint" "$1")
    if [ "$counts" = "$(python3 -c 'import json, sys; print(json.dumps(json.loads(sys.argv[1]), sort_keys=True))' "$1")" ]; then
        echo "c_identity_counts: 1 passed, 0 failed"
    else
        echo "c_identity_counts: 0 passed, 1 failed (counters $counts; expected $1)"
        return 1
    fi
}

# Every option through the C setters, against tests/options/cases.json (as Rust and Python).
options_walk() {
    python3 - "$out/test_options" "$root/tests/options/cases.json" <<'PY'
import json, subprocess, sys
program, path = sys.argv[1], sys.argv[2]
cases = json.load(open(path, encoding="utf-8"))["cases"]
args = []
for case in cases:
    value = case.get("c_value", case["value"])
    args += [case["option"], str(value)]
lines = subprocess.run([program] + args, capture_output=True, text=True, check=True).stdout.splitlines()
bad = 0
for case, line in zip(cases, lines):
    option, message = line.split("\t", 1)
    if (option, message) != (case["option"], case["message"]):
        bad += 1
        print(f"FAIL: {case['option']}: C says {message!r}, the core's message is {case['message']!r}")
if len(lines) != len(cases):
    bad += 1
    print(f"FAIL: {len(lines)} answers for {len(cases)} cases")
print(f"c_options: {len(cases) - bad} passed, {bad} failed")
sys.exit(1 if bad else 0)
PY
}

# Packaging: the SONAME, a static binary that needs no libapig.so, the installed example.
packaging() {
    local checks=0 bad=0 soname needed
    soname=$(readelf -d "$prefix/lib/libapig.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
    needed=$(readelf -d "$out/example_shared" | grep NEEDED || true)
    checks=$((checks + 1)); [ -e "$prefix/lib/$soname" ] && [[ "$soname" == libapig.so.* ]] || { echo "FAIL: SONAME $soname"; bad=$((bad + 1)); }
    checks=$((checks + 1)); grep -q "\[$soname\]" <<< "$needed" || { echo "FAIL: example_shared does not need $soname"; bad=$((bad + 1)); }
    checks=$((checks + 1)); ! readelf -d "$out/example_static" | grep -q 'libapig' || { echo "FAIL: example_static needs libapig.so"; bad=$((bad + 1)); }
    checks=$((checks + 1)); grep -qx "Version: $(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)" "$prefix/lib/pkgconfig/apig.pc" || { echo "FAIL: apig.pc version"; bad=$((bad + 1)); }
    for example in example_shared example_static; do
        start_emulator
        local output
        output=$(APIG_TOKEN=emulator-token "$out/$example" "$endpoint" "$project" c-ok-1 nope c-bound) && status=0 || status=$?
        checks=$((checks + 1)); [ "$status" = 1 ] || { echo "FAIL: $example exit $status"; bad=$((bad + 1)); }
        checks=$((checks + 1)); grep -q "c-ok-1 *deleted" <<< "$output" || { echo "FAIL: $example: $output"; bad=$((bad + 1)); }
        checks=$((checks + 1)); grep -q "nope *APIG_E_NOT_FOUND (HTTP 404, APIG.3021)" <<< "$output" || { echo "FAIL: $example: $output"; bad=$((bad + 1)); }
        checks=$((checks + 1)); grep -q "c-bound *APIG_E_IN_USE (HTTP 403, APIG.3474)" <<< "$output" || { echo "FAIL: $example: $output"; bad=$((bad + 1)); }
    done
    echo "c_packaging: $((checks - bad)) passed, $bad failed"
    [ "$bad" = 0 ]
}

start_emulator; run "$out/test_apig" "$endpoint" "$project"
start_emulator; run "$out/test_apig_static" "$endpoint" "$project"
start_emulator; run "$out/test_cancel" "$endpoint" "$project"
start_emulator; run "$out/test_identity" "$endpoint" "$project"
run identity_counts '{"iam_projects": 1, "iam_tokens": 2, "metadata_session_tokens": 1, "metadata_credentials": 1, "pod_credentials": 1, "iam_id_tokens": 3, "iam_security_tokens": 2, "expired_uses": 0}'
start_bare_emulator; run "$out/test_lifecycle" "$endpoint" "$project"
start_bare_emulator; run "$out/test_throttle" "$endpoint" "$project"
if [ "$sanitizers" = 1 ]; then
    # Leaks are valgrind's job below (LeakSanitizer cannot tell the Rust runtime's
    # process-lifetime allocations from leaks); every memory or UB error fails here.
    for program in test_apig test_cancel test_identity test_lifecycle test_throttle; do
        case "$program" in test_lifecycle | test_throttle) start_bare_emulator ;; *) start_emulator ;; esac
        ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
            run "$out/${program}_asan" "$endpoint" "$project"
    done
else
    echo "NOTE: this C compiler cannot build with -fsanitize=address,undefined: the sanitizer runs are skipped" >&2
    cat "$out/asan-build.log" >&2
fi
start_emulator; run "$out/test_threads" "$endpoint" "$project" "$per_thread"
run accounted_for "$((8 * per_thread * 2))"
run "$out/test_cpp"
run options_walk
run packaging
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
    start_emulator
    memcheck test_identity "$out/test_identity" "$endpoint" "$project"
    start_bare_emulator
    memcheck test_lifecycle "$out/test_lifecycle" "$endpoint" "$project"
    start_bare_emulator
    memcheck test_throttle "$out/test_throttle" "$endpoint" "$project"
    per_thread=25
    start_emulator
    memcheck test_threads "$out/test_threads" "$endpoint" "$project" "$per_thread"
else
    echo "NOTE: valgrind is not installed; the memcheck run of the C tests is skipped" >&2
fi
stop_emulator
exit "$failed"
