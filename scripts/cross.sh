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

# What the cross builds and tests lack, a line each (nothing when all is there).
cross_missing() {
    local sysroot
    if [ ! -x "$cross_rustc" ]; then
        echo "Debian's rustc-web ($cross_rustc)"
    else
        sysroot=$("$cross_rustc" --print sysroot)
        [ -d "$sysroot/lib/rustlib/aarch64-unknown-linux-gnu/lib" ] || echo "the arm64 Rust std (libstd-rust-web-dev:arm64)"
        [ -d "$sysroot/lib/rustlib/src/rust/library/std" ] || echo "the Rust library source (rust-web-src)"
    fi
    command -v qemu-aarch64 > /dev/null || echo "qemu-aarch64 (qemu-user)"
    command -v aarch64-linux-gnu-gcc > /dev/null || echo "aarch64-linux-gnu-gcc (gcc-aarch64-linux-gnu)"
    command -v aarch64-linux-gnu-strip > /dev/null || echo "aarch64-linux-gnu-strip (binutils-aarch64-linux-gnu)"
    [ -e /usr/aarch64-linux-gnu/lib/crti.o ] || echo "glibc for aarch64-linux-gnu-gcc (libc6-dev-arm64-cross)"
    [ -e /lib/ld-musl-x86_64.so.1 ] || echo "musl's loader /lib/ld-musl-x86_64.so.1 (musl)"
    [ -x /usr/bin/python3.11 ] || echo "Debian's python3.11 (the build Python of the test's musl CPythons)"
    command -v dpkg-deb > /dev/null && command -v apt-get > /dev/null || echo "apt-get and dpkg-deb (a Debian system)"
}

# Makes the cross toolchain ready: installs Debian's packages where it can (root, apt, Debian 12,
# whose package names these are; a failed install there is an error), and otherwise prints a
# NOTE naming what is missing and returns 1 (callers skip the cross targets). APIG_CROSS=0 skips
# them on purpose (a NOTE says so too).
cross_toolchain() {
    local missing
    if [ "${APIG_CROSS:-1}" = 0 ]; then
        echo "NOTE: the aarch64 and musl artifacts are skipped (APIG_CROSS=0)" | tee target/cross-skipped.txt
        return 1
    else
        missing=$(cross_missing)
        [ -n "$missing" ] || return 0
        if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null \
            && [ "$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")" = bookworm ]; then
            step "installing the cross toolchain from Debian's packages (arm64 added to dpkg's architectures): ${cross_packages[*]}"
            dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
            if ! long --log target/cross-apt.log sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive \
                apt-get install -y -q --no-install-recommends ${cross_packages[*]}"; then
                tail -n 20 target/cross-apt.log >&2
                exit 1
            fi
            missing=$(cross_missing)
            [ -z "$missing" ] || { echo "still missing after the install: $missing" >&2; exit 1; }
            return 0
        fi
    fi
    # Also kept in a file, for scripts/test's closing lines.
    {
        echo "NOTE: the aarch64 and musl artifacts are skipped: this machine lacks"
        sed 's/^/NOTE:   /' <<< "$missing"
        echo "NOTE: (as root on Debian 12, scripts/dist and scripts/test install these themselves)"
    } | tee target/cross-skipped.txt
    return 1
}

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
    local build_env=(RUSTC="$cross_rustc" CARGO_TARGET_DIR="$dir")
    # -Z flags on a stable compiler (the library source matches it exactly).
    [ "$libc" = gnu ] || build_env+=(RUSTC_BOOTSTRAP=1)
    step "building the C library for $target (cargo zigbuild; a few minutes)"
    if ! (export "${build_env[@]}" RUSTFLAGS="$rustflags"
        long --log "target/dist/$target-lib.log" cargo zigbuild --release --target "$cargo_target" "${std_args[@]}" --lib); then
        tail -n 40 "target/dist/$target-lib.log" >&2
        exit 1
    fi
    # What a static link against this target's libapig.a needs, as rustc says for this target.
    local static_libs
    static_libs=$(sed -n 's/^note: native-static-libs: //p' "target/dist/$target-lib.log" | tail -n 1)
    [ -n "$static_libs" ] || { echo "rustc printed no native-static-libs for $target" >&2; exit 1; }
    local strip_tool=strip
    [ "$arch" = x86_64 ] || strip_tool=$arch-linux-gnu-strip
    rm -rf "target/dist/$name"
    scripts/install-c "target/dist/$name" --no-build --from "$dir/$target/release" --relocatable \
        --static-libs "$static_libs" --strip "$strip_tool" > /dev/null
    cp -r LICENSE README.md docs "target/dist/$name/"
    tar -C target/dist -czf "dist/$name.tar.gz" "$name"
    step "building the $compatibility wheel for $target (maturin --zig; a few minutes)"
    rm -rf "target/dist/wheel-$target"
    if ! (export "${build_env[@]}"
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
