#!/usr/bin/env bash
# Shared set-up for Cairn's scripts: paths, prerequisites and the one build profile.
# Sourced, not run. Every step says what it does.

set -euo pipefail

CAIRN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The target directory lives outside the clone so every clone (and CI) reuses one build.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cairn/target}"
# One (profile, features) pair for the node, the tests, clippy and the end-to-end suite:
# a second pair would be a second full build of ~1000 crates.
CAIRN_CARGO_FLAGS=(--release --locked --features runtime-benchmarks)
CAIRN_NODE_BIN="$CARGO_TARGET_DIR/release/cairn-node"
export CAIRN_NODE_BIN
# runtime/build.rs also builds the runtime one spec_version later, for the network suite's
# runtime-upgrade test. Every cargo command of these scripts sees the same value, so none of
# them reruns the runtime's build script for the others.
export CAIRN_BUILD_UPGRADE_TEST_RUNTIME=1
export CAIRN_UPGRADE_TEST_WASM="$CARGO_TARGET_DIR/release/wbuild/cairn-runtime/cairn_runtime_upgrade_test.compact.compressed.wasm"

# The CPU's name, for benchmark reports.
CAIRN_CPU_NAME="$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)"
export CAIRN_CPU_NAME="${CAIRN_CPU_NAME:-unknown}"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }

