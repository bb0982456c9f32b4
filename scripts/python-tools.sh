#!/usr/bin/env bash
# Finds the Python tools the tests use, installing pinned versions into ./.venv only when missing:
#   moto[server]  a real AWS-protocol server for the integration suite
#   cfn-lint      lints the synthesized CloudFormation template
# Prints two lines: MOTO_SERVER=<command> and CFN_LINT=<command>.
set -euo pipefail
cd "$(dirname "$0")/.."

PINS=('moto[server]==5.2.1' 'cfn-lint==1.51.0')
VENV="$PWD/.venv"

has_system_moto() { python3 -c 'import moto.server, flask' 2>/dev/null; }
has_system_cfn_lint() { command -v cfn-lint >/dev/null 2>&1 && cfn-lint --version >/dev/null 2>&1; }

if has_system_moto && has_system_cfn_lint; then
  echo "MOTO_SERVER=python3 -m moto.server"
  echo "CFN_LINT=cfn-lint"
  exit 0
fi

# One resolver run for both pins, so moto's own cfn-lint requirement cannot unpin it.
if ! "$VENV/bin/python" -c 'import moto.server' 2>/dev/null || [ ! -x "$VENV/bin/cfn-lint" ]; then
  python3 -m venv "$VENV" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}" >&2
fi
echo "MOTO_SERVER=$VENV/bin/python -m moto.server"
echo "CFN_LINT=$VENV/bin/cfn-lint"
