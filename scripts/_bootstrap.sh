# shellcheck shell=bash
# Sourced by scripts/test, scripts/demo (and so .ci/run): brings the work tree to a state where
# the tests (or the demo) can run, from nothing or from a previous run.
# GSD_BOOTSTRAP chooses what is installed:
#   dev (default, scripts/test)
#     - .venv/       project virtualenv with `pip install -e ".[dev]"` (git-ignored)
#     - .cache/node/ azurite@3.35.0 (the Azure tests) and playwright-core@1.64.1 (the browser
#                    test of the example project) from npm (git-ignored); playwright-core never
#                    downloads a browser: it drives Debian's chromium
#   demo (scripts/demo)
#     - .venv/       `pip install -e ".[demo]"` only: what the example project imports. No
#                    node packages. A .venv already set up for dev is used as it is (dev
#                    includes demo).
#   none
#     - nothing is installed: the environment is used as it is (the tests run scripts/demo so)
# GSD_VENV names another virtualenv than .venv/ (absolute, or relative to the repo root: .ci/run's
# second run uses .venv-py313); PYTHON another interpreter (python3.13, found on PATH or in pyenv).
#   - chromium     only when a script calls _bootstrap_chromium (scripts/test does): Debian's
#                  chromium + chromium-driver, installed with apt-get when missing and root
#   - postgresql   only when a script calls _bootstrap_postgresql (scripts/test does): Debian's
#                  postgresql (its server binaries, for the database mount's tests), installed
#                  with apt-get when missing and root; no cluster is created (the tests make
#                  their own in a temporary directory)
#   - .cache/django-<version>/tests
#                  only when a script calls _bootstrap_django_tests (scripts/test does): the
#                  tests/ of the Django source release matching the installed Django, from
#                  the package index, for tests/django_suite (exports DJANGO_TESTS_DIR)
#   - .cache/genro-storage-0.8.4/tests
#                  only when scripts/genro-suite calls _bootstrap_genro_tests: genro-storage's own
#                  tests from its sdist (exports GENRO_TESTS_DIR); scripts/test does not run them
# Idempotent and cheap when nothing changed: the pip step is skipped while the stamp in .venv
# matches pyproject.toml and the mode, so a warm run takes about a second.
# After sourcing: cwd is the repo root; VENV, VENV_BIN, AZURITE_BIN and PLAYWRIGHT_CORE_DIR
# are exported.
set -euo pipefail

# Work from the repo root whatever the caller's cwd: paths below are relative to it.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

# GSD_VENV: see above; a relative folder is taken from the repo root.
GSD_VENV="${GSD_VENV:-.venv}"
case "$GSD_VENV" in
    /*) VENV="$GSD_VENV" ;;
    *) VENV="$REPO_ROOT/$GSD_VENV" ;;
esac
VENV_BIN="$VENV/bin"
STAMP="$VENV/.bootstrap-stamp"
BOOTSTRAP_MODE="${GSD_BOOTSTRAP:-dev}"
case "$BOOTSTRAP_MODE" in
    dev | demo | none) ;;
    *)
        printf '[bootstrap] GSD_BOOTSTRAP=%s: expected dev, demo or none\n' "$BOOTSTRAP_MODE" >&2
        exit 2
        ;;
esac
# Azurite 3.36+ needs node >= 21; the machines have node 20.
AZURITE_PKG="azurite@3.35.0"
NODE_PREFIX="$REPO_ROOT/.cache/node"
export VENV VENV_BIN
PLAYWRIGHT_PKG="playwright-core@1.64.1"
export AZURITE_BIN="$NODE_PREFIX/node_modules/.bin/azurite-blob"
export PLAYWRIGHT_CORE_DIR="$NODE_PREFIX/node_modules/playwright-core"

_say() { printf '[bootstrap] %s\n' "$*" >&2; }

# pip's output goes to a log, shown only when pip fails: on success it is noise (warnings about
# extra indexes configured on the machine, setuptools deprecation banners).
PIP_LOG="$VENV/.bootstrap-pip.log"
_pip() {
    if ! "$VENV_BIN/python" -m pip "$@" >>"$PIP_LOG" 2>&1; then
        grep -v "Location 'file:///" "$PIP_LOG" | tail -n 80 >&2
        _say "pip $* failed; full log: ${VENV#"$REPO_ROOT"/}/.bootstrap-pip.log"
        return 1
    fi
}

# The interpreter named by $1 (e.g. python3.13): from PATH when it runs, else from pyenv's
# installed versions (pyenv's shims answer only for the active versions, and CI machines have
# 3.10-3.13 installed but only 3.11 active).
_find_python() {
    local name="$1" candidate
    if "$name" --version >/dev/null 2>&1; then
        command -v "$name"
        return 0
    fi
    if command -v pyenv >/dev/null 2>&1; then
        for candidate in "$(pyenv root)/versions/${name#python}"*/bin/"$name"; do
            if [ -x "$candidate" ] && "$candidate" --version >/dev/null 2>&1; then
                echo "$candidate"
                return 0
            fi
        done
    fi
    return 1
}

