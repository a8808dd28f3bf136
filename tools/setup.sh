# Sourced: installs Debian packages and a virtual environment with the Python build/test tools.
if [ -z "${SAPPER_SKIP_APT:-}" ]; then
  export DEBIAN_FRONTEND=noninteractive
  pkgs="build-essential cmake ninja-build ccache pkg-config git libeigen3-dev libfftw3-dev nlohmann-json3-dev libgtest-dev libbenchmark-dev clang libclang-rt-14-dev python3-dev python3-venv python3-pip"
  if ! dpkg -s $pkgs >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq $pkgs >/dev/null
  fi
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q pybind11 scikit-build-core numpy scipy pytest matplotlib
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
.venv/bin/python -m pip install -q --no-build-isolation .
