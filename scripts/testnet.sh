#!/usr/bin/env bash
# A local multi-validator Cairn network on loopback: validators of `--chain local` (Alice, Bob,
# Charlie, Dave), optionally compute-provider nodes (Eve, Ferdie) with a model store of the
# bundled models and ONNX Runtime. Each node has its own base path, network key, ports and log
# under the testnet directory; every node knows every other as a bootnode.
#
# Usage:
#   scripts/testnet.sh [start] [--validators N] [--providers M] [--dir DIR] [--port-offset K] [--detach]
#       Starts the network and prints its endpoints. In the foreground (the default) Ctrl-C stops
#       every node; with --detach the nodes keep running and `stop` ends them.
#       N: 1-4 validators (default 4; GRANDPA finalizes with 3 of the 4). M: 0-2 providers
#       (default 0). Ports: p2p 30333+i, JSON-RPC 9944+i, Prometheus 9615+i for the i-th node,
#       each plus K (default 0). DIR: default ${TMPDIR:-/tmp}/cairn-testnet; a directory that
#       holds a network already resumes it (same chains, keys and ports).
#   scripts/testnet.sh stop [--dir DIR]            stops every node (SIGINT, SIGKILL after 30 s)
#   scripts/testnet.sh status [--dir DIR]          each node: running or not, best and finalized
#   scripts/testnet.sh kill NAME [--dir DIR]       SIGKILLs one node (a crash, for fault tests)
#   scripts/testnet.sh restart NAME [--dir DIR]    starts a stopped or killed node again on its
#                                                  base path, with the arguments it had
#
# A provider node signs with its identity's `cinf` key (inserted into its keystore here); it
# takes jobs once that account is registered with `computeRegistry.register` on chain.
# The network's layout is in DIR/testnet.json (what the network tests read).

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

VALIDATORS=(alice bob charlie dave)
PROVIDERS=(eve ferdie)

command=start
if [ $# -gt 0 ] && [[ "$1" != --* ]]; then
	command="$1"
	shift
fi
target=""
if [ "$command" = kill ] || [ "$command" = restart ]; then
	[ $# -gt 0 ] && [[ "$1" != --* ]] || { echo "usage: scripts/testnet.sh $command NAME [--dir DIR]" >&2; exit 2; }
	target="$1"
	shift
fi
validators=4
providers=0
port_offset=0
detach=0
dir="${TMPDIR:-/tmp}/cairn-testnet"
while [ $# -gt 0 ]; do
	case "$1" in
		--validators) validators="${2:?--validators needs a number}"; shift 2 ;;
		--providers) providers="${2:?--providers needs a number}"; shift 2 ;;
		--dir) dir="${2:?--dir needs a directory}"; shift 2 ;;
		--port-offset) port_offset="${2:?--port-offset needs a number}"; shift 2 ;;
		--detach) detach=1; shift ;;
		*) echo "unknown argument: $1 (see the usage at the top of scripts/testnet.sh)" >&2; exit 2 ;;
	esac
done
number='^[0-9]+$'
[[ "$validators" =~ $number ]] && [ "$validators" -ge 1 ] && [ "$validators" -le 4 ] ||
	{ echo "--validators must be 1 to 4 (the local chain has four authorities), not '$validators'" >&2; exit 2; }
[[ "$providers" =~ $number ]] && [ "$providers" -le 2 ] ||
	{ echo "--providers must be 0 to 2, not '$providers'" >&2; exit 2; }
[[ "$port_offset" =~ $number ]] && [ "$port_offset" -le 30000 ] ||
	{ echo "--port-offset must be 0 to 30000, not '$port_offset'" >&2; exit 2; }

# The node names of the network in $dir, in start order (from its per-node directories).
names() {
	local name
	for name in "${VALIDATORS[@]}" "${PROVIDERS[@]}"; do
		[ -f "$dir/$name/role" ] && echo "$name"
	done
	return 0
}

# Whether process $1 exists and is not a zombie (a detached node's parent may never reap it).
alive() {
	local state
	state="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
	[[ "$state" != Z* ]]
}

# The pid of node $1 when it runs, else nothing.
running_pid() {
	local pid
	pid="$(cat "$dir/$1/pid" 2>/dev/null)" || return 0
	if alive "$pid"; then echo "$pid"; fi
	return 0
}

# JSON-RPC call $2 (params $3, default none) to the node whose RPC port is $1; prints the result.
rpc() {
	curl -sf -m 5 -H 'content-type: application/json' \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":${3:-[]}}" "http://127.0.0.1:$1" |
		python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin).get("result")))'
}