_bootstrap_venv() {
    local python
    if ! python="$(_find_python "${PYTHON:-python3.11}")"; then
        # An interpreter asked for by name must be the one used: a silent fallback would let a
        # run meant for another Python pass on the default one.
        if [ -n "${PYTHON:-}" ]; then
            _say "PYTHON=$PYTHON not found (neither on PATH nor among pyenv's versions)"
            return 1
        fi
        _say "python3.11 not found, falling back to python3"
        python=python3
    fi
    if [ ! -x "$VENV_BIN/python" ]; then
        _say "creating ${VENV#"$REPO_ROOT"/} with $python ($("$python" --version 2>&1))"
        "$python" -m venv "$VENV"
        rm -f "$STAMP"
    fi
    # The stamp holds the mode and the hash of what decides the install: pyproject.toml and
    # the interpreter. (To switch interpreters, delete .venv and set PYTHON=python3.12.)
    local hash have=""
    hash="$( { cat pyproject.toml; "$VENV_BIN/python" --version; } | sha256sum | cut -d' ' -f1)"
    [ -f "$STAMP" ] && have="$(cat "$STAMP")"
    if [ "$have" = "$BOOTSTRAP_MODE $hash" ] \
        || { [ "$BOOTSTRAP_MODE" = demo ] && [ "$have" = "dev $hash" ]; }; then
        return 0
    fi
    : >"$PIP_LOG"
    if [ "$BOOTSTRAP_MODE" = demo ]; then
        # Measured on a fresh clone with the pip cache warm, two busy cores: 60 to 80 s.
        _say "installing -e .[demo] into ${VENV#"$REPO_ROOT"/} (first run or pyproject.toml changed; ~1 min)"
    else
        # Measured the same way: about 2.5 min; the emulators and linters are most of it.
        _say "installing -e .[dev] into ${VENV#"$REPO_ROOT"/} (first run or pyproject.toml changed; ~3 min)"
        _pip install --upgrade pip
    fi
    _pip install -e ".[$BOOTSTRAP_MODE]"
    echo "$BOOTSTRAP_MODE $hash" >"$STAMP"
}

_bootstrap_node_packages() {
    local missing=()
    [ -x "$AZURITE_BIN" ] || missing+=("$AZURITE_PKG")
    [ -f "$PLAYWRIGHT_CORE_DIR/package.json" ] || missing+=("$PLAYWRIGHT_PKG")
    [ "${#missing[@]}" -eq 0 ] && return 0
    if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
        _say "node and npm are needed for the Azure emulator (Azurite) and the browser test."
        _say "Install them (e.g. apt-get install nodejs npm; node 20 is known to work), then re-run."
        return 1
    fi
    _say "installing ${missing[*]} into .cache/node"
    mkdir -p "$NODE_PREFIX"
    # </dev/null: npm must never wait for input (CI has no stdin).
    npm install --no-audit --no-fund --loglevel=error --prefix "$NODE_PREFIX" "${missing[@]}" \
        </dev/null >&2
    [ -x "$AZURITE_BIN" ] || { _say "npm finished but $AZURITE_BIN is missing"; return 1; }
    [ -f "$PLAYWRIGHT_CORE_DIR/package.json" ] \
        || { _say "npm finished but $PLAYWRIGHT_CORE_DIR is missing"; return 1; }
}

# Debian packages some tests need: quick when `ready` (a command) succeeds; installed with
# apt-get when it fails and running as root. Otherwise only a warning (`what` says what then
# happens): the tests that need them fail or skip and say what to install.
# Usage: _apt_packages NAME "READY COMMAND" "WHAT HAPPENS WITHOUT" PACKAGE...
_apt_packages() {
    local name="$1" ready="$2" without="$3"
    shift 3
    if eval "$ready" >/dev/null 2>&1; then
        return 0
    fi
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        _say "$name is missing and cannot be installed from here (needs root and apt-get):"
        _say "  sudo apt-get install $*   ($without)"
        return 0
    fi
    _say "installing Debian's $* (first run only; ~1 min)"
    local log="$REPO_ROOT/.cache/apt-$name.log"
    mkdir -p "$REPO_ROOT/.cache"
    if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends "$@"; } </dev/null >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        _say "apt-get could not install $name (full log: .cache/apt-$name.log)"
        return 1
    fi
    eval "$ready" >/dev/null 2>&1 || { _say "$name still missing after apt-get"; return 1; }
}

# Debian's chromium for the example project's browser test (tests/test_example_browser.py).
_bootstrap_chromium() {
    _apt_packages chromium "command -v chromium" "the browser test will fail" \
        chromium chromium-driver
}

