#!/usr/bin/env bash
# Downloads what the cross tests run on, from Debian's archive, into DIR (nothing is installed
# system-wide; no root needed once the arm64 architecture is known to apt):
#   DIR/aarch64-gnu   Debian's arm64 CPython 3.11 and the libraries it loads, unpacked: the root
#                     that qemu-aarch64 -L runs it in (the aarch64 manylinux wheel's test)
#   DIR/aarch64-musl  musl:arm64, unpacked: the loader and libc for aarch64 musl programs and the
#                     aarch64 musl CPython under qemu
#   DIR/src           Debian's python3.11 source package (the musl CPythons are built from it), got
#                     through a private source list: no deb-src line is added to the machine's apt
# Each part is downloaded once (kept while DIR stays).
# Usage: tests/cross/fetch.sh DIR
set -euo pipefail
dir=${1:?usage: fetch.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# Unpacks Debian packages (PACKAGE:arch names) into ROOT.
unpack_into() { # ROOT PACKAGE...
    local into=$1; shift
    # Kept while it holds the same packages.
    [ "$(cat "$into/.complete" 2>/dev/null)" = "$*" ] && return 0
    rm -rf "$into" "$into.debs"
    mkdir -p "$into" "$into.debs"
    (cd "$into.debs" && apt-get download -q "$@" > download.log 2>&1) \
        || { cat "$into.debs/download.log" >&2; return 1; }
    local deb
    for deb in "$into.debs"/*.deb; do dpkg-deb -x "$deb" "$into"; done
    rm -rf "$into.debs"
    echo "$*" > "$into/.complete"
}

# An aarch64 CPython: the interpreter, its standard library and what its modules link to.
unpack_into "$dir/aarch64-gnu" python3.11-minimal:arm64 libpython3.11-minimal:arm64 \
    libpython3.11-stdlib:arm64 libc6:arm64 libgcc-s1:arm64 libssl3:arm64 libffi8:arm64 \
    zlib1g:arm64 libexpat1:arm64 libbz2-1.0:arm64 liblzma5:arm64 libcrypt1:arm64 libuuid1:arm64
unpack_into "$dir/aarch64-musl" musl:arm64

if ! ls "$dir"/src/python3.11_*.orig.tar.gz > /dev/null 2>&1; then
    apt_dir="$dir/apt-sources"
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$dir/src"
    # The machine's first deb line's archive, as a deb-src line of a list apt reads only here.
    mirror=$(apt-get indextargets --format '$(REPO_URI)' 'Identifier: Packages' 2>/dev/null | grep -m 1 '/debian/$' \
        || echo http://deb.debian.org/debian/)
    suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
    echo "deb-src $mirror $suite main" > "$apt_dir/sources.list"
    apt_private=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent
        -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache")
    apt-get -q "${apt_private[@]}" update > "$apt_dir/update.log" 2>&1 || { cat "$apt_dir/update.log" >&2; exit 1; }
    (cd "$dir/src" && apt-get -q "${apt_private[@]}" source --download-only python3.11 > source.log 2>&1) \
        || { cat "$dir/src/source.log" >&2; exit 1; }
fi
ls "$dir"/src/python3.11_*.orig.tar.gz > /dev/null
