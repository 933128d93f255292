#!/usr/bin/env bash
# Runs a Cairn development chain that does real work: installs what is missing, builds the node
# once, imports the bundled tiny ONNX model and its fine-tune into the node's model store, starts
# `cairn-node --dev` (Alice validates and is the genesis CPU provider; genesis registers a
# licensed dataset, the tiny model trained on it and the fine-tune) with a persistent base path,
# then runs the demo (tests/demo/job.mjs): Ferdie seals his input and uploads it to the node's blob
# store, posts a sealed job on the fine-tune with only hashes on chain and delivers the content
# key to Alice; her offchain worker opens the input, runs the model with ONNX Runtime, seals the
# outputs to Ferdie and submits a signed receipt; Ferdie opens the outputs, and the settlement
# (her pay, the royalties up the lineage, the refund) is printed. The node keeps running until
# Ctrl-C. Extra arguments go to the node (e.g. `scripts/dev.sh --sealing 500`);
# CAIRN_DEV_DEMO=0 skips the demo.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

BASE_PATH="${CAIRN_DEV_BASE_PATH:-$HOME/.local/share/cairn/dev}"
RPC_PORT="${CAIRN_RPC_PORT:-9944}"

ensure_prerequisites
ensure_onnxruntime
build_node
[ "${CAIRN_DEV_DEMO:-1}" = 0 ] || ensure_npm_packages

# The bundled models go into the node's model store (a no-op when they are there).
for model in tiny_affine tiny_affine_tuned tiny_affine_distilled; do
	"$CAIRN_NODE_BIN" model import "$CAIRN_ROOT/offchain-workers/models/$model.onnx"
done

mkdir -p "$BASE_PATH"
say "chain data: $BASE_PATH (delete it, or run '$CAIRN_NODE_BIN purge-chain --dev --base-path $BASE_PATH', to start over)"
say "JSON-RPC:   ws://127.0.0.1:$RPC_PORT"
say "polkadot.js Apps: https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A$RPC_PORT#/explorer"
say "Prometheus: http://127.0.0.1:9615/metrics"
say "inference:  ONNX Runtime from $ORT_DYLIB_PATH, models from ~/.local/share/cairn/models (docs/inference.md)"
say "starting: cairn-node --dev --base-path $BASE_PATH --rpc-port $RPC_PORT $*"
if [ "${CAIRN_DEV_DEMO:-1}" = 0 ]; then
	exec "$CAIRN_NODE_BIN" --dev --base-path "$BASE_PATH" --rpc-port "$RPC_PORT" "$@"
fi
"$CAIRN_NODE_BIN" --dev --base-path "$BASE_PATH" --rpc-port "$RPC_PORT" "$@" &
node_pid=$!
trap 'kill -INT "$node_pid" 2>/dev/null; wait "$node_pid"' INT TERM
for _ in $(seq 1 120); do
	curl -s -o /dev/null -H 'Content-Type: application/json' \
		-d '{"id":1,"jsonrpc":"2.0","method":"system_health"}' "http://127.0.0.1:$RPC_PORT" && break
	kill -0 "$node_pid" 2>/dev/null || { wait "$node_pid"; exit $?; }
	sleep 0.5
done
say "demo: a sealed job on the bundled fine-tune (tests/demo/job.mjs)"
(cd "$CAIRN_ROOT/tests" && node demo/job.mjs "ws://127.0.0.1:$RPC_PORT") || warn "the demo failed (the node keeps running)"
say "the node keeps running; Ctrl-C stops it"
wait "$node_pid"