# Starts node $1 in its own session with the arguments recorded in its directory, appending to its
# log; waits up to 120 s for its JSON-RPC.
launch() {
	local name="$1" node_dir="$dir/$1" rpc_port pid
	local -a args
	mapfile -t args <"$node_dir/args"
	rpc_port="$(cat "$node_dir/rpc-port")"
	if [ -n "$(running_pid "$name")" ]; then
		echo "$name is already running (pid $(cat "$node_dir/pid"))" >&2
		return 0
	fi
	printf '\n==== %s: started by scripts/testnet.sh\n' "$(date -u '+%F %T')" >>"$node_dir/node.log"
	setsid "$CAIRN_NODE_BIN" "${args[@]}" >>"$node_dir/node.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$node_dir/pid"
	for _ in $(seq 1 120); do
		rpc "$rpc_port" system_health >/dev/null 2>&1 && return 0
		if ! alive "$pid"; then
			tail -n 30 "$node_dir/node.log" >&2
			echo "$name exited before serving JSON-RPC (log: $node_dir/node.log)" >&2
			return 1
		fi
		sleep 1
	done
	echo "$name did not serve JSON-RPC within 120 s (log: $node_dir/node.log)" >&2
	return 1
}

# Sends SIGINT to node $1 and waits for it to exit (SIGKILL after 30 s).
stop_node() {
	local pid
	pid="$(running_pid "$1")"
	[ -n "$pid" ] || { rm -f "$dir/$1/pid"; return 0; }
	kill -INT "$pid" 2>/dev/null || true
	for _ in $(seq 1 300); do
		alive "$pid" || break
		sleep 0.1
	done
	if alive "$pid"; then
		warn "$1 did not stop within 30 s of SIGINT: SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	while alive "$pid"; do sleep 0.1; done
	rm -f "$dir/$1/pid"
}

stop_all() {
	local name
	for name in $(names); do
		if [ -n "$(running_pid "$name")" ]; then
			say "stopping $name"
			stop_node "$name"
		fi
	done
}

# Prints each node's endpoints and state.
print_status() {
	local name rpc_port pid state
	printf '%-8s %-9s %-10s %-24s %-34s %s\n' NODE ROLE STATE JSON-RPC "BEST / FINALIZED" LOG
	for name in $(names); do
		rpc_port="$(cat "$dir/$name/rpc-port")"
		pid="$(running_pid "$name")"
		if [ -n "$pid" ]; then
			state="$(python3 - "$rpc_port" <<-'EOF' 2>/dev/null || echo '-'
				import json, sys, urllib.request
				def call(method, params=()):
				    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
				    request = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}", body, {"content-type": "application/json"})
				    return json.load(urllib.request.urlopen(request, timeout=5))["result"]
				best = int(call("chain_getHeader")["number"], 16)
				finalized = int(call("chain_getHeader", [call("chain_getFinalizedHead")])["number"], 16)
				peers = call("system_health")["peers"]
				print(f"#{best} / #{finalized}, {peers} peers")
			EOF
			)"
			printf '%-8s %-9s %-10s %-24s %-34s %s\n' "$name" "$(cat "$dir/$name/role")" "pid $pid" \
				"ws://127.0.0.1:$rpc_port" "$state" "$dir/$name/node.log"
		else
			printf '%-8s %-9s %-10s %-24s %-34s %s\n' "$name" "$(cat "$dir/$name/role")" stopped \
				"ws://127.0.0.1:$rpc_port" - "$dir/$name/node.log"
		fi
	done
}

# Writes DIR/testnet.json: every node's name, role, ports, peer id, base path and log.
write_layout() {
	python3 - "$dir" $(names) <<-'EOF'
		import json, pathlib, sys
		root = pathlib.Path(sys.argv[1])
		def read(name, item):
		    return (root / name / item).read_text().strip()
		nodes = [{
		    "name": name,
		    "role": read(name, "role"),
		    "rpcPort": int(read(name, "rpc-port")),
		    "p2pPort": int(read(name, "p2p-port")),
		    "prometheusPort": int(read(name, "prometheus-port")),
		    "peerId": read(name, "peer-id"),
		    "basePath": str(root / name),
		    "log": str(root / name / "node.log"),
		} for name in sys.argv[2:]]
		(root / "testnet.json").write_text(json.dumps({"dir": str(root), "nodes": nodes}, indent=2) + "\n")
	EOF
}

