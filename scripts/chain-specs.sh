#!/usr/bin/env bash
# Regenerates the chain specifications in chain-spec/ from the node's built-in chains (the
# runtime's `development` and `local_testnet` presets). Run it after changing a preset;
# `cargo test -p cairn-node --test chain_spec` fails while they are stale.
#
# chain-spec/<chain>.json: the plain specification without the runtime code (checked in; the
#   node adds its own runtime when it loads such a file).
# chain-spec/raw/<chain>-raw.json: the raw specification with the code, to hand to the
#   validators of a network (not checked in: its ~9 MB of code change with every runtime build).

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
build_node
mkdir -p "$CAIRN_ROOT/chain-spec/raw"
for chain in dev local; do
	plain="$CAIRN_ROOT/chain-spec/$chain.json"
	raw="$CAIRN_ROOT/chain-spec/raw/$chain-raw.json"
	say "$plain (without code) and $raw"
	"$CAIRN_NODE_BIN" export-chain-spec --chain "$chain" |
		python3 -c 'import json, sys
spec = json.load(sys.stdin)
del spec["genesis"]["runtimeGenesis"]["code"]
sys.stdout.write(json.dumps(spec, indent=2) + "\n")' >"$plain"
	"$CAIRN_NODE_BIN" export-chain-spec --chain "$chain" --raw --output "$raw" >/dev/null
done
