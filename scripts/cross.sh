# The release artifacts for the targets besides x86_64 glibc (aarch64 glibc, x86_64 and aarch64
# musl), built on this x86_64 machine: their toolchain (cross_toolchain) and their builds
# (build_cross). Sourced by scripts/common.sh, not run. The recipe, with what bit and why, is in
# docs/platforms.md.
#
# rustup cannot add targets here, so the compiler for them is Debian's rustc-web (with the arm64
# standard library, and the library source for -Zbuild-std on musl, where Debian packages no
# std), driven by rustup's cargo; zig (from .venv) links the glibc 2.17 floor and musl.

# The targets, in build order, with what they are called in file names.
cross_targets=(aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl)
cross_rustc=/usr/bin/rustc
# Debian's packages for the builds and the cross tests. --no-install-recommends: rustc-web
# recommends cargo-web, a /usr/bin/cargo on every PATH.
# python3.11: Debian's, the build Python of the musl CPythons built from its source (same version).
# libc6-dev-arm64-cross: only recommended by gcc-aarch64-linux-gnu, which cannot link without it.
cross_packages=(rustc-web rust-web-src libstd-rust-web-dev:arm64 qemu-user gcc-aarch64-linux-gnu
    libc6-dev-arm64-cross musl python3.11)

# apig-<version>-<this>.tar.gz for a Rust target: aarch64-linux-gnu, x86_64-linux-musl…
cross_archive_triple() { local t=$1; echo "${t%%-*}-linux-${t##*-}"; }

# What the cross builds (WHAT=build) or the builds and their tests (WHAT=test, the default) lack,
# a line each (nothing when all is there).
cross_missing() {
    local what=${1:-test} sysroot
    if [ ! -x "$cross_rustc" ]; then
        echo "Debian's rustc-web ($cross_rustc)"
    else
        sysroot=$("$cross_rustc" --print sysroot)
        [ -d "$sysroot/lib/rustlib/aarch64-unknown-linux-gnu/lib" ] || echo "the arm64 Rust std (libstd-rust-web-dev:arm64)"
        [ -d "$sysroot/lib/rustlib/src/rust/library/std" ] || echo "the Rust library source (rust-web-src)"
    fi
    command -v aarch64-linux-gnu-strip > /dev/null || echo "aarch64-linux-gnu-strip (binutils-aarch64-linux-gnu)"
    [ "$what" = test ] || return 0
    command -v qemu-aarch64 > /dev/null || echo "qemu-aarch64 (qemu-user)"
    command -v aarch64-linux-gnu-gcc > /dev/null || echo "aarch64-linux-gnu-gcc (gcc-aarch64-linux-gnu)"
    [ -e /usr/aarch64-linux-gnu/lib/crti.o ] || echo "glibc for aarch64-linux-gnu-gcc (libc6-dev-arm64-cross)"
    [ -e /lib/ld-musl-x86_64.so.1 ] || echo "musl's loader /lib/ld-musl-x86_64.so.1 (musl)"
    [ -x /usr/bin/python3.11 ] || echo "Debian's python3.11 (the build Python of the test's musl CPythons)"
    if ! command -v dpkg-deb > /dev/null || ! command -v apt-get > /dev/null; then
        echo "apt-get and dpkg-deb (a Debian system)"
    elif ! grep -q 'Candidate: [0-9]' <<< "$(LC_ALL=C apt-cache policy python3.11-minimal:arm64 2> /dev/null)"; then
        # The tests download Debian's arm64 CPython: apt must know the arm64 architecture's packages.
        echo "apt's package lists for arm64 (dpkg --add-architecture arm64 && apt-get update)"
    fi
}

# Makes the cross toolchain ready: installs Debian's packages where it can (root, apt, Debian 12,
# whose package names these are; a failed install there is an error), and otherwise prints a
# NOTE naming what is missing and returns 1 (callers skip the cross targets) — or fails, when
# APIG_CROSS=required (CI: every target must be built and checked). APIG_CROSS=0 skips them on
# purpose (a NOTE says so too).
cross_toolchain() {
    local missing
    case "${APIG_CROSS:-}" in
        '' | 0 | 1 | required) ;;
        *) echo "APIG_CROSS=${APIG_CROSS}: expected 0 (skip), 1 (the default) or required" >&2; exit 1 ;;
    esac
    if [ "${APIG_CROSS:-}" = 0 ]; then
        echo "NOTE: the aarch64 and musl artifacts are skipped (APIG_CROSS=0)" | tee target/cross-skipped.txt
        return 1
    fi
    missing=$(cross_missing test)
    [ -n "$missing" ] || return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null \
        && [ "$(. /etc/os-release 2> /dev/null && echo "${VERSION_CODENAME:-}")" = bookworm ]; then
        step "installing the cross toolchain from Debian's packages (arm64 added to dpkg's architectures): ${cross_packages[*]}"
        if ! grep -qx arm64 <<< "$(dpkg --print-foreign-architectures)"; then
            dpkg --add-architecture arm64 || { echo "dpkg --add-architecture arm64 failed" >&2; exit 1; }
        fi
        # A fresh machine's own apt jobs may hold the lock for a while.
        if ! long --log target/cross-apt.log sh -c "apt-get -o DPkg::Lock::Timeout=300 update -q \
            && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q \
                --no-install-recommends ${cross_packages[*]}"; then
            tail -n 20 target/cross-apt.log >&2
            exit 1
        fi
        missing=$(cross_missing test)
        [ -z "$missing" ] || { printf 'still missing after the install:\n%s\n' "$missing" >&2; exit 1; }
        return 0
    fi
    if [ "${APIG_CROSS:-}" = required ]; then
        printf 'APIG_CROSS=required, and the cross toolchain cannot be installed here (root on Debian 12 can); missing:\n%s\n' \
            "$missing" >&2
        exit 1
    fi
    # Builds without their tests are still builds (scripts/test's cross checks then say what
    # they skipped).
    [ -n "$(cross_missing build)" ] || return 0
    # Also kept in a file, for scripts/test's closing lines.
    {
        echo "NOTE: the aarch64 and musl artifacts are skipped: this machine lacks"
        cross_missing build | sed 's/^/NOTE:   /'
        echo "NOTE: (as root on Debian 12, scripts/dist and scripts/test install these themselves)"
    } | tee target/cross-skipped.txt
    return 1
}

