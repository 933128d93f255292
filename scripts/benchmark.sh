#!/usr/bin/env bash
# Runs the FRAME benchmarks of Cairn's pallets with the release node and writes each pallet's
# `weights.rs`; `storage` measures the node's database (ParityDB) and writes the runtime's
# storage read and write weights, runtime/src/paritydb_weights.rs.
# Usage: scripts/benchmark.sh [pallet_name | storage ...] (default: all Cairn pallets).
# CAIRN_BENCH_STEPS and CAIRN_BENCH_REPEAT override the steps (50) and repetitions (20).

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PALLETS=("$@")
[ ${#PALLETS[@]} -gt 0 ] || PALLETS=(pallet_compute_registry pallet_data_licensing pallet_model_provenance pallet_inference pallet_agents)
STEPS="${CAIRN_BENCH_STEPS:-50}"
REPEAT="${CAIRN_BENCH_REPEAT:-20}"

build_node
cd "$CAIRN_ROOT"
for pallet in "${PALLETS[@]}"; do
	if [ "$pallet" = storage ]; then
		# The dev chain's genesis state (accounts, the demo's provider, datasets, licenses
		# and lineage): every key read, then written back.
		base="$(mktemp -d)"
		say "benchmark storage (ParityDB) -> runtime/src/paritydb_weights.rs"
		"$CAIRN_NODE_BIN" benchmark storage \
			--chain dev \
			--base-path "$base" \
			--database paritydb \
			--state-version 1 \
			--warmups 2 \
			--batch-size 1 \
			--template-path scripts/db-weight-template.hbs \
			--weight-path runtime/src/paritydb_weights.rs
		rm -rf "$base"
		continue
	fi
	dir="pallets/$(echo "${pallet#pallet_}" | tr _ -)"
	say "benchmark $pallet -> $dir/src/weights.rs (steps $STEPS, repeat $REPEAT)"
	"$CAIRN_NODE_BIN" benchmark pallet \
		--chain dev \
		--pallet "$pallet" \
		--extrinsic '*' \
		--steps "$STEPS" \
		--repeat "$REPEAT" \
		--wasm-execution compiled \
		--heap-pages 4096 \
		--template scripts/weight-template.hbs \
		--output "$dir/src/weights.rs"
done
