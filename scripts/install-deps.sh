#!/usr/bin/env bash
# Installs every Debian package EpiLabel needs. A quick no-op when all are present.
# Usage: scripts/install-deps.sh [--with-browser]   (run as root, or with sudo available)
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libeigen3-dev libceres-dev libopencv-dev libboost-graph-dev libtbb-dev
  libbenchmark-dev libgtest-dev libgmock-dev
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libsimdjson-dev libtomlplusplus-dev
  libzip-dev zipcmp zipmerge ziptool   # libzip's CMake config requires the three tools
  libopenmpi-dev openmpi-bin
  libtorch-dev
  python3 python3-numpy python3-onnx
  opencv-doc
)
# Node.js and npm (for the report's three.js bundle): some machines carry a NodeSource nodejs that
# bundles npm and conflicts with Debian's npm package, so ask for them only when the commands are missing.
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)
if [[ "${1:-}" == "--with-browser" || "${EPILABEL_WITH_BROWSER:-0}" == "1" ]]; then
  PACKAGES+=(chromium)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
