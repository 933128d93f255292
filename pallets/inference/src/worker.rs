//! The offchain worker of a provider node: for every provider key in the node's keystore, run the
//! live jobs assigned to its account (as provider, or as referee of a dispute) through the
//! `cairn-inference` host functions, on exactly the execution provider the job requires (CPU for
//! a referee), and submit signed receipts; send the provider's heartbeat when one is due, and
//! publish one of the node's encryption keys for it (see [`crate::encryption`]).
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
//!
//! Every run is checkpointed: the receipt carries the commitment, and the leaves are kept in the
//! node's persistent offchain storage (under [`LEAVES_PREFIX`]) for the audit's dispute. For its
//! audit tasks the worker re-runs a drawn job as auditor, reveals its leaves in a dispute, posts
//! the agreed checkpoint the referee's segment starts from, and, as referee, re-runs only that
//! segment (falling back to the model's run up to the diverging checkpoint when nobody posted
//! its start by half the referee's time).

use super::*;
use alloc::vec::Vec;
use cairn_inference::{checkpoints::Leaves, TensorSet};
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

/// Prefix of the persistent offchain storage keys of the checkpoint leaves of this node's runs,
/// by job and provider (kept for audits' disputes).
pub const LEAVES_PREFIX: &[u8] = b"cairn::inference::leaves::";

/// Prefix of the persistent offchain storage keys of claims of audit steps.
pub const AUDIT_CLAIM_PREFIX: &[u8] = b"cairn::inference::audit-claim::";

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

pub(crate) const LOG_TARGET: &str = "runtime::inference";

/// The claim key of `job` for `provider`.
pub fn claim_key<AccountId: Encode>(job: JobId, provider: &AccountId) -> Vec<u8> {
	(CLAIM_PREFIX, job, provider).encode()
}

