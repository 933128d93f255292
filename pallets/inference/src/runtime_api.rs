//! The `InferenceApi` runtime API: jobs, receipts and audits for builders and researchers.

use crate::{Audit, Job, JobId, Receipt, ReceiptId};
use alloc::vec::Vec;
use cairn_inference::{checkpoints::Leaves, Commitment};
use codec::Codec;

/// An audit with the leaves each party of its dispute revealed so far (provider's, auditor's).
pub type AuditView<AccountId, BlockNumber> =
	(Audit<AccountId, BlockNumber>, Option<Leaves>, Option<Leaves>);

/// The most receipt ids one page returns.
pub const MAX_PAGE_SIZE: u32 = 256;

sp_api::decl_runtime_apis! {
	/// Queries of the inference pallet. Version 2 adds checkpoint commitments and audits;
	/// version 3 blob quotas; version 4 blob use; version 5 blob sources.
	#[api_version(5)]
	pub trait InferenceApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// The job with id `job`.
		fn job(job: JobId) -> Option<Job<AccountId, Balance, BlockNumber>>;

		/// The receipt with id `receipt` and its encoded outputs (empty once its job is pruned).
		fn receipt(receipt: ReceiptId) -> Option<(Receipt<AccountId, BlockNumber>, Vec<u8>)>;

		/// The receipts of `job`: its providers' in assignment order, then its referees' (none
		/// once the job is pruned; its receipts stay, by model and by provider).
		fn receipts_of_job(job: JobId) -> Vec<ReceiptId>;

		/// Up to `limit` (capped at 256) receipt ids of the model file `model_hash`, after
		/// `start_after`.
		fn receipts_of_model(model_hash: [u8; 32], start_after: Option<ReceiptId>, limit: u32) -> Vec<ReceiptId>;

		/// Up to `limit` (capped at 256) receipt ids of `provider`, after `start_after`.
		fn receipts_of_provider(provider: AccountId, start_after: Option<ReceiptId>, limit: u32) -> Vec<ReceiptId>;

		/// The checkpoint commitment of receipt `receipt`.
		fn receipt_checkpoints(receipt: ReceiptId) -> Option<Commitment>;

		/// The audit of job `job` (queued, going or closed; none once pruned or when the draw
		/// left it unaudited), with the leaves each party of its dispute revealed so far
		/// (provider's, auditor's).
		fn audit(job: JobId) -> Option<AuditView<AccountId, BlockNumber>>;

		/// The jobs whose audit `provider` has something to do for (re-run, reveal, post a
		/// checkpoint, referee).
		fn audit_tasks(provider: AccountId) -> Vec<JobId>;

		/// How many bytes of sealed job data `account` may keep in a node's blob store (zero
		/// without a quota): what a node's `blob_put` JSON-RPC checks uploads against.
		fn blob_quota(account: AccountId) -> u64;

		/// Whether an unpruned job names the sealed blob with this SHA-256 (as input or as a
		/// receipt's outputs): a node's blob store keeps it while one does (version 4 on).
		fn blob_in_use(blob: [u8; 32]) -> bool;

		/// Where the sealed blob with this SHA-256 can be fetched besides nodes' blob stores:
		/// the sources registered by the requesters of the unpruned jobs that name it.
		#[api_version(5)]
		fn blob_sources(blob: [u8; 32]) -> Vec<cairn_inference::seal::BlobLocation>;
	}
}