# What rustc said a static library of its target needs from the system: the list of the last
# "native-static-libs" note in rustc's output (on standard input).
native_static_libs() { sed -n 's/^note: native-static-libs: //p' | tail -n 1; }

# The path of zig's executable in .venv (ziglang's package carries it).
zig_path() { "$py" -c 'import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))'; }

# The C library, the C archive and the wheel of one target, into dist/ (build_dist first).
build_cross_target() {
    local target=$1 arch=${1%%-*} libc=${1##*-}
    local name="apig-$version-$(cross_archive_triple "$target")"
    local dir="$root/target/cross/$target" started=$SECONDS
    local cargo_target=$target compatibility std_args=() rustflags="--print=native-static-libs"
    if [ "$libc" = gnu ]; then
        cargo_target="$target.2.17"  # zig links against glibc 2.17's symbols
        compatibility=manylinux2014
    else
        # Debian has no musl std: it is built from its source. musl targets default to
        # +crt-static, under which rustc silently drops the cdylib.
        std_args=(-Zbuild-std=std,panic_unwind)
        rustflags="-C target-feature=-crt-static $rustflags"
        compatibility=musllinux_1_2
    fi
    local build_env=(RUSTC="$cross_rustc")
    # -Z flags on a stable compiler (the library source matches it exactly).
    [ "$libc" = gnu ] || build_env+=(RUSTC_BOOTSTRAP=1)
    # The C library and the wheel each in a target dir of their own: their flags differ (so
    # would every dependency's build), and a second run rebuilds neither.
    step "building the C library for $target (cargo zigbuild, $($cross_rustc --version | cut -d' ' -f1-2); a few minutes)"
    if ! (export "${build_env[@]}" CARGO_TARGET_DIR="$dir/lib" RUSTFLAGS="$rustflags"
        long --log "target/dist/$target-lib.log" cargo zigbuild --release --target "$cargo_target" "${std_args[@]}" --lib); then
        tail -n 40 "target/dist/$target-lib.log" >&2
        exit 1
    fi
    # What a static link against this target's libapig.a needs, as rustc says for this target.
    local static_libs
    static_libs=$(native_static_libs < "target/dist/$target-lib.log")
    [ -n "$static_libs" ] || { echo "rustc printed no native-static-libs for $target" >&2; exit 1; }
    local strip_tool=strip
    [ "$arch" = x86_64 ] || strip_tool=$arch-linux-gnu-strip
    rm -rf "target/dist/$name"
    scripts/install-c "target/dist/$name" --no-build --from "$dir/lib/$target/release" --relocatable \
        --static-libs "$static_libs" --strip "$strip_tool" > /dev/null
    cp -r LICENSE README.md docs "target/dist/$name/"
    tar -C target/dist -czf "dist/$name.tar.gz" "$name"
    step "building the $compatibility wheel for $target (maturin --zig; a few minutes)"
    rm -rf "target/dist/wheel-$target"
    if ! (export "${build_env[@]}" CARGO_TARGET_DIR="$dir/wheel"
        long --log "target/dist/$target-wheel.log" maturin build --release --zig \
            --compatibility "$compatibility" --target "$target" -o "target/dist/wheel-$target" "${std_args[@]}"); then
        tail -n 40 "target/dist/$target-wheel.log" >&2
        exit 1
    fi
    local wheel
    wheel=$(ls "target/dist/wheel-$target"/pyapig-*.whl)
    if [ "$libc" = musl ]; then
        musl_wheel_libc_name "$wheel" "$arch"
    fi
    mv "$wheel" dist/
    echo "$target: $((SECONDS - started)) s" >> target/dist/cross-times.txt
}

# zig records musl's libc as "libc.so"; auditwheel knows it only by Alpine's name
# libc.musl-<arch>.so.1 and calls a module that needs "libc.so" linux_<arch>, not musllinux.
# musl's loader answers to both names, so the module is made to name Alpine's (the wheel is
# repacked with a new RECORD).
musl_wheel_libc_name() { # WHEEL ARCH
    local wheel=$1 arch=$2 unpacked="target/dist/unpacked-$2"
    rm -rf "$unpacked"
    wheel unpack -d "$unpacked" "$wheel" > /dev/null
    local module
    for module in "$unpacked"/*/pyapig/_native*.so; do
        patchelf --replace-needed libc.so "libc.musl-$arch.so.1" "$module"
    done
    rm "$wheel"
    wheel pack -d "$(dirname "$wheel")" "$unpacked"/pyapig-* > /dev/null
    rm -rf "$unpacked"
}

# Every cross target, when the toolchain is there (a NOTE otherwise). build_dist first.
build_cross() {
    rm -f target/dist/cross-times.txt target/cross-skipped.txt
    cross_toolchain || return 0
    export PATH="$venv/bin:$PATH"
    local target
    for target in "${cross_targets[@]}"; do
        build_cross_target "$target"
    done
    echo "dist/ with the cross targets:"
    ls -l dist | tail -n +2
}