/// Takes the slot stored under `key` at block `now`: when there is none, or the one there is at
/// least [`RETRY_AFTER`] blocks old. A compare-and-set, so of workers racing for it one wins.
/// Whether this worker now holds it.
pub(crate) fn take_slot<T: Config>(key: &[u8], now: BlockNumberFor<T>) -> bool {
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
	let providers = local_providers::<T>();
	let mut keys = (!providers.is_empty()).then(crate::encryption::KeyPlan::new).flatten();
	for (account, public) in providers {
		let signer = Signer::<T, T::AuthorityId>::any_account().with_filter(alloc::vec![public]);
		let nonces = resume_nonces::<T>(&account, now);
		if let Some(keys) = keys.as_mut() {
			keys.publish::<T>(now, &account, &signer);
		}
		let jobs: Vec<JobId> = AssignedJobs::<T>::iter_key_prefix(&account).collect();
		for job in jobs {
			// A committed receipt waits for its reveal (below), not for another run.
			if !crate::reveal::has_committed::<T>(job, &account)
				&& model_ready::<T>(job, &account)
				&& sealed_input_ready::<T>(job, &account, &signer, now)
				&& take_slot::<T>(&claim_key(job, &account), now)
			{
				run_job::<T>(job, &account, &signer);
			}
		}
		for job in Pallet::<T>::audit_tasks_of(&account) {
			audit_task::<T>(job, &account, &signer, now);
		}
		crate::reveal::reveal_pending::<T>(&account, &signer, now);
		crate::attest::attest_agreements::<T>(&account, &signer, now);
		send_heartbeat_if_due::<T>(&account, now, &signer);
		record_nonces::<T>(&account, nonces);
	}
	if let Some(keys) = keys {
		keys.finish();
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

/// Whether a sealed job's input is ready for `account` to run: its content key delivered and
/// its blob in this node's store, asking the node for the blob either way (a node that lacks it
/// starts fetching it from its peers). When the node gives up on the blob, `account` reports it
/// unusable (once, under the job's claim). An inline job is always ready.
fn sealed_input_ready<T: Config>(
	job_id: JobId,
	account: &T::AccountId,
	signer: &Signer<T, T::AuthorityId, frame_system::offchain::ForAny>,
	now: BlockNumberFor<T>,
) -> bool {
	match sealed_input_state::<T>(job_id, account) {
		SealedInputState::Ready => true,
		SealedInputState::Waiting => false,
		// Reported once the key is delivered: a report needs it.
		SealedInputState::Failed { reason, delivered } => {
			if delivered && take_slot::<T>(&claim_key(job_id, account), now) {
				report_unusable::<T>(job_id, reason, signer);
			}
			false
		},
	}
}

/// Where a sealed job's input stands for one party of it.
enum SealedInputState {
	/// Not sealed, or its blob is stored and the party's content key delivered.
	Ready,
	/// The blob is on its way or the key is not delivered yet.
	Waiting,
	/// The node gave up on the blob; whether the party's key was delivered.
	Failed { reason: cairn_inference::seal::UnusableReason, delivered: bool },
}

/// Where sealed job `job_id`'s input stands for `account` (a provider, auditor or referee
/// granted its key), asking the node for the blob (a node that lacks it starts fetching it
/// from its peers: the ciphertext is public-safe, so the fetch starts while the key is on its
/// way).
fn sealed_input_state<T: Config>(job_id: JobId, account: &T::AccountId) -> SealedInputState {
	let Some(sealed) = SealedInputs::<T>::get(job_id) else { return SealedInputState::Ready };
	let delivered =
		KeyGrants::<T>::get(job_id, account).is_some_and(|grant| grant.envelope.is_some());
	match cairn_inference::inference::request_blob(sealed.blob) {
		Ok(cairn_inference::seal::BlobState::Stored) if delivered => SealedInputState::Ready,
		Ok(cairn_inference::seal::BlobState::Stored) => SealedInputState::Waiting,
		Ok(cairn_inference::seal::BlobState::Fetching) => {
			log::info!(target: LOG_TARGET, "job {job_id}: fetching its sealed input");
			SealedInputState::Waiting
		},
		Ok(cairn_inference::seal::BlobState::Failed(reason)) => {
			SealedInputState::Failed { reason, delivered }
		},
		Err(error) => {
			log::warn!(
				target: LOG_TARGET,
				"job {job_id}: this node cannot fetch sealed inputs: {}",
				error.name()
			);
			SealedInputState::Waiting
		},
	}
}

/// Reports with `signer` that sealed job `job_id` cannot run, for `reason`.
fn report_unusable<T: Config>(
	job_id: JobId,
	reason: cairn_inference::seal::UnusableReason,
	signer: &Signer<T, T::AuthorityId, frame_system::offchain::ForAny>,
) {
	match signer.send_signed_transaction(|_| Call::report_unusable { job: job_id, reason }) {
		Some((_, Ok(()))) => {
			log::warn!(target: LOG_TARGET, "job {job_id}: reported its sealed input unusable: {reason:?}")
		},
		_ => log::warn!(target: LOG_TARGET, "job {job_id}: could not report its input unusable"),
	}
}

/// The 32 bytes of an account (an `AccountId32`), as sealing binds parties.
pub(crate) fn account_bytes<AccountId: Encode>(account: &AccountId) -> Option<[u8; 32]> {
	account.encode().try_into().ok()
}

/// Runs sealed job `job_id` for `account` on the node's native side (the plaintext never enters
/// the runtime) and submits the sealed receipt, or the report of why it cannot run.
fn run_sealed_job<T: Config>(
	job_id: JobId,
	account: &T::AccountId,
	job: &JobOf<T>,
	input: cairn_inference::seal::SealedInput,
	provider: cairn_inference::ExecutionProvider,
	signer: &Signer<T, T::AuthorityId, frame_system::offchain::ForAny>,
) {
	let started = sp_io::offchain::timestamp();
	let run = match sealed_run::<T>(job_id, account, job, input, provider) {
		Ok(run) => run,
		Err(Some(reason)) => return report_unusable::<T>(job_id, reason, signer),
		Err(None) => return,
	};
	let checkpoints = cairn_inference::Commitment::of(&run.leaves);
	let salt = crate::reveal::fresh_salt();
	let call = Call::submit_sealed_receipt {
		job: job_id,
		output_hash: run.output_hash,
		output: run.sealed.clone(),
		checkpoints,
		execution_provider: run.execution_provider,
		runtime_version: run.runtime_version.clone(),
		elapsed_micros: run.elapsed_micros,
		salt,
	};
	let committed = crate::reveal::Committed { output_hash: run.output_hash, checkpoints, salt };
	match crate::reveal::answer::<T>(job_id, job, account, signer, call, committed) {
		true => {
			crate::attest::watch::<T>(job_id, account);
			log::info!(
				target: LOG_TARGET,
				"job {job_id}: sealed receipt submitted ({} µs on {}, {} ms in the worker)",
				run.elapsed_micros,
				run.execution_provider.name(),
				sp_io::offchain::timestamp().diff(&started).millis()
			)
		},
		false => {
			log::warn!(target: LOG_TARGET, "job {job_id}: could not submit the sealed receipt")
		},
	}
}

/// Opens sealed job `job_id`'s input with the content key delivered to `account` (under its
/// grant's role: provider, auditor or referee) and runs it checkpointed on exactly `provider`
/// on the node's native side, the outputs sealed to the requester; keeps the leaves for an
/// audit's dispute. `Err(Some(reason))` when the input is unusable, `Err(None)` (logged) when
/// the key is not delivered or the run failed.
fn sealed_run<T: Config>(
	job_id: JobId,
	account: &T::AccountId,
	job: &JobOf<T>,
	input: cairn_inference::seal::SealedInput,
	provider: cairn_inference::ExecutionProvider,
) -> Result<cairn_inference::seal::SealedRunOutput, Option<cairn_inference::seal::UnusableReason>> {
	use cairn_inference::seal::{KeyContext, SealedRunRequest, SealedRunStatus};
	let Some(grant) = KeyGrants::<T>::get(job_id, account) else { return Err(None) };
	let Some(envelope) = grant.envelope else { return Err(None) };
	let (Some(recipient), Some(requester)) =
		(account_bytes(account), account_bytes(&job.requester))
	else {
		log::warn!(target: LOG_TARGET, "job {job_id}: accounts are not 32 bytes: cannot seal");
		return Err(None);
	};
	let request = SealedRunRequest {
		job: job_id,
		model: job.model_hash,
		input,
		key: grant.key,
		envelope,
		context: KeyContext {
			job: job_id,
			model: job.model_hash,
			recipient,
			key_epoch: grant.epoch,
			role: grant.role,
		},
		requester,
		execution_provider: provider,
	};
	match cairn_inference::inference::run_sealed(request) {
		Ok(SealedRunStatus::Done(run)) => {
			keep_leaves::<T>(job_id, account, &run.leaves);
			Ok(*run)
		},
		Ok(SealedRunStatus::Unusable(reason)) => Err(Some(reason)),
		Err(error) => {
			log::warn!(target: LOG_TARGET, "job {job_id}: sealed run failed: {}", error.name());
			Err(None)
		},
	}
}

/// Runs `job` for `account` and submits the receipt with `signer`.
fn run_job<T: Config>(
	job_id: JobId,
	account: &T::AccountId,
	signer: &Signer<T, T::AuthorityId, frame_system::offchain::ForAny>,
) {
	if let Some(sealed) = SealedInputs::<T>::get(job_id) {
		let Some(job) = Jobs::<T>::get(job_id) else { return };
		let Some(provider) = required_provider::<T>(&job, account) else { return };
		return run_sealed_job::<T>(job_id, account, &job, sealed, provider, signer);
	}
	// The worker's whole path for the job, from reading its input to submitting the receipt.
	let started = sp_io::offchain::timestamp();
	let (Some(job), Some(input)) = (Jobs::<T>::get(job_id), JobInputs::<T>::get(job_id)) else {
		return;
	};
	let Some(provider) = required_provider::<T>(&job, account) else { return };
	let Ok(input) = TensorSet::decode_canonical(&input) else {
		log::warn!(target: LOG_TARGET, "job {job_id}: stored input does not decode");
		return;
	};
	// Exactly the required provider: a fallback's receipt would be refused on chain.
	let Some((run, outputs)) = checkpointed_run::<T>(job_id, account, &job, &input, provider)
	else {
		return;
	};
	let output = &run.output;
	let salt = crate::reveal::fresh_salt();
	let call = Call::submit_receipt {
		job: job_id,
		output_hash: output.output_hash,
		outputs,
		checkpoints: run.commitment(),
		execution_provider: output.execution_provider,
		runtime_version: output.runtime_version.clone(),
		elapsed_micros: output.elapsed_micros,
		salt,
	};
	let committed = crate::reveal::Committed {
		output_hash: output.output_hash,
		checkpoints: run.commitment(),
		salt,
	};
	match crate::reveal::answer::<T>(job_id, &job, account, signer, call, committed) {
		true => log::info!(
			target: LOG_TARGET,
			"job {job_id}: receipt submitted ({} µs on {}, {} ms in the worker)",
			output.elapsed_micros,
			output.execution_provider.name(),
			sp_io::offchain::timestamp().diff(&started).millis()
		),
		false => log::warn!(target: LOG_TARGET, "job {job_id}: could not submit the receipt"),
	}
}

/// Runs `job` checkpointed on exactly `provider` and keeps the leaves for `account`; the run and
/// its encoded outputs, or `None` (logged) when it failed.
fn checkpointed_run<T: Config>(
	job_id: JobId,
	account: &T::AccountId,
	job: &JobOf<T>,
	input: &TensorSet,
	provider: cairn_inference::ExecutionProvider,
) -> Option<(cairn_inference::CheckpointedOutput, EncodedOutputs)> {
	let run = match cairn_inference::run_model_checkpointed(&job.model_hash, input, provider) {
		Ok(run) => run,
		Err(error) => {
			log::warn!(target: LOG_TARGET, "job {job_id}: inference failed: {}", error.name());
			return None;
		},
	};
	let Ok(outputs) = EncodedOutputs::try_from(run.output.outputs.encode()) else {
		log::warn!(target: LOG_TARGET, "job {job_id}: outputs exceed {MAX_OUTPUT_BYTES} bytes");
		return None;
	};
	keep_leaves::<T>(job_id, account, &run.leaves);
	Some((run, outputs))
}

/// Keeps the leaves of this node's run of `job` for `account`, for an audit's dispute.
fn keep_leaves<T: Config>(job: JobId, account: &T::AccountId, leaves: &Leaves) {
	sp_io::offchain::local_storage_set(
		StorageKind::PERSISTENT,
		&(LEAVES_PREFIX, job, account).encode(),
		&leaves.encode(),
	);
}

/// The leaves this node kept of its run of `job` for `account`.
fn kept_leaves<T: Config>(job: JobId, account: &T::AccountId) -> Option<Leaves> {
	let bytes = sp_io::offchain::local_storage_get(
		StorageKind::PERSISTENT,
		&(LEAVES_PREFIX, job, account).encode(),
	)?;
	Leaves::decode(&mut &bytes[..]).ok()
}

/// Does what `account` has to do now for the audit of `job`: re-run it (auditor), reveal its
/// leaves (party), post the agreed checkpoint a referee's segment starts from (party), re-run
/// that segment (referee). Each step is claimed once per (job, account, step).
fn audit_task<T: Config>(
	job_id: JobId,
	account: &T::AccountId,
	signer: &Signer<T, T::AuthorityId, frame_system::offchain::ForAny>,
	now: BlockNumberFor<T>,
) {
	let (Some(audit), Some(job)) = (Audits::<T>::get(job_id), Jobs::<T>::get(job_id)) else {
		return;
	};
	// Decoded only for a step that runs the model: most accounts have nothing to do.
	let input =
		|| JobInputs::<T>::get(job_id).and_then(|bytes| TensorSet::decode_canonical(&bytes).ok());
	let ep = job.spec.execution_provider;
	let is_auditor = audit.auditor.as_ref() == Some(account);
	let party = if audit.provider == *account {
		Some(AuditParty::Provider)
	} else if is_auditor {
		Some(AuditParty::Auditor)
	} else {
		None
	};
	let claim =
		|step: &[u8]| take_slot::<T>(&(AUDIT_CLAIM_PREFIX, job_id, account, step).encode(), now);
	// A sealed job's auditor and referee run it once their content key is delivered and the
	// input blob is in this node's store.
	let sealed = SealedInputs::<T>::get(job_id);
	let ready = || {
		sealed.is_none()
			|| matches!(sealed_input_state::<T>(job_id, account), SealedInputState::Ready)
	};
	// The auditor also needs the receipt's sealed outputs, to compare them if they differ,
	// unless they are held to bit-exact agreement with its own.
	let audited = job.assigned.iter().find(|a| a.receipt == Some(audit.receipt));
	let auditor_ready = || {
		ready()
			&& (sealed.is_none()
				|| audited.is_some_and(|audited| {
					crate::attest::audit_held_exact::<T>(&job, audited, ep)
						|| crate::attest::output_blob_stored::<T>(audited)
				}))
	};
	let run_sealed = |input| {
		sealed_run::<T>(job_id, account, &job, input, ep).map_err(|reason| {
			if let Some(reason) = reason {
				log::warn!(target: LOG_TARGET, "job {job_id}: sealed input unusable: {reason:?}");
			}
		})
	};
	let call = match &audit.stage {
		AuditStage::Auditing if is_auditor && auditor_ready() && claim(b"audit") => {
			if let Some(input) = sealed.clone() {
				let Ok(run) = run_sealed(input) else { return };
				log::info!(
					target: LOG_TARGET,
					"job {job_id}: audited sealed ({} µs on {})",
					run.elapsed_micros,
					ep.name()
				);
				let within_tolerance = match (audited, account_bytes(account)) {
					(Some(audited), Some(party)) => crate::attest::audit_within_tolerance::<T>(
						job_id,
						&job,
						account,
						audited,
						cairn_inference::seal::SealedAnswer {
							party,
							output_hash: run.output_hash,
							blob: run.sealed.blob,
						},
						(run.execution_provider, run.runtime_version.clone()),
					),
					_ => false,
				};
				Call::submit_sealed_audit {
					job: job_id,
					output_hash: run.output_hash,
					checkpoints: cairn_inference::Commitment::of(&run.leaves),
					execution_provider: run.execution_provider,
					runtime_version: run.runtime_version,
					elapsed_micros: run.elapsed_micros,
					within_tolerance,
				}
			} else {
				let Some((run, outputs)) = input()
					.and_then(|input| checkpointed_run::<T>(job_id, account, &job, &input, ep))
				else {
					return;
				};
				log::info!(
					target: LOG_TARGET,
					"job {job_id}: audited ({} µs on {})",
					run.output.elapsed_micros,
					ep.name()
				);
				Call::submit_audit {
					job: job_id,
					output_hash: run.output.output_hash,
					outputs,
					checkpoints: run.commitment(),
					execution_provider: run.output.execution_provider,
					runtime_version: run.output.runtime_version.clone(),
					elapsed_micros: run.output.elapsed_micros,
				}
			}
		},
		AuditStage::Revealing => {
			let Some(party) = party else { return };
			if RevealedLeaves::<T>::contains_key(job_id, party) || !claim(b"reveal") {
				return;
			}
			let leaves = match (kept_leaves::<T>(job_id, account), sealed.clone()) {
				(Some(leaves), _) => leaves,
				(None, Some(input)) => match run_sealed(input) {
					Ok(run) => run.leaves,
					Err(()) => return,
				},
				(None, None) => match input()
					.and_then(|input| checkpointed_run::<T>(job_id, account, &job, &input, ep))
				{
					Some((run, _)) => run.leaves,
					None => return,
				},
			};
			Call::reveal_checkpoints { job: job_id, leaves }
		},
		AuditStage::Refereeing { task, referee } if referee == account => {
			let answer = if let Some(input) = sealed.clone() {
				// No checkpoint is posted for a sealed job: the whole model runs from the input.
				if !ready() || !claim(b"referee") {
					return;
				}
				let Ok(run) = run_sealed(input) else { return };
				log::info!(target: LOG_TARGET, "job {job_id}: referee ran the sealed job");
				match task {
					RefereeTask::Checkpoints => {
						RefereeAnswer::Checkpoints(cairn_inference::Commitment::of(&run.leaves))
					},
					RefereeTask::Segment(at) => match run.leaves.get(*at as usize) {
						Some(leaf) => RefereeAnswer::Leaf(*leaf),
						None => return,
					},
				}
			} else {
				let Some(answer) = input().and_then(|input| {
					referee_answer::<T>(job_id, &job, &audit, *task, &input, now)
				}) else {
					return;
				};
				if !claim(b"referee") {
					return;
				}
				answer
			};
			Call::submit_referee_answer { job: job_id, answer }
		},
		AuditStage::Refereeing { task: RefereeTask::Segment(at), .. } if *at > 0 => {
			if party.is_none()
				|| sealed.is_some()
				|| SegmentInputs::<T>::contains_key(job_id)
				|| !claim(b"post")
			{
				return;
			}
			let start = at - 1;
			let Some(input) = input() else { return };
			let tensors =
				match cairn_inference::model_checkpoint(&job.model_hash, &input, start, ep) {
					Ok(tensors) => tensors,
					Err(error) => {
						log::warn!(
							target: LOG_TARGET,
							"job {job_id}: checkpoint {start} failed: {}",
							error.name()
						);
						return;
					},
				};
			Call::post_segment_input { job: job_id, tensors }
		},
		_ => return,
	};
	let name = match &call {
		Call::submit_audit { .. } | Call::submit_sealed_audit { .. } => "audit result",
		Call::reveal_checkpoints { .. } => "checkpoint reveal",
		Call::submit_referee_answer { .. } => "referee answer",
		_ => "segment input",
	};
	match signer.send_signed_transaction(|_| call.clone()) {
		Some((_, Ok(()))) => log::info!(target: LOG_TARGET, "job {job_id}: {name} submitted"),
		_ => log::warn!(target: LOG_TARGET, "job {job_id}: could not submit the {name}"),
	}
}

/// The referee's answer to `task` for the dispute of `job_id`, or `None` while it waits for the
/// segment's start to be posted (until half its time) or when the run failed. A posted start
/// runs only the diverging segment; without one, the model runs from the job's input up to the
/// diverging checkpoint.
fn referee_answer<T: Config>(
	job_id: JobId,
	job: &JobOf<T>,
	audit: &AuditOf<T>,
	task: RefereeTask,
	input: &TensorSet,
	now: BlockNumberFor<T>,
) -> Option<RefereeAnswer> {
	let ep = job.spec.execution_provider;
	let model = &job.model_hash;
	let failed = |what: &str, error: cairn_inference::InferenceError| {
		log::warn!(target: LOG_TARGET, "job {job_id}: referee {what} failed: {}", error.name());
	};
	let at = match task {
		RefereeTask::Checkpoints => {
			return match cairn_inference::run_model_checkpointed(model, input, ep) {
				Ok(run) => Some(RefereeAnswer::Checkpoints(run.commitment())),
				Err(error) => {
					failed("run", error);
					None
				},
			};
		},
		RefereeTask::Segment(at) => at,
	};
	let start = if at == 0 {
		Some(input.clone())
	} else {
		SegmentInputs::<T>::get(job_id)
			.and_then(|posted| TensorSet::decode_canonical(&posted.tensors).ok())
	};
	if let Some(start) = start {
		return match cairn_inference::run_model_segment(model, at, &start, ep) {
			Ok(output) => {
				log::info!(
					target: LOG_TARGET,
					"job {job_id}: referee ran segment {at} alone ({} µs)",
					output.elapsed_micros
				);
				Some(RefereeAnswer::Leaf(output.output_hash))
			},
			Err(error) => {
				failed("segment", error);
				None
			},
		};
	}
	let half = <T::RefereePeriod as frame_support::traits::Get<_>>::get() / 2u32.into();
	if now.saturating_add(half) < audit.deadline {
		return None;
	}
	// Nobody posted the segment's start: run the model from the input up to checkpoint `at`
	// (its outputs, when `at` is the last segment).
	let leaf = match cairn_inference::model_checkpoint(model, input, at, ep) {
		Ok(tensors) => tensors.hash(),
		Err(cairn_inference::InferenceError::NoSuchSegment) => {
			match cairn_inference::run_model_on(model, input, ep) {
				Ok(output) => output.output_hash,
				Err(error) => {
					failed("run", error);
					return None;
				},
			}
		},
		Err(error) => {
			failed("checkpoint", error);
			return None;
		},
	};
	log::info!(target: LOG_TARGET, "job {job_id}: referee ran the model up to checkpoint {at}");
	Some(RefereeAnswer::Leaf(leaf))
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
