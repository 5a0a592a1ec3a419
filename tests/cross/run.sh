#!/usr/bin/env bash
# Checks the aarch64 and musl artifacts in dist/ (scripts/dist builds them where it can) on this
# x86_64 machine, each run before it ships: the wheels' tags (and auditwheel's word), what their
# modules and the C libraries need from the C library (GLIBC <= 2.17 for aarch64 glibc, only musl's
# libc for musl), and each one deleting certificates from the emulator, which runs natively:
#   - the manylinux aarch64 wheel in Debian's own arm64 CPython, unpacked, under qemu-aarch64;
#   - the musllinux wheels in a musl CPython built here from Debian's source with zig
#     (tests/cross/musl-python.sh), natively for x86_64 and under qemu-aarch64 for aarch64;
#   - each C archive unpacked elsewhere and used by the example program built as its README says
#     (pkg-config and CMake, shared and static): aarch64 glibc with aarch64-linux-gnu-gcc, musl
#     with zig cc, run under qemu-aarch64 or natively.
# Without the cross toolchain (scripts/cross.sh installs it as root on Debian 12) it prints a NOTE
# naming what is missing and checks nothing — a failure under APIG_CROSS=required (CI). Prints "dist_<target>_<check>: N passed, N failed".
# Usage: tests/cross/run.sh   (after scripts/dist and `cargo build --features emulator --bins`)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
venv="$root/.venv"
py="$venv/bin/python"
export PATH="$venv/bin:$PATH"
# shellcheck source=../../scripts/cross.sh
source scripts/cross.sh
out="$root/target/cross-tests"
# Downloads and the musl CPythons are kept between runs (rebuilt when their stamps change).
cache="$root/target/cross/test-roots"
rm -rf "$out"
mkdir -p "$out" "$cache"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
project=0123456789abcdef0123456789abcdef

# A skip is a NOTE, or a failure where the checks are required (APIG_CROSS=required: CI).
skip() {
    # Also kept in the file of scripts/test's closing lines.
    {
        echo "NOTE: the aarch64 and musl artifacts are not checked: $1"
        [ -z "${2:-}" ] || sed 's/^/NOTE:   /' <<< "$2"
    } | tee -a target/cross-skipped.txt
    if [ "${APIG_CROSS:-}" = required ]; then
        echo "dist_cross_required: 0 passed, 1 failed (APIG_CROSS=required)"
        exit 1
    fi
    exit 0
}
[ "${APIG_CROSS:-1}" != 0 ] || skip "APIG_CROSS=0"
missing=$(cross_missing test)
[ -z "$missing" ] || skip "this machine lacks (scripts/test installs these as root on Debian 12)" "$missing"

# shellcheck source=../dist/checks.sh
source tests/dist/checks.sh
# The wheel's smoke scenario (tests/cross/smoke.py) by a Python (under RUNNER…) with the unpacked
# wheel on its path; ARCH and LIBC are what that interpreter must say it runs on.
wheel_works() { # ARCH LIBC UNPACKED_WHEEL PYTHON [RUNNER…]
    local machine=$1 libc=$2 unpacked=$3 python=$4; shift 4
    start_emulator
    local output
    output=$(cd "$out" && PYTHONPATH="$unpacked" PYTHONNOUSERSITE=1 APIG_METADATA_ENDPOINT=http://127.0.0.1:1 \
        "$@" "$python" "$root/tests/cross/smoke.py" "$endpoint" "$project" 2>&1) || { echo "$output"; return 1; }
    echo "$output"
    grep -q "on $machine ($machine-[a-z]*-linux-$libc), .*: ok$" <<< "$output" \
        && grep -q "from $unpacked/pyapig/" <<< "$output"
}
wheel_smoke_own_emulator() { # UNPACKED_WHEEL PYTHON
    local output
    output=$(cd "$out" && PYTHONPATH="$1" PYTHONNOUSERSITE=1 APIG_METADATA_ENDPOINT=http://127.0.0.1:1 \
        "$2" "$root/tests/dist/smoke.py" 2>&1) || { echo "$output"; return 1; }
    echo "$output"
    grep -q "from $1/pyapig/.*: ok$" <<< "$output"
}
elf_machine() { readelf -h "$1" | sed -n 's/^ *Machine: *//p'; }
is_machine() { case "$(elf_machine "$2")" in *"$1") ;; *) echo "$2 is for $(elf_machine "$2")"; return 1 ;; esac; }
# The shared objects a file names, space-separated, in order.
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ' | sed 's/ $//'; }
needs_exactly() { local got; got=$(needed "$2"); [ "$got" = "$1" ] || { echo "$2 needs '$got', not '$1'"; return 1; }; }
no_debug_info() { local sections; sections=$(readelf -S --wide "$1") && ! grep -q '\.debug_info' <<< "$sections"; }
# Two non-empty texts that are the same.
same() { [ -n "$1" ] && [ "$1" = "$2" ] || { echo "'$1' != '$2'"; return 1; }; }

