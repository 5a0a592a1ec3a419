#!/usr/bin/env bash
# Checks the release artifacts in dist/ (built by scripts/dist) as users meet them: the wheel's
# manylinux2014 tag (and auditwheel's word), the GLIBC versions both shared objects need, the C
# archive unpacked somewhere else and used through pkg-config and CMake, the CMake package of an
# install, the build tree linked as a C developer does first, and the wheel and the sdist installed
# into fresh virtualenvs with no Rust anywhere (a PATH and an environment built for that, since a
# distribution's cargo is in /usr/bin). Prints "dist_<check>: N passed, N failed" lines.
# Usage: tests/dist/run.sh   (after scripts/dist, cargo build --release, the emulator binary
# and tests/c/run.sh's install in target/c-tests/prefix)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
venv="$root/.venv"
export PATH="$venv/bin:$PATH"
out="$root/target/dist-tests"
rm -rf "$out"
mkdir -p "$out"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
project=0123456789abcdef0123456789abcdef
# shellcheck source=checks.sh
source tests/dist/checks.sh

# --- the wheel --------------------------------------------------------------------------
# dist/ may hold the other platforms' wheels too (tests/cross/run.sh checks those).
wheel="dist/pyapig-$version-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"
check "the wheel is there, tagged manylinux2014_x86_64: $wheel" test -f "$wheel"
check "auditwheel agrees" auditwheel_says "$wheel" manylinux_2_17_x86_64
mkdir -p "$out/wheel" && (cd "$out/wheel" && python -m zipfile -e "$root/$wheel" .)
native=$(ls "$out"/wheel/pyapig/_native*.so | head -n 1)
check "the wheel's native module needs GLIBC <= 2.17" at_most_2_17 "$native"
check "the wheel has no test hook (_panic_next, _raise_kind, _error_table)" no_test_hooks "$native"
report wheel

# --- the C archive, unpacked somewhere else ----------------------------------------------
archive="dist/apig-$version-x86_64-linux-gnu.tar.gz"
mkdir -p "$out/unpacked/elsewhere"
check "the archive unpacks" tar -C "$out/unpacked/elsewhere" -xzf "$archive"
a="$out/unpacked/elsewhere/apig-$version-x86_64-linux-gnu"
for f in $(library_layout); do
    check "the archive has $f" test -e "$a/$f"
done
check "the archive's SONAME is libapig.so.0.1" has_soname "$a/lib/libapig.so.$version"
check "the archive's libapig.so needs GLIBC <= 2.17" at_most_2_17 "$a/lib/libapig.so.$version"
export PKG_CONFIG_PATH="$a/lib/pkgconfig"
check "pkg-config finds the unpacked version" test "$(pkg-config --modversion apig)" = "$version"
# shellcheck disable=SC2046
check "pkg-config: shared build" cc -std=c99 -Wall -Wextra -Werror examples/delete_certificate.c -o "$out/pc_shared" \
    $(pkg-config --cflags --libs apig) -Wl,-rpath,"$a/lib"
check "pkg-config: shared program deletes against the emulator" example_works "$out/pc_shared"
# shellcheck disable=SC2046
check "pkg-config: static build" cc -std=c99 -Wall -Wextra -Werror examples/delete_certificate.c -o "$out/pc_static" \
    $(pkg-config --cflags --libs apig-static)
check "pkg-config: the static program needs no libapig.so" needs_no_libapig "$out/pc_static"
check "pkg-config: static program deletes against the emulator" example_works "$out/pc_static"
unset PKG_CONFIG_PATH
report archive

# --- CMake, against the unpacked archive and against an install ----------------------------
check "CMake: apig::apig from the archive" cmake_build "$a" "$out/cmake_shared"
check "CMake: the shared program deletes against the emulator" example_works "$out/cmake_shared/delete_certificate"
check "CMake: apig::apig_static from the archive" cmake_build "$a" "$out/cmake_static" -DAPIG_STATIC=ON
check "CMake: the static program deletes against the emulator" example_works "$out/cmake_static/delete_certificate"
check "CMake: the static program needs no libapig.so" needs_no_libapig "$out/cmake_static/delete_certificate"
# A version file that refuses what this ABI cannot serve, for the reason CMake states.
refused() { # VERSION
    ! cmake -S tests/dist/cmake -B "$out/cmake_v$1" -DCMAKE_PREFIX_PATH="$a" -DAPIG_REQUEST_VERSION="$1" > "$out/cmake_v$1.log" 2>&1 \
        && tr -s ' \n' ' ' < "$out/cmake_v$1.log" | grep -q "compatible with requested version \"$1\"" \
        && grep -q "apigConfig.cmake, version: $version" "$out/cmake_v$1.log"
}
for wrong in 0.2 1.0 0.0; do
    check "CMake: find_package(apig $wrong) is refused" refused "$wrong"
