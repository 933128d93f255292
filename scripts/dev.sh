#!/usr/bin/env bash
# Runs a Cairn development chain: installs what is missing, builds the node once and starts
# `cairn-node --dev` with a persistent base path. Extra arguments go to the node
# (e.g. `scripts/dev.sh --sealing 500`).

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

BASE_PATH="${CAIRN_DEV_BASE_PATH:-$HOME/.local/share/cairn/dev}"
RPC_PORT="${CAIRN_RPC_PORT:-9944}"

ensure_prerequisites
ensure_onnxruntime
build_node

# The bundled tiny model goes into the node's model store (a no-op when it is there).
"$CAIRN_NODE_BIN" model import "$CAIRN_ROOT/offchain-workers/models/tiny_affine.onnx"

mkdir -p "$BASE_PATH"
say "chain data: $BASE_PATH (delete it, or run '$CAIRN_NODE_BIN purge-chain --dev --base-path $BASE_PATH', to start over)"
say "JSON-RPC:   ws://127.0.0.1:$RPC_PORT"
say "polkadot.js Apps: https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A$RPC_PORT#/explorer"
say "Prometheus: http://127.0.0.1:9615/metrics"
say "inference:  ONNX Runtime from $ORT_DYLIB_PATH, models from ~/.local/share/cairn/models (docs/inference.md)"
say "starting: cairn-node --dev --base-path $BASE_PATH --rpc-port $RPC_PORT $*"
exec "$CAIRN_NODE_BIN" --dev --base-path "$BASE_PATH" --rpc-port "$RPC_PORT" "$@"