# Creates node $1's directory (role $2, index $3): network key, peer id, ports. Arguments come
# later, once every peer id is known.
prepare_node() {
	local name="$1" role="$2" index="$3" node_dir="$dir/$1"
	mkdir -p "$node_dir"
	echo "$role" >"$node_dir/role"
	echo $((30333 + port_offset + index)) >"$node_dir/p2p-port"
	echo $((9944 + port_offset + index)) >"$node_dir/rpc-port"
	echo $((9615 + port_offset + index)) >"$node_dir/prometheus-port"
	if [ ! -f "$node_dir/node-key" ]; then
		"$CAIRN_NODE_BIN" key generate-node-key --file "$node_dir/node-key" 2>/dev/null
	fi
	"$CAIRN_NODE_BIN" key inspect-node-key --file "$node_dir/node-key" >"$node_dir/peer-id"
}

# Records node $1's command line, with every other node of the network as a bootnode.
write_args() {
	local name="$1" node_dir="$dir/$1" other
	local -a args=(
		--chain local --name "$name" --base-path "$node_dir" --node-key-file "$node_dir/node-key"
		--listen-addr "/ip4/127.0.0.1/tcp/$(cat "$node_dir/p2p-port")" --rpc-port "$(cat "$node_dir/rpc-port")"
		--prometheus-port "$(cat "$node_dir/prometheus-port")" --rpc-cors all --no-mdns --no-telemetry
	)
	for other in $(names); do
		[ "$other" = "$name" ] && continue
		args+=(--bootnodes "/ip4/127.0.0.1/tcp/$(cat "$dir/$other/p2p-port")/p2p/$(cat "$dir/$other/peer-id")")
	done
	if [ "$(cat "$node_dir/role")" = validator ]; then
		# --alice etc.: validator role and the identity's Aura, GRANDPA and provider keys.
		args+=("--$name")
	else
		args+=(--offchain-worker always --model-store "$dir/models" --onnxruntime-lib "$ORT_DYLIB_PATH")
	fi
	printf '%s\n' "${args[@]}" >"$node_dir/args"
}

start_network() {
	[ -x "$CAIRN_NODE_BIN" ] || build_node
	mkdir -p "$dir"
	local i name
	if [ -n "$(names)" ]; then
		say "resuming the network in $dir"
	else
		say "creating a network in $dir: $validators validators, $providers providers"
		for ((i = 0; i < validators; i++)); do prepare_node "${VALIDATORS[$i]}" validator "$i"; done
		for ((i = 0; i < providers; i++)); do prepare_node "${PROVIDERS[$i]}" provider $((4 + i)); done
		if [ "$providers" -gt 0 ]; then
			ensure_onnxruntime
			for model in "$CAIRN_ROOT"/offchain-workers/models/*.onnx; do
				"$CAIRN_NODE_BIN" model import "$model" --model-store "$dir/models" \
					--onnxruntime-lib "$ORT_DYLIB_PATH" >/dev/null
			done
		fi
		for name in $(names); do write_args "$name"; done
		for ((i = 0; i < providers; i++)); do
			name="${PROVIDERS[$i]}"
			"$CAIRN_NODE_BIN" key insert --chain local --base-path "$dir/$name" --key-type cinf \
				--scheme sr25519 --suri "//${name^}"
		done
	fi
	write_layout
	for name in $(names); do
		say "starting $name ($(cat "$dir/$name/role"))"
		launch "$name" || { stop_all; exit 1; }
	done
	print_status
}

if [ -n "$target" ] && [ ! -f "$dir/$target/args" ]; then
	echo "no node '$target' in $dir (nodes: $(names | xargs))" >&2
	exit 2
fi

case "$command" in
	start)
		if [ "$detach" = 0 ]; then
			trap 'echo; stop_all; exit 0' INT TERM
		fi
		start_network
		if [ "$detach" = 0 ]; then
			say "running; Ctrl-C stops every node (logs: $dir/<node>/node.log)"
			while :; do sleep 1; done
		fi
		;;
	stop) stop_all ;;
	status) print_status ;;
	kill)
		pid="$(running_pid "$target")"
		[ -n "$pid" ] || { echo "$target is not running" >&2; exit 1; }
		kill -KILL "$pid"
		while alive "$pid"; do sleep 0.1; done
		rm -f "$dir/$target/pid"
		say "killed $target (SIGKILL)"
		;;
	restart)
		say "restarting $target on $dir/$target"
		launch "$target"
		;;
	*) echo "unknown command: $command (expected start, stop, status, kill or restart)" >&2; exit 2 ;;
esac
