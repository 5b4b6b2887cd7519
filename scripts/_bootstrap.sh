# shellcheck shell=bash
# Sourced by scripts/test, scripts/demo (and so .ci/run): brings the work tree to a state where
# the tests can run, from nothing or from a previous run.
#   - .venv/       project virtualenv with `pip install -e ".[dev]"` (git-ignored)
#   - .cache/node/ azurite@3.35.0 from npm, for the Azure tests (git-ignored)
# Idempotent and cheap when nothing changed: the pip step is skipped while the stamp in .venv
# matches pyproject.toml, so a warm run takes about a second.
# After sourcing: cwd is the repo root, VENV, VENV_BIN and AZURITE_BIN are exported.
set -euo pipefail

# Work from the repo root whatever the caller's cwd: paths below are relative to it.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

VENV="$REPO_ROOT/.venv"
VENV_BIN="$VENV/bin"
STAMP="$VENV/.bootstrap-stamp"
# Azurite 3.36+ needs node >= 21; the machines have node 20.
AZURITE_PKG="azurite@3.35.0"
NODE_PREFIX="$REPO_ROOT/.cache/node"
export VENV VENV_BIN
export AZURITE_BIN="$NODE_PREFIX/node_modules/.bin/azurite-blob"

_say() { printf '[bootstrap] %s\n' "$*" >&2; }

# pip's output goes to a log, shown only when pip fails: on success it is noise (warnings about
# extra indexes configured on the machine, setuptools deprecation banners).
PIP_LOG="$VENV/.bootstrap-pip.log"
_pip() {
    if ! "$VENV_BIN/python" -m pip "$@" >>"$PIP_LOG" 2>&1; then
        grep -v "Location 'file:///" "$PIP_LOG" | tail -n 80 >&2
        _say "pip $* failed; full log: .venv/.bootstrap-pip.log"
        return 1
    fi
}

_bootstrap_venv() {
    local python="${PYTHON:-python3.11}"
    if ! command -v "$python" >/dev/null 2>&1; then
        _say "$python not found, falling back to python3"
        python=python3
    fi
    if [ ! -x "$VENV_BIN/python" ]; then
        _say "creating .venv with $python ($("$python" --version 2>&1))"
        "$python" -m venv "$VENV"
        rm -f "$STAMP"
    fi
    # The stamp holds the hash of what decides the install: pyproject.toml and the interpreter.
    # (To switch interpreters, delete .venv and set PYTHON, e.g. PYTHON=python3.12.)
    local want
    want="$( { cat pyproject.toml; "$VENV_BIN/python" --version; } | sha256sum | cut -d' ' -f1)"
    if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
        return 0
    fi
    _say "installing -e .[dev] into .venv (first run or pyproject.toml changed; ~1-2 min cold)"
    : >"$PIP_LOG"
    _pip install --upgrade pip
    _pip install -e ".[dev]"
    echo "$want" >"$STAMP"
}

_bootstrap_azurite() {
    [ -x "$AZURITE_BIN" ] && return 0
    if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
        _say "node and npm are needed for the Azure emulator (Azurite)."
        _say "Install them (e.g. apt-get install nodejs npm; node 20 is known to work), then re-run."
        return 1
    fi
    _say "installing $AZURITE_PKG into .cache/node"
    mkdir -p "$NODE_PREFIX"
    # </dev/null: npm must never wait for input (CI has no stdin).
    npm install --no-audit --no-fund --loglevel=error --prefix "$NODE_PREFIX" "$AZURITE_PKG" \
        </dev/null >&2
    [ -x "$AZURITE_BIN" ] || { _say "npm finished but $AZURITE_BIN is missing"; return 1; }
}

_bootstrap_venv
_bootstrap_azurite