apt_updated=0
apt_install() {
	if [ "$apt_updated" = 0 ]; then
		say "apt-get update"
		apt-get update -qq
		apt_updated=1
	fi
	say "apt-get install $*"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Installs what the build and tests need and is missing; prints each step it takes.
ensure_prerequisites() {
	local missing=()
	command -v protoc >/dev/null || missing+=(protobuf-compiler)
	command -v cc >/dev/null || missing+=(build-essential)
	command -v g++ >/dev/null || missing+=(g++)
	command -v git >/dev/null || missing+=(git)
	command -v curl >/dev/null || missing+=(curl)
	command -v node >/dev/null || missing+=(nodejs)
	command -v npm >/dev/null || missing+=(npm)
	command -v python3 >/dev/null || missing+=(python3)
	python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
	python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
	if [ ${#missing[@]} -gt 0 ]; then
		if [ "$(id -u)" = 0 ]; then apt_install "${missing[@]}"
		else
			echo "missing packages: ${missing[*]} (install them with apt-get as root)" >&2
			exit 1
		fi
	else
		say "system packages present (protoc, C/C++ compiler, git, curl, node, npm, python3 with pip)"
	fi
	if ! command -v rustup >/dev/null; then
		echo "rustup is required: install it from your distribution or rustup.rs" >&2
		exit 1
	fi
	# rust-toolchain.toml pins the toolchain, its components and the wasm32v1-none target.
	say "Rust toolchain from rust-toolchain.toml: $(cd "$CAIRN_ROOT" && rustup show active-toolchain | cut -d' ' -f1)"
	(cd "$CAIRN_ROOT" && rustup toolchain install >/dev/null 2>&1 || true)
	local toolchain
	toolchain="$(cd "$CAIRN_ROOT" && rustup show active-toolchain | cut -d' ' -f1)"
	if ! rustup target list --installed --toolchain "$toolchain" | grep -q '^wasm32v1-none$'; then
		say "rustup target add wasm32v1-none"
		rustup target add wasm32v1-none --toolchain "$toolchain"
	fi
	for component in rustfmt clippy; do
		if ! rustup component list --installed --toolchain "$toolchain" | grep -q "^$component"; then
			say "rustup component add $component"
			rustup component add "$component" --toolchain "$toolchain"
		fi
	done
}

# Builds the release node (a no-op when it is up to date).
build_node() {
	say "cargo build ${CAIRN_CARGO_FLAGS[*]} -p cairn-node (target: $CARGO_TARGET_DIR; a cold build takes about 40 minutes on 2 cores)"
	(cd "$CAIRN_ROOT" && cargo build "${CAIRN_CARGO_FLAGS[@]}" -p cairn-node)
}

# Fetches ONNX Runtime and the ONNX test models (PyPI wheels, cached) and exports ORT_DYLIB_PATH
# (which cairn-node reads for --onnxruntime-lib) and CAIRN_TEST_MODELS.
ensure_onnxruntime() {
	local exports
	exports="$("$CAIRN_ROOT/scripts/fetch-onnxruntime.sh" --print-env)" || return 1
	eval "$exports"
	say "ONNX Runtime: $ORT_DYLIB_PATH"
}

# Prints the python of virtual environment $1 (under ~/.cache/cairn) holding the packages pinned in
# requirements file $2 (relative to the repository), creating or refreshing it when the pins
# changed.
python_venv() {
	local venv="${CAIRN_CACHE:-$HOME/.cache/cairn}/$1"
	local requirements="$CAIRN_ROOT/$2"
	if [ -x "$venv/bin/python" ] && cmp -s "$requirements" "$venv/requirements.txt"; then
		say "$2 is installed ($venv)" >&2
	else
		say "python3 -m venv $venv && pip install -r $2" >&2
		rm -rf "$venv"
		python3 -m venv "$venv" >&2 &&
			"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2 &&
			cp "$requirements" "$venv/requirements.txt" || return 1
	fi
	echo "$venv/bin/python"
}

# Prepares openlineage-python and jsonschema (tests/openlineage/requirements.txt) for the
# OpenLineage export check of the end-to-end suite; exports CAIRN_OPENLINEAGE_PYTHON.
ensure_openlineage_python() {
	CAIRN_OPENLINEAGE_PYTHON="$(python_venv openlineage-venv tests/openlineage/requirements.txt)" || return 1
	export CAIRN_OPENLINEAGE_PYTHON
}

# Prepares matplotlib (scripts/bench-requirements.txt) for the benchmark report's plots; exports
# CAIRN_BENCH_PYTHON.
ensure_bench_python() {
	CAIRN_BENCH_PYTHON="$(python_venv bench-venv scripts/bench-requirements.txt)" || return 1
	export CAIRN_BENCH_PYTHON
}

# Installs the npm packages of the client library, the end-to-end suite and the example agent
# exactly as locked.
ensure_npm_packages() {
	local dir
	for dir in client tests examples/agent; do
		if [ -f "$CAIRN_ROOT/$dir/node_modules/.package-lock.json" ] &&
			[ "$CAIRN_ROOT/$dir/node_modules/.package-lock.json" -nt "$CAIRN_ROOT/$dir/package-lock.json" ]; then
			say "npm packages of $dir/ are installed"
		else
			say "npm ci ($dir/)"
			(cd "$CAIRN_ROOT/$dir" && npm ci --no-audit --no-fund --loglevel=error) || return 1
		fi
	done
}

# Starts a benchmark node: `cairn-node --dev` on base path $1 (its log in $1/node.log), a random
# RPC port and the remaining arguments; sets BENCH_NODE_PID and BENCH_RPC_PORT and waits up to
# 120 s for its JSON-RPC (exits with the log's tail if the node dies first). stop_bench_node
# stops it.
start_bench_node() {
	local base="$1"
	shift
	BENCH_RPC_PORT=$((20000 + RANDOM % 20000))
	"$CAIRN_NODE_BIN" --dev --base-path "$base" --rpc-port "$BENCH_RPC_PORT" \
		--port $((BENCH_RPC_PORT + 1)) --no-prometheus --no-mdns --no-telemetry "$@" \
		>"$base/node.log" 2>&1 &
	BENCH_NODE_PID=$!
	for _ in $(seq 1 120); do
		curl -sf -H 'content-type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"system_health"}' \
			"http://127.0.0.1:$BENCH_RPC_PORT" >/dev/null && return 0
		if ! kill -0 "$BENCH_NODE_PID" 2>/dev/null; then
			tail -n 30 "$base/node.log" >&2
			echo "the benchmark node exited before serving JSON-RPC" >&2
			exit 1
		fi
		sleep 1
	done
	echo "the benchmark node did not serve JSON-RPC within 120 s" >&2
	exit 1
}

# Stops the node start_bench_node started (a no-op when none runs).
stop_bench_node() {
	[ -n "${BENCH_NODE_PID:-}" ] || return 0
	kill "$BENCH_NODE_PID" 2>/dev/null || true
	wait "$BENCH_NODE_PID" 2>/dev/null || true
	BENCH_NODE_PID=""
}