# Debian's PostgreSQL 15 for the database mount's tests (tests/support/databases.py), which
# run its initdb and pg_ctl from /usr/lib/postgresql/15/bin (each session its own server).
_bootstrap_postgresql() {
    _apt_packages postgresql "test -x /usr/lib/postgresql/15/bin/pg_ctl" \
        "the database mount's PostgreSQL tests will skip" postgresql
}

# Django's own tests, for tests/django_suite: the sdist of exactly the installed version
# (pip download), of which only tests/ is kept. Done once per version: a marker file says
# the extraction finished, so an interrupted run starts again cleanly.
_bootstrap_django_tests() {
    local version
    version="$("$VENV_BIN/python" -c 'import django; print(django.__version__)')"
    local target="$REPO_ROOT/.cache/django-$version"
    export DJANGO_TESTS_DIR="$target/tests"
    if [ -f "$target/.complete" ]; then
        return 0
    fi
    _say "fetching the tests of Django $version's source release into .cache/django-$version"
    local download="$REPO_ROOT/.cache/django-sdist"
    rm -rf "$download" "$target"
    mkdir -p "$download" "$target"
    _pip download --no-deps --no-binary :all: --dest "$download" "django==$version"
    local archive
    archive="$(find "$download" -maxdepth 1 -iname "django-$version.tar.gz" -print -quit)"
    if [ -z "$archive" ]; then
        _say "pip download gave no django-$version.tar.gz"
        return 1
    fi
    # The archive's top directory is named as the file (Django-4.2.x or django-5.x).
    tar -xzf "$archive" -C "$target" --strip-components=1 "$(basename "$archive" .tar.gz)/tests"
    rm -rf "$download"
    touch "$target/.complete"
}

# genro-storage 0.8.4's own tests, for scripts/genro-suite (issue 14): its sdist from the package
# index, of which only tests/ is kept, in .cache/genro-storage-0.8.4/tests (exports GENRO_TESTS_DIR).
# With GENRO_SUITE_REFERENCE=1 also a throwaway virtualenv with genro-storage 0.8.4 itself,
# .cache/genro-storage-venv, to count what the same selection passes there. Done once: marker files
# say each step finished, so an interrupted run starts again cleanly.
GENRO_STORAGE_VERSION="0.8.4"
_bootstrap_genro_tests() {
    local target="$REPO_ROOT/.cache/genro-storage-$GENRO_STORAGE_VERSION"
    export GENRO_TESTS_DIR="$target/tests"
    if [ ! -f "$target/.complete" ]; then
        _say "fetching the tests of genro-storage $GENRO_STORAGE_VERSION's sdist into .cache"
        local download="$REPO_ROOT/.cache/genro-storage-sdist"
        rm -rf "$download" "$target"
        mkdir -p "$download" "$target"
        _pip download --no-deps --no-binary :all: --dest "$download" \
            "genro-storage==$GENRO_STORAGE_VERSION"
        local archive="$download/genro_storage-$GENRO_STORAGE_VERSION.tar.gz"
        if [ ! -f "$archive" ]; then
            _say "pip download gave no $(basename "$archive")"
            return 1
        fi
        tar -xzf "$archive" -C "$target" --strip-components=1 \
            "genro_storage-$GENRO_STORAGE_VERSION/tests"
        rm -rf "$download"
        # Its own pytest configuration, without coverage: else pytest would climb to this
        # project's pyproject.toml and its plugins.
        printf '[pytest]\ntestpaths = tests\npython_files = test_*.py\nmarkers = integration\n' >"$target/pytest.ini"
        touch "$target/.complete"
    fi
    [ "${GENRO_SUITE_REFERENCE:-0}" = 1 ] || return 0
    local reference="$REPO_ROOT/.cache/genro-storage-venv"
    export GENRO_REFERENCE_PYTHON="$reference/bin/python"
    [ -f "$reference/.complete" ] && return 0
    _say "installing genro-storage $GENRO_STORAGE_VERSION into .cache/genro-storage-venv (once)"
    rm -rf "$reference"
    "$VENV_BIN/python" -m venv "$reference"
    # Its conftest imports boto3 (for tests this selection leaves out).
    "$reference/bin/python" -m pip install -q "genro-storage==$GENRO_STORAGE_VERSION" pytest boto3 \
        >>"$PIP_LOG" 2>&1 || { _say "pip failed; log: ${PIP_LOG#"$REPO_ROOT"/}"; return 1; }
    touch "$reference/.complete"
}

if [ "$BOOTSTRAP_MODE" = dev ]; then
    _bootstrap_venv
    _bootstrap_node_packages
elif [ "$BOOTSTRAP_MODE" = demo ]; then
    _bootstrap_venv  # the demo uses neither the Azure emulator nor the browser test's driver
fi
