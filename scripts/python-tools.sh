#!/usr/bin/env bash
# Finds the Python tools the tests use, installing pinned versions into ./.venv only when missing:
#   moto[server]  a real AWS-protocol server for the integration suite
#   cfn-lint      lints the synthesized CloudFormation template
# Prints two lines: MOTO_SERVER=<command> and CFN_LINT=<command>.
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_PIN='moto[server]==5.2.1'
CFN_LINT_PIN='cfn-lint==1.51.0'
VENV=.venv

venv_python() {
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" >&2
  fi
  echo "$VENV/bin/python"
}

if python3 -c 'import moto.server, flask' 2>/dev/null; then
  moto="python3 -m moto.server"
elif [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import moto.server' 2>/dev/null; then
  moto="$VENV/bin/python -m moto.server"
else
  py=$(venv_python)
  "$py" -m pip install --quiet --disable-pip-version-check "$MOTO_PIN" >&2
  moto="$py -m moto.server"
fi

if command -v cfn-lint >/dev/null 2>&1 && cfn-lint --version >/dev/null 2>&1; then
  lint="cfn-lint"
elif [ -x "$VENV/bin/cfn-lint" ]; then
  lint="$VENV/bin/cfn-lint"
else
  py=$(venv_python)
  "$py" -m pip install --quiet --disable-pip-version-check "$CFN_LINT_PIN" >&2
  lint="$VENV/bin/cfn-lint"
fi

echo "MOTO_SERVER=$moto"
echo "CFN_LINT=$lint"
