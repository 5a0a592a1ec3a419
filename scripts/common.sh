# Shared by scripts/demo, scripts/test and scripts/dist: checks the prerequisites, installs what
# the project needs into the repository (./.venv) and builds the artifacts. Sourced, not run.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
venv="$root/.venv"
py="$venv/bin/python"

# A line per step; a step that took a while gets a line with its time when it ends, so that a
# long silent build is never a mystery (see also `long`).
step_name=
step_started=$SECONDS
step() {
    step_done
    step_name=$*
    step_started=$SECONDS
    printf '\n==> %s\n' "$*"
}
step_done() {
    if [ -n "$step_name" ] && [ $((SECONDS - step_started)) -ge 2 ]; then
        printf '    (%s: %d s; %s so far)\n' "$step_name" $((SECONDS - step_started)) "$(elapsed)"
    fi
    step_name=
}
elapsed() { printf '%d min %02d s' $((SECONDS / 60)) $((SECONDS % 60)); }

# Runs a command that prints nothing for minutes (cargo --quiet, pip --quiet, maturin into a
# log), saying every 30 s that it is still at work. `long --log FILE cmd…` sends the command's
# output to FILE (the heartbeat still goes to the terminal). Its exit status is the command's.
long() {
    if [ "$1" = --log ]; then
        local log=$2
        shift 2
        "$@" > "$log" 2>&1 &
    else
        "$@" &
    fi
    local pid=$! said=$SECONDS status=0
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        if [ $((SECONDS - said)) -ge 30 ]; then
            printf '    ... %s: still at work (%d s)\n' "$step_name" $((SECONDS - step_started))
            said=$SECONDS
        fi
    done
    wait "$pid" || status=$?
    return "$status"
}

