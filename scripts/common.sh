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
    local stamp="$venv/.requirements-dev.txt"
    if ! cmp -s requirements-dev.txt "$stamp"; then
        step "installing requirements-dev.txt into .venv"
        # The official SDK writes into the home directory when imported: give it a private one.
        HOME="$root/target/sdk-home" "$py" -m pip install --quiet --disable-pip-version-check --upgrade pip
        HOME="$root/target/sdk-home" "$py" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
        cp requirements-dev.txt "$stamp"
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
