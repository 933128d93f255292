//! The offchain worker of a provider node: for every provider key in the node's keystore, run the
//! live jobs assigned to its account (as provider, or as referee of a dispute) through the
//! `cairn-inference` host functions, on exactly the execution provider the job requires (CPU for
//! a referee), and submit signed receipts; send the provider's heartbeat when one is due.
//!
//! Duplicate submissions are guarded by a claim per (job, provider) in the node's persistent
//! offchain storage, taken with compare-and-set: two offchain workers running at once (for
//! consecutive blocks), a block imported on two forks, or a restarted node never submit twice.
//! A claim older than [`RETRY_AFTER`] blocks whose job is still waiting for that receipt on
//! chain (the transaction was dropped) is taken again.
//!
//! A run at a block older than the chain tip the node knows (it is catching up after a restart,
//! or the next block is already imported) does nothing: at old state, jobs that have since
//! closed look open, and their receipts would be stale.
//!
//! Each run's transactions take nonces after the ones earlier runs sent that are still pending
//! (kept in the same storage), so a run never replaces the last one's receipts in the pool.

use super::*;
use alloc::vec::Vec;
use cairn_inference::TensorSet;
use codec::{Decode, Encode};
use frame_system::{
	offchain::{AppCrypto, SendSignedTransaction, Signer},
	pallet_prelude::BlockNumberFor,
};
use pallet_compute_registry::ProviderInspect;
use pallet_model_provenance::ModelInspect;
use sp_runtime::{
	offchain::StorageKind,
	traits::{IdentifyAccount, SaturatedConversion, Saturating},
	RuntimeAppPublic,
};

/// Blocks after which a claim whose receipt never landed is retried.
pub const RETRY_AFTER: u32 = 10;

/// Prefix of the persistent offchain storage keys of claims.
pub const CLAIM_PREFIX: &[u8] = b"cairn::inference::claim::";

/// Prefix of the persistent offchain storage key of the last heartbeat sent per provider.
pub const HEARTBEAT_PREFIX: &[u8] = b"cairn::inference::heartbeat::";

/// Prefix of the persistent offchain storage key of the nonces a provider's transactions took.
pub const NONCE_PREFIX: &[u8] = b"cairn::inference::nonce::";

/// Blocks in which a provider's nonce on chain did not move while this node had transactions of
/// it pending, after which those count as dropped and its nonces start again from the chain's.
pub const NONCE_STALL: u32 = 5;

/// The nonces of a provider's transactions, kept between worker runs.
#[derive(Encode, Decode)]
struct NonceRecord<Nonce, BlockNumber> {
	/// The nonce the next transaction takes.
	next: Nonce,
	/// The provider's nonce on chain when this was written.
	chain: Nonce,
	/// Since when (block) the nonce on chain is `chain`.
	since: BlockNumber,
}

type NonceRecordOf<T> = NonceRecord<<T as frame_system::Config>::Nonce, BlockNumberFor<T>>;

/// Sets the nonce `account`'s next transaction of this run takes, in the worker's own state
/// (discarded after the run; the signer reads it from there): past the transactions earlier runs
/// of this node sent that are still pending, so this run's do not replace them in the pool. When
/// the nonce on chain has not moved for [`NONCE_STALL`] blocks while some are pending, those were
/// dropped, and the chain's nonce is taken. Returns what [`record_nonces`] needs: the storage
/// key, the nonce on chain and since when it is that.
fn resume_nonces<T: Config>(
	account: &T::AccountId,
	now: BlockNumberFor<T>,
) -> (Vec<u8>, T::Nonce, BlockNumberFor<T>) {
	let key = (NONCE_PREFIX, account).encode();
	let chain = frame_system::Pallet::<T>::account_nonce(account);
	let stored = sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, &key)
		.and_then(|bytes| NonceRecordOf::<T>::decode(&mut &bytes[..]).ok());
	let since = match &stored {
		Some(record) if record.chain == chain => record.since,
		_ => now,
	};
	let next = match stored {
		Some(record) if record.next > chain && now.saturating_sub(since) < NONCE_STALL.into() => {
			record.next
		},
		_ => chain,
	};
	frame_system::Account::<T>::mutate(account, |info| info.nonce = next);
	(key, chain, since)
}

