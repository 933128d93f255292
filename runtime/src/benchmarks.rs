//! The pallets whose benchmarks the node's `benchmark pallet` command can run.

frame_benchmarking::define_benchmarks!(
	[frame_benchmarking, BaselineBench::<Runtime>]
	[frame_system, SystemBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_compute_registry, ComputeRegistry]
	[pallet_data_licensing, DataLicensing]
	[pallet_model_provenance, ModelProvenance]
	[pallet_inference, Inference]
	[pallet_agents, Agents]
);

impl frame_system_benchmarking::Config for crate::Runtime {
	/// The code `set_code` is benchmarked with: this runtime's own, as the chain stores it (an
	/// upgrade's real size). The default is a 4 MiB sample runtime that every build with the
	/// benchmarks would carry in its own code, on chain: five times the runtime's size, near the
	/// 5 MiB block that a runtime upgrade must fit in.
	fn prepare_set_code_data() -> alloc::vec::Vec<u8> {
		frame_support::storage::unhashed::get_raw(sp_core::storage::well_known_keys::CODE)
			.unwrap_or_default()
	}
}
impl frame_benchmarking::baseline::Config for crate::Runtime {}
