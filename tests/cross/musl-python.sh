#!/usr/bin/env bash
# Builds a musl CPython 3.11 for ARCH (x86_64 or aarch64) into PREFIX, for the musllinux wheel
# tests: there is no musl Python on this Debian machine, and Alpine cannot run here. The source is
# Debian's python3.11 source package (tests/cross/fetch.sh downloads it), cross-compiled with zig
# as the C compiler for <arch>-linux-musl; the build Python is Debian's python3.11 (the same version).
# It runs natively (x86_64, through Debian's musl loader) or under qemu-aarch64 with a root that
# holds musl:arm64. No _ssl, _ctypes or zlib (no musl builds of their libraries here): `import
# pyapig` needs none of them. About 2.5 minutes per architecture on 2 cores; done once (PREFIX
# is kept and reused while its stamp names the same source, recipe and zig).
# Usage: tests/cross/musl-python.sh ARCH PREFIX SOURCE_TARBALL ZIG
set -euo pipefail
arch=${1:?usage: musl-python.sh ARCH PREFIX SOURCE_TARBALL ZIG}
prefix=${2:?}
tarball=${3:?}
zig=${4:?}
# What the build depends on: the source, this recipe and the compiler. Any change builds anew.
stamp="$prefix/.built-from"
built_from="$(basename "$tarball") $(sha256sum < "$0" | cut -c1-16) zig-$("$zig" version)"
if [ -x "$prefix/bin/python3.11" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$built_from" ]; then
    exit 0
fi
build_python=/usr/bin/python3.11
[ -x "$build_python" ] || { echo "musl-python.sh: needs Debian's python3.11 as the build Python" >&2; exit 1; }
work="$prefix.build"
rm -rf "$work" "$prefix"
mkdir -p "$work"
tar -xzf "$tarball" -C "$work" --strip-components=1
cd "$work"
# setup.py adds this machine's include and library directories when it cross-compiles
# (add_cross_compiling_paths asks the compiler, add_multiarch_paths asks dpkg-architecture):
# with them the extension modules compile against glibc's headers, not zig's musl ones.
[ "$(grep -c -E 'self\.(add_multiarch_paths|add_cross_compiling_paths)\(\)$' setup.py)" = 2 ] \
    || { echo "musl-python.sh: setup.py does not have the two calls this recipe takes out" >&2; exit 1; }
sed -i -e 's/^\( *\)self\.add_cross_compiling_paths()$/\1pass/' \
    -e 's/^\( *\)self\.add_multiarch_paths()$/\1pass/' setup.py
if grep -q -E 'self\.(add_multiarch_paths|add_cross_compiling_paths)\(\)$' setup.py; then
    echo "musl-python.sh: setup.py was not patched" >&2
    exit 1
fi
# zig cc makes static executables for musl unless told otherwise; a Python that loads
# extension modules must be dynamic. zig's clang makes __DATE__ (getbuildinfo.c) an error.
cc="$zig cc -target $arch-linux-musl -dynamic -Wno-date-time"
# No -g: a test interpreter, built faster and smaller.
opt="-DNDEBUG -fwrapv -O2"
# The cache answers a cross build cannot find out by running a program; preadv2/pwritev2 are in
# zig's musl headers but not in Debian's musl 1.2.3 that runs the result.
./configure --quiet --host="$arch-linux-musl" --build=x86_64-linux-gnu --prefix="$prefix" \
    --with-build-python="$build_python" --without-ensurepip --disable-test-modules \
    CC="$cc" AR="$zig ar" OPT="$opt" RANLIB="$zig ranlib" READELF=/usr/bin/readelf \
    ac_cv_file__dev_ptmx=yes ac_cv_file__dev_ptc=no ac_cv_buggy_getaddrinfo=no \
    ac_cv_func_preadv2=no ac_cv_func_pwritev2=no > configure.log 2>&1 \
    || { tail -n 30 configure.log >&2; exit 1; }
make -j"$(nproc)" > make.log 2>&1 || { tail -n 40 make.log >&2; exit 1; }
make install > install.log 2>&1 || { tail -n 40 install.log >&2; exit 1; }
echo "$built_from" > "$stamp"
rm -rf "$work"