/// Keeps the nonce after this run's transactions of the account [`resume_nonces`] prepared.
fn record_nonces<T: Config>(
	account: &T::AccountId,
	(key, chain, since): (Vec<u8>, T::Nonce, BlockNumberFor<T>),
) {
	let next = frame_system::Account::<T>::get(account).nonce;
	let record: NonceRecordOf<T> = NonceRecord { next, chain, since };
	sp_io::offchain::local_storage_set(StorageKind::PERSISTENT, &key, &record.encode());
}

const LOG_TARGET: &str = "runtime::inference";

/// The claim key of `job` for `provider`.
pub fn claim_key<AccountId: Encode>(job: JobId, provider: &AccountId) -> Vec<u8> {
	(CLAIM_PREFIX, job, provider).encode()
}

/// Takes the slot stored under `key` at block `now`: when there is none, or the one there is at
/// least [`RETRY_AFTER`] blocks old. A compare-and-set, so of workers racing for it one wins.
/// Whether this worker now holds it.
fn take_slot<T: Config>(key: &[u8], now: BlockNumberFor<T>) -> bool {
	let kind = StorageKind::PERSISTENT;
	let current = sp_io::offchain::local_storage_get(kind, key);
	if let Some(bytes) = &current {
		match BlockNumberFor::<T>::decode(&mut &bytes[..]) {
			Ok(at) if now.saturating_sub(at) < RETRY_AFTER.into() => return false,
			_ => {},
		}
	}
	sp_io::offchain::local_storage_compare_and_set(kind, key, current, &now.encode())
}

/// The accounts of this node's provider keys, with the keys' public parts.
fn local_providers<T: Config>() -> Vec<(T::AccountId, T::Public)> {
	<<T::AuthorityId as AppCrypto<T::Public, T::Signature>>::RuntimeAppPublic as RuntimeAppPublic>::all()
		.into_iter()
		.map(|key| {
			let generic: <T::AuthorityId as AppCrypto<T::Public, T::Signature>>::GenericPublic =
				key.into();
			let public: T::Public = generic.into();
			(public.clone().into_account(), public)
		})
		.collect()
}

/// Whether the node knows a block past `now`: this run sees old state (the node is catching up,
/// or the next block is already in) and must not act on it, lest it send receipts for jobs that
/// have since closed. The run at the tip does the work.
fn behind_tip<T: Config>(now: BlockNumberFor<T>) -> bool {
	match cairn_inference::inference::chain_tip() {
		Some(tip) => tip > now.saturated_into::<u64>(),
		None => false,
	}
}

/// Runs the work of block `now` for every local provider key, unless the node knows a later
/// block.
pub fn run<T: Config>(now: BlockNumberFor<T>) {
	if behind_tip::<T>(now) {
		log::debug!(target: LOG_TARGET, "block {now:?} is behind the chain tip: no jobs run at it");
		return;
	}
	for (account, public) in local_providers::<T>() {
		let signer = Signer::<T, T::AuthorityId>::any_account().with_filter(alloc::vec![public]);
		let nonces = resume_nonces::<T>(&account, now);
		let jobs: Vec<JobId> = AssignedJobs::<T>::iter_key_prefix(&account).collect();
		for job in jobs {
			if model_ready::<T>(job, &account) && take_slot::<T>(&claim_key(job, &account), now) {
				run_job::<T>(job, &account, &signer);
			}
		}
		send_heartbeat_if_due::<T>(&account, now, &signer);
		record_nonces::<T>(&account, nonces);
	}
}

/// The execution provider `account` must run `job` on: the job's, or CPU for a referee of its
/// dispute; `None` when it has nothing to answer.
pub fn required_provider<T: Config>(
	job: &JobOf<T>,
	account: &T::AccountId,
) -> Option<cairn_inference::ExecutionProvider> {
	let waiting = |assignments: &[AssignmentOf<T>]| {
		assignments.iter().any(|a| a.provider == *account && a.receipt.is_none())
	};
	match job.status {
		JobStatus::Open if waiting(&job.assigned) => Some(job.spec.execution_provider),
		JobStatus::Disputed if waiting(&job.referees) => {
			Some(cairn_inference::ExecutionProvider::Cpu)
		},
		_ => None,
	}
}

