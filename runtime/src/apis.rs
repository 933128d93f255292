//! Runtime API implementations: what the node, RPC clients and tools call into.

use alloc::vec::Vec;
use frame_support::{
	genesis_builder_helper::{build_state, get_preset},
	weights::Weight,
};
use pallet_grandpa::AuthorityId as GrandpaId;
use sp_api::impl_runtime_apis;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_runtime::{
	traits::{Block as BlockT, NumberFor},
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult,
};
use sp_version::RuntimeVersion;

use super::{
	AccountId, Agents, Aura, Balance, Block, BlockNumber, ComputeRegistry, DataLicensing,
	Executive, Grandpa, Inference, InherentDataExt, ModelProvenance, Nonce, Runtime, RuntimeCall,
	RuntimeGenesisConfig, SessionKeys, System, TransactionPayment, VERSION,
};

impl_runtime_apis! {
	impl sp_api::Core<Block> for Runtime {
		fn version() -> RuntimeVersion {
			VERSION
		}

		fn execute_block(block: <Block as BlockT>::LazyBlock) {
			Executive::execute_block(block);
		}

		fn initialize_block(header: &<Block as BlockT>::Header) -> sp_runtime::ExtrinsicInclusionMode {
			Executive::initialize_block(header)
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			OpaqueMetadata::new(Runtime::metadata().into())
		}

		fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
			Runtime::metadata_at_version(version)
		}

		fn metadata_versions() -> Vec<u32> {
			Runtime::metadata_versions()
		}
	}

	impl frame_support::view_functions::runtime_api::RuntimeViewFunction<Block> for Runtime {
		fn execute_view_function(
			id: frame_support::view_functions::ViewFunctionId,
			input: Vec<u8>,
		) -> Result<Vec<u8>, frame_support::view_functions::ViewFunctionDispatchError> {
			Runtime::execute_view_function(id, input)
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			Executive::apply_extrinsic(extrinsic)
		}

		fn finalize_block() -> <Block as BlockT>::Header {
			Executive::finalize_block()
		}

		fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
			data.create_extrinsics()
		}

		fn check_inherents(
			block: <Block as BlockT>::LazyBlock,
			data: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			data.check_extrinsics(&block)
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			source: TransactionSource,
			tx: <Block as BlockT>::Extrinsic,
			block_hash: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			Executive::validate_transaction(source, tx, block_hash)
		}
	}

	impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
		fn offchain_worker(header: &<Block as BlockT>::Header) {
			Executive::offchain_worker(header)
		}
	}

	impl sp_consensus_aura::AuraApi<Block, AuraId> for Runtime {
		fn slot_duration() -> sp_consensus_aura::SlotDuration {
			sp_consensus_aura::SlotDuration::from_millis(Aura::slot_duration())
		}

		fn authorities() -> Vec<AuraId> {
			pallet_aura::Authorities::<Runtime>::get().into_inner()
		}
	}

	impl sp_session::SessionKeys<Block> for Runtime {
		fn generate_session_keys(
			owner: Vec<u8>,
			seed: Option<Vec<u8>>,
		) -> sp_session::OpaqueGeneratedSessionKeys {
			SessionKeys::generate(&owner, seed).into()
		}

		fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
			SessionKeys::decode_into_raw_public_keys(&encoded)
		}
	}

	impl sp_consensus_grandpa::GrandpaApi<Block> for Runtime {
		fn grandpa_authorities() -> sp_consensus_grandpa::AuthorityList {
			Grandpa::grandpa_authorities()
		}

		fn current_set_id() -> sp_consensus_grandpa::SetId {
			Grandpa::current_set_id()
		}

		fn submit_report_equivocation_unsigned_extrinsic(
			_equivocation_proof: sp_consensus_grandpa::EquivocationProof<
				<Block as BlockT>::Hash,
				NumberFor<Block>,
			>,
			_key_owner_proof: sp_consensus_grandpa::OpaqueKeyOwnershipProof,
		) -> Option<()> {
			None
		}

		fn generate_key_ownership_proof(
			_set_id: sp_consensus_grandpa::SetId,
			_authority_id: GrandpaId,
		) -> Option<sp_consensus_grandpa::OpaqueKeyOwnershipProof> {
			// No session pallet: equivocations cannot be proven yet.
			None
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(account: AccountId) -> Nonce {
			System::account_nonce(account)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
		fn query_info(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_info(uxt, len)
		}

		fn query_fee_details(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_fee_details(uxt, len)
		}

		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}

		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
		for Runtime
	{
		fn query_call_info(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_call_info(call, len)
		}

		fn query_call_fee_details(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_call_fee_details(call, len)
		}

		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}

		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_compute_registry::runtime_api::ComputeRegistryApi<Block, AccountId, Balance, BlockNumber>
		for Runtime
	{
		fn provider(
			who: AccountId,
		) -> Option<pallet_compute_registry::ProviderView<Balance, BlockNumber>> {
			ComputeRegistry::provider_view(&who)
		}

		fn live_providers(
			execution_provider: pallet_compute_registry::ExecutionProvider,
			start: u32,
			limit: u32,
		) -> pallet_compute_registry::Page<AccountId> {
			ComputeRegistry::live_providers_page(execution_provider, start, limit)
		}
	}

	impl pallet_data_licensing::runtime_api::DataLicensingApi<Block, AccountId, Balance, BlockNumber>
		for Runtime
	{
		fn dataset(
			dataset: pallet_data_licensing::DatasetId,
		) -> Option<pallet_data_licensing::Dataset<AccountId, Balance, BlockNumber>> {
			pallet_data_licensing::Datasets::<Runtime>::get(dataset)
		}

		fn dataset_by_hash(
			content_hash: pallet_data_licensing::ContentHash,
		) -> Option<pallet_data_licensing::DatasetId> {
			pallet_data_licensing::DatasetByHash::<Runtime>::get(content_hash)
		}

		fn license(
			license: pallet_data_licensing::LicenseId,
		) -> Option<pallet_data_licensing::License<AccountId, Balance, BlockNumber>> {
			pallet_data_licensing::Licenses::<Runtime>::get(license)
		}

		fn licenses_of(
			holder: AccountId,
			start_after: Option<pallet_data_licensing::LicenseId>,
			limit: u32,
		) -> Vec<pallet_data_licensing::LicenseId> {
			DataLicensing::licenses_of(&holder, start_after, limit)
		}

		fn license_status(
			license: pallet_data_licensing::LicenseId,
			at: BlockNumber,
		) -> pallet_data_licensing::LicenseStatus {
			DataLicensing::license_status(license, at)
		}
	}

	impl
		pallet_model_provenance::runtime_api::ProvenanceApi<
			Block,
			AccountId,
			Balance,
			BlockNumber,
			pallet_inference::Receipt<AccountId, BlockNumber>,
		> for Runtime
	{
		fn model(
			model: pallet_model_provenance::ModelId,
		) -> Option<pallet_model_provenance::Model<AccountId, Balance, BlockNumber>> {
			pallet_model_provenance::Models::<Runtime>::get(model)
		}

		fn model_by_hash(
			sha256: pallet_model_provenance::ModelHash,
		) -> Option<pallet_model_provenance::ModelId> {
			pallet_model_provenance::ModelByHash::<Runtime>::get(sha256)
		}

		fn lineage(
			model: pallet_model_provenance::ModelId,
			direction: pallet_model_provenance::Direction,
			max_depth: u32,
			start: u32,
			limit: u32,
		) -> Vec<pallet_model_provenance::LineageEdge> {
			ModelProvenance::lineage(model, direction, max_depth, start, limit)
		}

		fn lineage_page(
			model: pallet_model_provenance::ModelId,
			direction: pallet_model_provenance::Direction,
			max_depth: u32,
			start: u32,
			limit: u32,
		) -> Option<pallet_model_provenance::LineagePage> {
			ModelProvenance::lineage_page(model, direction, max_depth, start, limit)
		}

		fn children(
			model: pallet_model_provenance::ModelId,
			start_after: Option<pallet_model_provenance::ModelId>,
			limit: u32,
		) -> Vec<(pallet_model_provenance::ModelId, pallet_model_provenance::EdgeKind)> {
			ModelProvenance::children(model, start_after, limit)
		}

		fn upstream_datasets(
			model: pallet_model_provenance::ModelId,
			at: Option<BlockNumber>,
		) -> Option<Vec<pallet_model_provenance::UpstreamDataset>> {
			ModelProvenance::upstream_datasets(model, at.unwrap_or_else(System::block_number))
		}

		fn lineage_status(
			model: pallet_model_provenance::ModelId,
			at: Option<BlockNumber>,
		) -> pallet_model_provenance::LineageStatus {
			ModelProvenance::lineage_status(model, at.unwrap_or_else(System::block_number))
		}

		fn royalty_recipients(
			model: pallet_model_provenance::ModelId,
		) -> Vec<pallet_model_provenance::RoyaltyRecipient<AccountId>> {
			ModelProvenance::royalties(model)
		}

		fn evaluations(
			model: pallet_model_provenance::ModelId,
			start_after: Option<pallet_model_provenance::EvaluationId>,
			limit: u32,
		) -> Vec<(
			pallet_model_provenance::EvaluationId,
			pallet_model_provenance::Evaluation<AccountId, Balance, BlockNumber>,
		)> {
			ModelProvenance::evaluations(model, start_after, limit)
		}

		fn receipts(
			model: pallet_model_provenance::ModelId,
			start_after: Option<pallet_model_provenance::ReceiptId>,
			limit: u32,
		) -> Vec<(pallet_model_provenance::ReceiptId, pallet_inference::Receipt<AccountId, BlockNumber>)> {
			let Some(record) = pallet_model_provenance::Models::<Runtime>::get(model) else {
				return Vec::new();
			};
			Inference::receipts_of_model(record.file.sha256, start_after, limit)
				.into_iter()
				.filter_map(|id| pallet_inference::Receipts::<Runtime>::get(id).map(|r| (id, r)))
				.collect()
		}
	}

	#[api_version(5)]
	impl pallet_inference::runtime_api::InferenceApi<Block, AccountId, Balance, BlockNumber> for Runtime {
		fn receipt_checkpoints(
			receipt: pallet_inference::ReceiptId,
		) -> Option<cairn_inference::Commitment> {
			pallet_inference::ReceiptCheckpoints::<Runtime>::get(receipt)
		}

		fn audit(
			job: pallet_inference::JobId,
		) -> Option<pallet_inference::runtime_api::AuditView<AccountId, BlockNumber>> {
			use pallet_inference::{AuditParty, RevealedLeaves};
			let audit = pallet_inference::Audits::<Runtime>::get(job)?;
			Some((
				audit,
				RevealedLeaves::<Runtime>::get(job, AuditParty::Provider),
				RevealedLeaves::<Runtime>::get(job, AuditParty::Auditor),
			))
		}

		fn audit_tasks(provider: AccountId) -> Vec<pallet_inference::JobId> {
			Inference::audit_tasks_of(&provider)
		}

		fn blob_quota(account: AccountId) -> u64 {
			Inference::blob_quota(&account)
		}

		fn blob_in_use(blob: [u8; 32]) -> bool {
			Inference::blob_in_use(&blob)
		}

		fn blob_sources(blob: [u8; 32]) -> Vec<cairn_inference::seal::BlobLocation> {
			Inference::blob_sources(&blob)
		}

		fn job(
			job: pallet_inference::JobId,
		) -> Option<pallet_inference::Job<AccountId, Balance, BlockNumber>> {
			pallet_inference::Jobs::<Runtime>::get(job)
		}

		fn receipt(
			receipt: pallet_inference::ReceiptId,
		) -> Option<(pallet_inference::Receipt<AccountId, BlockNumber>, Vec<u8>)> {
			let record = pallet_inference::Receipts::<Runtime>::get(receipt)?;
			let outputs = pallet_inference::ReceiptOutputs::<Runtime>::get(receipt)
				.map(|o| o.into_inner())
				.unwrap_or_default();
			Some((record, outputs))
		}

		fn receipts_of_job(job: pallet_inference::JobId) -> Vec<pallet_inference::ReceiptId> {
			pallet_inference::Jobs::<Runtime>::get(job)
				.map(|j| j.receipts().collect())
				.unwrap_or_default()
		}

		fn receipts_of_model(
			model_hash: [u8; 32],
			start_after: Option<pallet_inference::ReceiptId>,
			limit: u32,
		) -> Vec<pallet_inference::ReceiptId> {
			Inference::receipts_of_model(model_hash, start_after, limit)
		}

		fn receipts_of_provider(
			provider: AccountId,
			start_after: Option<pallet_inference::ReceiptId>,
			limit: u32,
		) -> Vec<pallet_inference::ReceiptId> {
			Inference::receipts_of_provider(&provider, start_after, limit)
		}
	}

	impl pallet_agents::runtime_api::AgentsApi<Block, AccountId, pallet_agents::AgentOf<Runtime>>
		for Runtime
	{
		fn agents_of(owner: AccountId) -> Vec<(AccountId, pallet_agents::AgentOf<Runtime>)> {
			Agents::agents_of(&owner)
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl frame_benchmarking::Benchmark<Block> for Runtime {
		fn benchmark_metadata(extra: bool) -> (
			Vec<frame_benchmarking::BenchmarkList>,
			Vec<frame_support::traits::StorageInfo>,
		) {
			use frame_benchmarking::{baseline::Pallet as BaselineBench, BenchmarkList};
			use frame_support::traits::StorageInfoTrait;
			use frame_system_benchmarking::Pallet as SystemBench;
			use super::*;

			let mut list = Vec::<BenchmarkList>::new();
			list_benchmarks!(list, extra);

			let storage_info = AllPalletsWithSystem::storage_info();
			(list, storage_info)
		}

		fn dispatch_benchmark(
			config: frame_benchmarking::BenchmarkConfig,
		) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
			use frame_benchmarking::{baseline::Pallet as BaselineBench, BenchmarkBatch};
			use frame_support::traits::WhitelistedStorageKeys;
			use frame_system_benchmarking::Pallet as SystemBench;
			use sp_storage::TrackedStorageKey;
			use super::*;

			let whitelist: Vec<TrackedStorageKey> = AllPalletsWithSystem::whitelisted_storage_keys();
			let mut batches = Vec::<BenchmarkBatch>::new();
			let params = (&config, &whitelist);
			add_benchmarks!(params, batches);
			Ok(batches)
		}
	}

	impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
		fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
			build_state::<RuntimeGenesisConfig>(config)
		}

		fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
			get_preset::<RuntimeGenesisConfig>(id, crate::genesis_config_presets::get_preset)
		}

		fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
			crate::genesis_config_presets::preset_names()
		}
	}
}
