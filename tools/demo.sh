#!/usr/bin/env bash
# Installs what sapper needs on Debian 12 (as root), builds it, runs the main job on synthetic data.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/setup.sh
.venv/bin/sapper "$@"