done
install_prefix="$root/target/c-tests/prefix"
check "CMake: apig::apig from a scripts/install-c install" cmake_build "$install_prefix" "$out/cmake_install"
check "CMake: the program of the install deletes against the emulator" example_works "$out/cmake_install/delete_certificate"
report cmake

# --- the build tree, as a C developer links it first ----------------------------------------
check "build tree: cc -Iinclude -Ltarget/release -lapig" cc -std=c99 -Wall -Wextra -Werror examples/delete_certificate.c \
    -o "$out/build_tree" -Iinclude -Ltarget/release -Wl,-rpath,"$root/target/release" -lapig
check "build tree: the program starts and deletes" example_works "$out/build_tree"
report build_tree

# --- the wheel and the sdist in fresh virtualenvs, no Rust anywhere ------------------------------
# Not a PATH with one directory left out: a distribution's cargo lives in /usr/bin beside
# everything else. The installs and the smoke tests run with a PATH and an environment built for
# them: a directory of links to exactly the tools they need (the Python interpreter and sh),
# and only HOME, LANG and the metadata address from the environment (no CARGO_HOME, RUSTUP_*…).
no_rust_bin="$out/no-rust-bin"
mkdir -p "$no_rust_bin"
# The interpreter behind .venv (a venv's own python would bring .venv along).
base_python=$("$venv/bin/python" -c 'import sys; print(sys._base_executable)')
for tool in python3 python; do ln -sf "$base_python" "$no_rust_bin/$tool"; done
ln -sf "$(command -v sh)" "$no_rust_bin/sh"
no_rust() { env -i PATH="$no_rust_bin" HOME="$out" LANG=C.UTF-8 APIG_METADATA_ENDPOINT=http://127.0.0.1:1 "$@"; }
fresh_venv() { # DIR PACKAGE
    no_rust python3 -m venv "$1" && no_rust "$1/bin/python" -m pip install --quiet --disable-pip-version-check --no-index --no-deps "$2"
}
smoke() { (cd "$out" && no_rust "$1/bin/python" "$root/tests/dist/smoke.py"); }
check "no cargo or rustc where the wheel is installed and smoke-tested" \
    no_rust sh -c '! command -v cargo && ! command -v rustc && ! command -v rustup && [ -z "${CARGO_HOME:-}${RUSTUP_HOME:-}" ]'
check "the wheel installs into a fresh venv" fresh_venv "$out/venv-wheel" "$wheel"
check "the installed wheel works" smoke "$out/venv-wheel"
sdist=$(ls dist/pyapig-"$version".tar.gz)
mkdir -p "$out/sdist-wheel"
# The sdist builds a wheel as pip does it (maturin from .venv; Rust needed for this step only).
# Never from pip's cache: it keys a local sdist by its path, so every run of the same version
# would get the wheel the first run built (and test old code). Nor from an old build of the crate:
# the sdist's files carry fixed times, older than any earlier build, so cargo would take that
# build as fresh; its fingerprints go (the dependencies' builds stay).
rm -rf "$root"/target/sdist/release/.fingerprint/apig-*
check "the sdist builds a wheel" env CARGO_TARGET_DIR="$root/target/sdist" python -m pip wheel --quiet --disable-pip-version-check \
    --no-cache-dir --no-deps --no-build-isolation -w "$out/sdist-wheel" "$sdist"
check "the sdist's wheel installs into a fresh venv" fresh_venv "$out/venv-sdist" "$(ls "$out"/sdist-wheel/pyapig-*.whl | head -n 1)"
check "the sdist's wheel works" smoke "$out/venv-sdist"
report install

[ "$total_failed" = 0 ]