# Everything the scripts need that they cannot install themselves, checked before any build:
# one line per missing thing, saying how to get it (Debian/Ubuntu package names; rustup's
# components where Rust comes from rustup). WHAT: demo, dist or test.
prerequisites() {
    local what=$1 missing=()
    local rust_min
    rust_min=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
    if ! command -v cargo >/dev/null || ! command -v rustc >/dev/null; then
        missing+=("Rust (cargo and rustc >= $rust_min): install rustup, or on Debian 12 / Ubuntu: apt-get install cargo-web")
    else
        local rustc_version
        rustc_version=$(rustc --version | awk '{print $2}')
        if [ "$(printf '%s\n%s\n' "$rust_min" "$rustc_version" | sort -V | head -n 1)" != "$rust_min" ]; then
            missing+=("rustc >= $rust_min (found $rustc_version): rustup update, or on Debian 12: apt-get install cargo-web (Debian's plain 'cargo' is too old)")
        fi
    fi
    command -v cc >/dev/null || missing+=("a C compiler (cc): apt-get install gcc")
    if ! command -v python3 >/dev/null; then
        missing+=("Python >= 3.9 (python3): apt-get install python3 python3-venv")
    elif ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
        missing+=("Python >= 3.9 (python3 is $(python3 -c 'import platform; print(platform.python_version())')): apt-get install python3")
    elif [ ! -x "$py" ] && ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
        missing+=("Python's venv module (python3 -m venv): apt-get install python3-venv")
    fi
    if [ "$what" != dist ]; then
        command -v pkg-config >/dev/null || missing+=("pkg-config: apt-get install pkg-config")
    fi
    if [ "$what" = test ]; then
        command -v c++ >/dev/null || missing+=("a C++ compiler (c++, for the C++ header test): apt-get install g++")
        if command -v cargo >/dev/null; then
            cargo fmt --version >/dev/null 2>&1 \
                || missing+=("rustfmt (cargo fmt): rustup component add rustfmt, or on Debian 12: apt-get install rustfmt-web")
            cargo clippy --version >/dev/null 2>&1 \
                || missing+=("clippy (cargo clippy): rustup component add clippy, or on Debian 12: apt-get install rust-web-clippy")
        fi
        for tool in nm readelf objdump; do
            command -v "$tool" >/dev/null || { missing+=("$tool: apt-get install binutils"); break; }
        done
    fi
    if [ ${#missing[@]} -gt 0 ]; then
        printf 'missing: %s\n' "${missing[@]}" >&2
        echo "(scripts/$what checks these before building anything; everything else it installs into ./.venv and ./target)" >&2
        exit 1
    fi
    if [ "$what" = test ] && ! command -v valgrind >/dev/null; then
        echo "note: valgrind is not installed: the C tests run without memcheck (apt-get install valgrind)"
    fi
}

# A local virtualenv with the pinned tools of WHAT: the demo needs maturin only
# (requirements-demo.txt); scripts/dist adds zig and friends (requirements-dist.txt); the tests
# add pytest, the official SDK and mypy (requirements-dev.txt). Each file is installed again
# only when it changes.
bootstrap() {
    local what=${1:-test}
    prerequisites "$what"
    local files=(requirements-demo.txt)
    case "$what" in
        dist) files+=(requirements-dist.txt) ;;
        test) files+=(requirements-dev.txt requirements-dist.txt) ;;
    esac
    if [ ! -x "$py" ]; then
        step "creating .venv"
        python3 -m venv "$venv"
    fi
    local file todo=()
    for file in "${files[@]}"; do
        cmp -s "$file" "$venv/.installed-$file" || todo+=("$file")
    done
    [ ${#todo[@]} -gt 0 ] || return 0
    step "installing ${todo[*]} into .venv (from the package index)"
    # The official SDK writes into the home directory when imported: give it a private one.
    HOME="$root/target/sdk-home" long "$py" -m pip install --quiet --disable-pip-version-check --upgrade pip
    local args=()
    for file in "${todo[@]}"; do args+=(-r "$file"); done
    HOME="$root/target/sdk-home" long "$py" -m pip install --quiet --disable-pip-version-check "${args[@]}"
    for file in "${todo[@]}"; do cp "$file" "$venv/.installed-$file"; done
}

# The C library (release, default features: no Python) and the emulator binary.
build_c() {
    step "building libapig (release) and apig-emulator (a few minutes the first time)"
    long cargo build --release --quiet
    long cargo build --features emulator --bins --quiet
}

# The wheel (abi3, release) in its own target dir, so that it never overwrites the
# C library above; then installed into .venv like a user would.
build_wheel() {
    step "building and installing the pyapig wheel (a few minutes the first time)"
    rm -rf target/wheels
    # With the test hooks (_native._panic_next and the like) that release wheels never have (the
    # list replaces pyproject.toml's features: python and emulator are named again).
    if ! CARGO_TARGET_DIR="$root/target/python" long --log target/maturin.log "$venv/bin/maturin" build --release \
        --features python,emulator,test-hooks -o target/wheels -i "$py"; then
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
    if ! CARGO_TARGET_DIR="$root/target/dist-python" long --log target/dist/maturin.log maturin build --release --zig \
        --compatibility manylinux2014 -o dist -i "$py"; then
        cat target/dist/maturin.log >&2
        exit 1
    fi
    maturin sdist -o dist > target/dist/sdist.log 2>&1 || { cat target/dist/sdist.log >&2; exit 1; }
    if ! long --log target/dist/zigbuild.log cargo zigbuild --release --quiet --target "$dist_target.2.17"; then
        cat target/dist/zigbuild.log >&2
        exit 1
    fi
    local name="apig-$version-x86_64-linux-gnu"
    rm -rf "target/dist/$name"
    scripts/install-c "target/dist/$name" --no-build --from "target/$dist_target/release" --relocatable > /dev/null
    cp -r LICENSE README.md docs "target/dist/$name/"
    tar -C target/dist -czf "dist/$name.tar.gz" "$name"
    echo "dist/ in $((SECONDS - started)) s:"
    ls -l dist | tail -n +2
}
dist_target=x86_64-unknown-linux-gnu
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
# The aarch64 and musl artifacts: cross_toolchain, build_cross.
# shellcheck source=cross.sh
source "$root/scripts/cross.sh"