# --- what the tests run on: Debian's arm64 CPython and musl, the musl CPythons ----------------
step_started=$SECONDS
echo "preparing the test roots (downloads once; the musl CPythons take ~2.5 min each the first time)"
if ! tests/cross/fetch.sh "$cache" > "$out/fetch.log" 2>&1; then
    cat "$out/fetch.log"
    echo "dist_cross_roots: 0 passed, 1 failed"
    exit 1
fi
musl_arm64="$cache/aarch64-musl"
zig=$(zig_path)
source_tarball=$(ls "$cache"/src/python3.11_*.orig.tar.gz | tail -n 1)
for arch in x86_64 aarch64; do
    check "a musl CPython for $arch builds" tests/cross/musl-python.sh "$arch" "$cache/musl-python-$arch" "$source_tarball" "$zig"
done
report cross_roots
echo "    (test roots ready in $((SECONDS - step_started)) s)"

# Wrappers that compile C for a musl target with zig: CMake and pkg-config users name one program.
# -O1: zig's unoptimized default adds a UBSan runtime that needs statx, which Debian's musl lacks.
mkdir -p "$out/bin"
for arch in x86_64 aarch64; do
    printf '#!/bin/sh\nexec "%s" cc -target %s-linux-musl "$@"\n' "$zig" "$arch" > "$out/bin/$arch-linux-musl-cc"
    chmod +x "$out/bin/$arch-linux-musl-cc"
done

