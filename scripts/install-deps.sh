#!/usr/bin/env bash
# Installs the Debian packages Parley's build and tests need; only what is missing. Idempotent.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config git curl ca-certificates python3
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-program-options1.81-dev
  librocksdb-dev libyaml-cpp-dev libfasttext-dev libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev libssl-dev zlib1g-dev
  librdkafka-dev libnats-dev nats-server
  libhiredis-dev redis-server haproxy
  libeigen3-dev liblbfgs-dev libpcre2-dev
  libexpat1-dev  # the XMPP channel's stream parser
  clang libclang-rt-14-dev llvm  # fuzz/ (libFuzzer), make asan / make tsan, llvm-symbolizer
)
# `install-deps.sh bench` adds what bench/compare needs (the peers and the charts).
if [ "${1:-}" = "bench" ]; then
  PKGS+=(wrk nginx-light gnuplot-nox jq)
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
