# Shared by scripts/demo and scripts/test: installs what the project needs into the
# repository (./.venv) and builds the three artifacts. Sourced, not run.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
venv="$root/.venv"
py="$venv/bin/python"

step() { printf '\n==> %s\n' "$*"; }

require() {
    local missing=()
    for tool in cargo python3 cc; do command -v "$tool" >/dev/null || missing+=("$tool"); done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "missing: ${missing[*]} (apig needs Rust, Python 3 and a C compiler)" >&2
        exit 1
    fi
}

# A local virtualenv with the pinned tools (maturin, pytest, the official SDK for the
# cross-checks); reinstalled only when requirements-dev.txt changes.
bootstrap() {
    require
    if [ ! -x "$py" ]; then
        step "creating .venv"
        python3 -m venv "$venv"
    fi
    local stamp="$venv/.requirements"
    if ! cat requirements-dev.txt requirements-dist.txt | cmp -s - "$stamp"; then
        step "installing requirements-dev.txt and requirements-dist.txt into .venv"
        # The official SDK writes into the home directory when imported: give it a private one.
        HOME="$root/target/sdk-home" "$py" -m pip install --quiet --disable-pip-version-check --upgrade pip
        HOME="$root/target/sdk-home" "$py" -m pip install --quiet --disable-pip-version-check \
            -r requirements-dev.txt -r requirements-dist.txt
        cat requirements-dev.txt requirements-dist.txt > "$stamp"
    fi
}

# The C library (release, default features: no Python) and the emulator binary.
build_c() {
    step "building libapig (release) and apig-emulator"
    cargo build --release --quiet
    cargo build --features emulator --bins --quiet
}

# The wheel (abi3, release) in its own target dir, so that it never overwrites the
# C library above; then installed into .venv like a user would.
build_wheel() {
    step "building and installing the pyapig wheel"
    rm -rf target/wheels
    if ! CARGO_TARGET_DIR="$root/target/python" "$venv/bin/maturin" build --release \
        -o target/wheels -i "$py" > target/maturin.log 2>&1; then
        cat target/maturin.log >&2
        exit 1
    fi
    "$py" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps target/wheels/pyapig-*.whl
}

# The benchmark's C clients (target/bench), linked against target/release (build_c first). The
# libcurl peer needs libcurl's headers: with install=1, and as root, they are installed (Debian's
# libcurl4-openssl-dev); without them that peer is skipped, with a note.
build_bench_clients() {
    local install=${1:-0}
    mkdir -p target/bench
    cc -O2 -std=c99 -Wall bench/c_raw.c -o target/bench/c_raw
    cc -O2 -std=c99 -Wall -Iinclude bench/c_apig.c -o target/bench/c_apig target/release/libapig.a \
        -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
    if [ "$install" = 1 ] && [ ! -e /usr/include/curl/curl.h ] && [ ! -e /usr/include/x86_64-linux-gnu/curl/curl.h ] \
        && [ "$(id -u)" = 0 ]; then
        step "installing libcurl's headers (Debian: libcurl4-openssl-dev)"
        (apt-get install -y -q libcurl4-openssl-dev || (apt-get update -q && apt-get install -y -q libcurl4-openssl-dev)) \
            >/dev/null || true
    fi
    rm -f target/bench/c_curl
    cc -O2 -std=c99 -Wall bench/c_curl.c -o target/bench/c_curl -lcurl -lpthread 2>/dev/null \
        || echo "note: libcurl's headers are missing: the libcurl peer will be skipped"
}

# The release artifacts (scripts/dist): a manylinux2014 wheel, the sdist and the C archive, built
# once; zig (from .venv) links against glibc 2.17 so that they run on EulerOS 2, CentOS 7 and up.
build_dist() {
    step "building the release artifacts into dist/ (scripts/dist)"
    local started=$SECONDS
    export PATH="$venv/bin:$PATH"
    rm -rf dist
    mkdir -p dist target/dist
    # Own target dirs: neither the test wheel (target/python) nor the C library of the tests
    # (target/release) is overwritten.
    if ! CARGO_TARGET_DIR="$root/target/dist-python" maturin build --release --zig \
        --compatibility manylinux2014 -o dist -i "$py" > target/dist/maturin.log 2>&1; then
        cat target/dist/maturin.log >&2
        exit 1
    fi
    maturin sdist -o dist > target/dist/sdist.log 2>&1 || { cat target/dist/sdist.log >&2; exit 1; }
    if ! cargo zigbuild --release --quiet --target "$dist_target.2.17" > target/dist/zigbuild.log 2>&1; then
        cat target/dist/zigbuild.log >&2
        exit 1
    fi
    local name="apig-$version-x86_64-linux-gnu"
    rm -rf "target/dist/$name"
    scripts/install-c "target/dist/$name" --no-build --from "target/$dist_target/release" --relocatable > /dev/null
    cp LICENSE README.md "target/dist/$name/"
    tar -C target/dist -czf "dist/$name.tar.gz" "$name"
    echo "dist/ in $((SECONDS - started)) s:"
    ls -l dist | tail -n +2
}
dist_target=x86_64-unknown-linux-gnu
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