# --- each target ---------------------------------------------------------------------------------
check_target() { # RUST_TARGET
    local target=$1 arch=${1%%-*} libc=${1##*-}
    local triple machine name="${arch}_$libc" runner=() cc wheel_tag python_runner=() python
    triple=$(cross_archive_triple "$target")
    if [ "$arch" = aarch64 ]; then machine=AArch64; else machine=X86-64; fi
    if [ "$libc" = gnu ]; then
        wheel_tag="manylinux2014_$arch.manylinux_2_17_$arch"
        cc=$arch-linux-gnu-gcc
        runner=(qemu-aarch64 -L "/usr/$arch-linux-gnu")
        python="$cache/aarch64-gnu/usr/bin/python3.11"
        python_runner=(qemu-aarch64 -L "$cache/aarch64-gnu")
    else
        wheel_tag="musllinux_1_2_$arch"
        cc="$out/bin/$arch-linux-musl-cc -O1"
        [ "$arch" = x86_64 ] || runner=(qemu-aarch64 -L "$musl_arm64")
        python="$cache/musl-python-$arch/bin/python3.11"
        python_runner=("${runner[@]}")
    fi

    # The wheel.
    local wheel="dist/pyapig-$version-cp39-abi3-$wheel_tag.whl"
    check "$target: dist/ has $wheel" test -f "$wheel"
    check "$target: auditwheel agrees" auditwheel_says "$wheel" "${wheel_tag#*.}"
    local unpacked="$out/$name-wheel"
    mkdir -p "$unpacked" && (cd "$unpacked" && python -m zipfile -e "$root/$wheel" .)
    local module
    module=$(ls "$unpacked"/pyapig/_native*.so 2>/dev/null | head -n 1)
    check "$target: the wheel's module is for $machine" is_machine "$machine" "$module"
    if [ "$libc" = gnu ]; then
        check "$target: the wheel's module needs GLIBC <= 2.17" at_most_2_17 "$module"
    else
        check "$target: the wheel's module needs musl's libc only, by Alpine's name" needs_exactly "libc.musl-$arch.so.1" "$module"
    fi
    check "$target: the wheel has no test hook" no_test_hooks "$module"
    check "$target: the wheel deletes, lists and signs in a $libc CPython on $arch" \
        wheel_works "$arch" "$libc" "$unpacked" "$python" "${python_runner[@]}"
    if [ ${#python_runner[@]} = 0 ]; then
        # Natively, the emulator inside the wheel (pyapig.testing) runs too: the x86_64 wheel's
        # own smoke test (tokio's runtime does not run under qemu-user).
        check "$target: the wheel's own emulator runs, and the x86_64 wheel's smoke test passes" \
            wheel_smoke_own_emulator "$unpacked" "$python"
    fi
    report "${name}_wheel"

    # The C archive, unpacked elsewhere.
    local archive="dist/apig-$version-$triple.tar.gz" a="$out/$name-elsewhere/apig-$version-$triple"
    mkdir -p "$out/$name-elsewhere"
    check "$target: the archive unpacks" tar -C "$out/$name-elsewhere" -xzf "$archive"
    local f
    for f in $(library_layout) README.md docs/platforms.md; do
        check "$target: the archive has $f" test -e "$a/$f"
    done
    local so="$a/lib/libapig.so.$version"
    check "$target: libapig.so is for $machine" is_machine "$machine" "$so"
    check "$target: libapig.so's SONAME is libapig.so.0.1" has_soname "$so"
    if [ "$libc" = gnu ]; then
        check "$target: libapig.so needs GLIBC <= 2.17" at_most_2_17 "$so"
    else
        check "$target: libapig.so needs musl's libc only" needs_exactly libc.so "$so"
    fi
    check "$target: libapig.a is stripped of debug info (by a strip that reads it)" no_debug_info "$a/lib/libapig.a"
    export PKG_CONFIG_PATH="$a/lib/pkgconfig"
    local pc_libs cmake_libs built_libs
    pc_libs=$(pkg-config --libs apig-static | sed 's/^[^ ]*libapig\.a //; s/ *$//')
    built_libs=$(native_static_libs 2> /dev/null < "target/dist/$target-lib.log")
    check "$target: apig-static.pc names what rustc said this target's static library needs" same "$pc_libs" "$built_libs"
    cmake_libs=$(sed -n 's/.*INTERFACE_LINK_LIBRARIES "\([^"]*\)".*/\1/p' "$a/lib/cmake/apig/apigConfig.cmake")
    check "$target: the CMake config names the same libraries" same "$(sed 's/-l//g; s/ /;/g' <<< "$pc_libs")" "$cmake_libs"
    # Independently of the build's log: for glibc, what rustc says for an empty static library of
    # this target; for musl (no prebuilt std to ask), the list docs/platforms.md gives. A copied
    # glibc list would still link against musl (it has empty libutil, librt…): only this tells.
    local expected_libs="-lgcc_s -lc"
    if [ "$libc" = gnu ]; then
        echo '' > "$out/empty.rs"
        expected_libs=$("$cross_rustc" --target "$target" --crate-type staticlib --print native-static-libs \
            -o "$out/empty.a" "$out/empty.rs" 2>&1 | native_static_libs)
        rm -f "$out/empty.a"
    fi
    check "$target: and that is this target's own list ($expected_libs)" same "$pc_libs" "$expected_libs"
    check "$target: docs/platforms.md gives that list for *-linux-$libc" \
        grep -qF -- "| \`*-linux-$libc\` | \`$expected_libs\` |" docs/platforms.md
    check "$target: pkg-config finds the unpacked version" same "$(pkg-config --modversion apig)" "$version"
    # shellcheck disable=SC2046,SC2086
    check "$target: pkg-config: shared build ($cc)" $cc -std=c99 -Wall -Wextra -Werror examples/delete_certificate.c \
        -o "$out/$name-pc-shared" $(pkg-config --cflags --libs apig) -Wl,-rpath,"$a/lib"
    check "$target: pkg-config: the shared program is for $machine" is_machine "$machine" "$out/$name-pc-shared"
    check "$target: pkg-config: the shared program deletes against the emulator" \
        example_works "${runner[@]}" "$out/$name-pc-shared"
    local static_flag=()
    [ "$libc" = gnu ] || static_flag=(-static)  # musl: a fully static program, as Alpine users build
    # shellcheck disable=SC2046,SC2086
    check "$target: pkg-config: static build" $cc -std=c99 -Wall -Wextra -Werror "${static_flag[@]}" \
        examples/delete_certificate.c -o "$out/$name-pc-static" $(pkg-config --cflags --libs apig-static)
    check "$target: pkg-config: the static program needs no libapig.so" needs_no_libapig "$out/$name-pc-static"
    check "$target: pkg-config: the static program deletes against the emulator" \
        example_works "${runner[@]}" "$out/$name-pc-static"
    unset PKG_CONFIG_PATH

    # CMake, as a cross build: this target's compiler, a Release build.
    local cc_program=${cc%% *} cc_flags=${cc#"${cc%% *}"}
    local cmake_cross=(-DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR="$arch" -DCMAKE_C_COMPILER="$cc_program"
        -DCMAKE_C_FLAGS="$cc_flags" -DCMAKE_BUILD_TYPE=Release)
    check "$target: CMake: apig::apig" cmake_build "$a" "$out/$name-cmake-shared" "${cmake_cross[@]}"
    check "$target: CMake: the shared program deletes against the emulator" \
        example_works "${runner[@]}" "$out/$name-cmake-shared/delete_certificate"
    check "$target: CMake: apig::apig_static" cmake_build "$a" "$out/$name-cmake-static" "${cmake_cross[@]}" -DAPIG_STATIC=ON
    check "$target: CMake: the static program needs no libapig.so" needs_no_libapig "$out/$name-cmake-static/delete_certificate"
    check "$target: CMake: the static program deletes against the emulator" \
        example_works "${runner[@]}" "$out/$name-cmake-static/delete_certificate"
    report "${name}_archive"
}

for target in "${cross_targets[@]}"; do
    check_target "$target"
done
[ "$total_failed" = 0 ]
