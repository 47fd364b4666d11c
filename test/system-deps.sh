#!/usr/bin/env bash
# Installs the Debian packages the integration tests need when they are missing: nats-server
# (the tests start their own, on a random loopback port) and chromium (the visualizer's
# end-to-end test drives it headless). Runs before `npm test` and in CI.
set -euo pipefail
missing=()
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing ${missing[*]}: Debian packages the integration tests need"
as_root=()
[ "$(id -u)" -ne 0 ] && as_root=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