/// Whether the model `job` runs is in this node's store, asking the node for it (with the
/// job's deadline) either way: a node that lacks it starts fetching it from its registered CID
/// and URIs, and the job is left unclaimed until a later run finds it stored. A job with nothing
/// for `account` to answer is skipped; one whose model has no registered source, or on a node
/// that does not fetch, goes on to the run (which reports what is missing).
fn model_ready<T: Config>(job_id: JobId, account: &T::AccountId) -> bool {
	let Some(job) = Jobs::<T>::get(job_id) else { return false };
	if required_provider::<T>(&job, account).is_none() {
		return false;
	}
	let Some(mut source) = T::Models::source(job.model) else { return true };
	if source.sha256 != job.model_hash {
		return true;
	}
	source.needed_by = Some(job.deadline_at.saturated_into::<u64>());
	match cairn_inference::inference::request_model(source) {
		Ok(cairn_inference::FetchStatus::Fetching { received, size }) => {
			log::info!(
				target: LOG_TARGET,
				"job {job_id}: fetching its model ({received} of {size} bytes)"
			);
			false
		},
		Ok(cairn_inference::FetchStatus::Failed(failure)) => {
			log::warn!(
				target: LOG_TARGET,
				"job {job_id}: its model could not be fetched: {}",
				failure.name()
			);
			false
		},
		Ok(cairn_inference::FetchStatus::Stored | cairn_inference::FetchStatus::Disabled)
		| Err(_) => true,
	}
}

/// Runs `job` for `account` and submits the receipt with `signer`.
fn run_job<T: Config>(
	job_id: JobId,
	account: &T::AccountId,
	signer: &Signer<T, T::AuthorityId, frame_system::offchain::ForAny>,
) {
	let (Some(job), Some(input)) = (Jobs::<T>::get(job_id), JobInputs::<T>::get(job_id)) else {
		return;
	};
	let Some(provider) = required_provider::<T>(&job, account) else { return };
	let Ok(input) = TensorSet::decode_canonical(&input) else {
		log::warn!(target: LOG_TARGET, "job {job_id}: stored input does not decode");
		return;
	};
	// Exactly the required provider: a fallback's receipt would be refused on chain.
	let output = match cairn_inference::run_model_on(&job.model_hash, &input, provider) {
		Ok(output) => output,
		Err(error) => {
			log::warn!(target: LOG_TARGET, "job {job_id}: inference failed: {}", error.name());
			return;
		},
	};
	let Ok(outputs) = EncodedOutputs::try_from(output.outputs.encode()) else {
		log::warn!(target: LOG_TARGET, "job {job_id}: outputs exceed {MAX_OUTPUT_BYTES} bytes");
		return;
	};
	let result = signer.send_signed_transaction(|_| Call::submit_receipt {
		job: job_id,
		output_hash: output.output_hash,
		outputs: outputs.clone(),
		execution_provider: output.execution_provider,
		runtime_version: output.runtime_version.clone(),
		elapsed_micros: output.elapsed_micros,
	});
	match result {
		Some((_, Ok(()))) => log::info!(
			target: LOG_TARGET,
			"job {job_id}: receipt submitted ({} µs on {})",
			output.elapsed_micros,
			output.execution_provider.name()
		),
		_ => log::warn!(target: LOG_TARGET, "job {job_id}: could not submit the receipt"),
	}
}

/// Sends a heartbeat for `account` when its registry says one is due and none was sent in the
/// last [`RETRY_AFTER`] blocks.
fn send_heartbeat_if_due<T: Config>(
	account: &T::AccountId,
	now: BlockNumberFor<T>,
	signer: &Signer<T, T::AuthorityId, frame_system::offchain::ForAny>,
) {
	if !T::Providers::heartbeat_due(account) {
		return;
	}
	if !take_slot::<T>(&(HEARTBEAT_PREFIX, account).encode(), now) {
		return;
	}
	if !matches!(signer.send_signed_transaction(|_| Call::heartbeat {}), Some((_, Ok(())))) {
		log::warn!(target: LOG_TARGET, "could not submit a heartbeat");
	}
}
