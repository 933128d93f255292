#!/usr/bin/env bash
# Regenerates the chain specifications in chain-spec/ from the node's built-in chains
# (the runtime's `development` and `local_testnet` presets). Run it after changing a preset;
# `cargo test -p cairn-node` fails while they are stale.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
build_node
for chain in dev local; do
	say "chain-spec/$chain.json and chain-spec/$chain-raw.json"
	"$CAIRN_NODE_BIN" export-chain-spec --chain "$chain" --output "$CAIRN_ROOT/chain-spec/$chain.json" >/dev/null
	"$CAIRN_NODE_BIN" export-chain-spec --chain "$chain" --raw --output "$CAIRN_ROOT/chain-spec/$chain-raw.json" >/dev/null
done
