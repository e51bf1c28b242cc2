#!/usr/bin/env bash
# mailflow's one entry point for newcomers and CI. On a fresh Debian/Ubuntu machine:
#   ./dev.sh demo    install what is needed, then play the whole SOP with simulated officials
#   ./dev.sh test    install what is needed, then run the test suite (real Dovecot, PostgreSQL, LibreOffice)
#   ./dev.sh lint    ruff (lint + format check), mypy --strict, import-linter
# System packages come from apt (sudo is used when not root); Python packages go into ./.venv.
set -euo pipefail
cd "$(dirname "$0")"

VENV="${MAILFLOW_VENV:-.venv}"
DEMO_PACKAGES=(
  python3-venv python3-uno            # the venv, and the UNO bridge the warm converter runs under
  libreoffice-writer-nogui            # DOCX -> PDF (the demo still runs without it: DOCX only)
  fonts-dejavu-core fonts-liberation2 # fonts LibreOffice renders letters with
)
TEST_PACKAGES=(
  dovecot-imapd                       # real IMAP server for the tests
  postgresql                          # real PostgreSQL for the tests
  poppler-utils                       # pdftoppm, to look at rendered letters
  chromium                            # headless screenshot of the weekly email
  openssl                             # throwaway TLS certificates for the test servers
)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

need_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      PYTHON=$(command -v "$candidate"); return
    fi
  done
  echo "mailflow needs Python 3.11 or newer (python3 --version)." >&2; exit 1
}

install_system() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "Please install: ${missing[*]} (no apt-get on this machine)." >&2; exit 1
  fi
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  say "Installing system packages: ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

install_python() {
  need_python
  if [ ! -x "$VENV/bin/python" ]; then
    say "Creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
  fi
  # Reinstall only when pyproject.toml changed since the last install.
  local stamp="$VENV/.mailflow-installed"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    say "Installing mailflow and its Python dependencies into $VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e ".[postgres,dev]"
    touch "$stamp"
  fi
}

case "${1:-}" in
  test)
    shift
    install_system "${DEMO_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    install_python
    say "Running the tests"
    # One worker more than cores: the tests spend much of their time waiting on real servers,
    # processes and sleeps, so a third worker keeps two cores busy (17:30 against 20:07 for a
    # whole run here). A module's tests stay together so module-scoped servers start once, and
    # modules go out in the order tests/conftest.py sorts them (longest first), not by size.
    # Pass -n 0 (or any -n) to choose yourself, e.g. ./dev.sh test -n 0 tests/domain.
    parallel=(-n "$(( $(nproc 2>/dev/null || echo 1) + 1 ))" --dist loadscope --no-loadscope-reorder)
    for arg in "$@"; do case "$arg" in -n|-n*|--numprocesses*) parallel=() ;; esac; done
    exec "$VENV/bin/python" -m pytest "${parallel[@]}" "$@"
    ;;
  demo)
    shift
    install_system "${DEMO_PACKAGES[@]}"
    install_python
    exec "$VENV/bin/mailflow" demo "$@"
    ;;
  lint)
    install_python
    say "ruff"
    "$VENV/bin/ruff" check mailflow tests benchmarks
    "$VENV/bin/ruff" format --check mailflow tests benchmarks
    say "mypy (strict)"
    "$VENV/bin/mypy"
    say "import-linter"
    "$VENV/bin/lint-imports"
    ;;
  *)
    echo "usage: ./dev.sh demo|test|lint [args...]" >&2
    exit 2
    ;;
esac
