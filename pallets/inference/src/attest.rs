//! The offchain worker's side of sealed agreement: for every sealed job that one of this node's
//! providers answered (as provider, or as referee of its dispute), it compares its outputs with
//! the other answers that differ by hash by the agreement rule (bit for bit with answers of an
//! exact job from its own platform, which their hashes decide; otherwise on the node's native
//! side under the job's tolerance raised to the floor, `compare_sealed`: the plaintexts never
//! enter the runtime), and attests which agree (`attest_agreement`), again whenever the answers
//! change. The jobs to watch are kept in the node's persistent offchain storage until they
//! close.

use super::*;
use crate::worker::{account_bytes, take_slot, LOG_TARGET};
use alloc::vec::Vec;
use cairn_inference::seal::{KeyContext, PeerAgreement, SealedAnswer, SealedComparison};
use codec::{Decode, Encode};
use frame_support::BoundedVec;
use frame_system::{
	offchain::{SendSignedTransaction, Signer},
	pallet_prelude::BlockNumberFor,
};
use sp_runtime::offchain::StorageKind;

/// Prefix of the persistent offchain storage key of the sealed jobs a provider answered whose
/// outputs it may have to compare.
pub const WATCHED_PREFIX: &[u8] = b"cairn::inference::compare::";

/// Prefix of the persistent offchain storage keys of claims of attestations.
pub const ATTEST_CLAIM_PREFIX: &[u8] = b"cairn::inference::attest-claim::";

/// The most jobs watched per provider; the oldest is dropped beyond it.
pub const MAX_WATCHED: usize = 256;

/// The storage key of `account`'s watched jobs.
fn watched_key<AccountId: Encode>(account: &AccountId) -> Vec<u8> {
	(WATCHED_PREFIX, account).encode()
}

/// The sealed jobs `account` answered that are watched.
fn watched<AccountId: Encode>(account: &AccountId) -> Vec<JobId> {
	sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, &watched_key(account))
		.and_then(|bytes| Vec::<JobId>::decode(&mut &bytes[..]).ok())
		.unwrap_or_default()
}

/// Writes `account`'s watched jobs.
fn set_watched<AccountId: Encode>(account: &AccountId, jobs: &[JobId]) {
	sp_io::offchain::local_storage_set(
		StorageKind::PERSISTENT,
		&watched_key(account),
		&jobs.encode(),
	);
}

/// Watches sealed job `job` for `account`, which just answered it.
pub(crate) fn watch<T: Config>(job_id: JobId, account: &T::AccountId) {
	let mut jobs = watched(account);
	if !jobs.contains(&job_id) {
		jobs.push(job_id);
		let excess = jobs.len().saturating_sub(MAX_WATCHED);
		jobs.drain(..excess);
		set_watched(account, &jobs);
	}
}

/// The platform a receipt names: its execution provider and runtime build.
pub(crate) type Platform = (cairn_inference::ExecutionProvider, cairn_inference::RuntimeVersion);

/// The sealed answer of an assignment with a receipt: its party, output hash and output blob,
/// and the platform its receipt names.
fn sealed_answer<T: Config>(
	assignment: &AssignmentOf<T>,
) -> Option<(T::AccountId, SealedAnswer, Platform)> {
	let receipt_id = assignment.receipt?;
	let receipt = Receipts::<T>::get(receipt_id)?;
	let blob = SealedOutputs::<T>::get(receipt_id)?.blob;
	let party = account_bytes(&assignment.provider)?;
	let answer = SealedAnswer { party, output_hash: receipt.output_hash, blob };
	Some((
		assignment.provider.clone(),
		answer,
		(receipt.execution_provider, receipt.runtime_version),
	))
}

/// Compares `own` (`account`'s answer to sealed job `job_id`) with `peers` on the node's
/// native side, with the content key delivered to `account`; `None` (logged) when it cannot.
pub(crate) fn compare<T: Config>(
	job_id: JobId,
	job: &JobOf<T>,
	account: &T::AccountId,
	own: SealedAnswer,
	peers: Vec<SealedAnswer>,
) -> Option<Vec<PeerAgreement>> {
	let grant = KeyGrants::<T>::get(job_id, account)?;
	let envelope = grant.envelope?;
	let comparison = SealedComparison {
		job: job_id,
		model: job.model_hash,
		key: grant.key,
		envelope,
		context: KeyContext {
			job: job_id,
			model: job.model_hash,
			recipient: own.party,
			key_epoch: grant.epoch,
			role: grant.role,
		},
		own,
		peers,
		tolerance: job.spec.tolerance,
	};
	match cairn_inference::inference::compare_sealed(comparison) {
		Ok(verdicts) => Some(verdicts),
		Err(error) => {
			log::warn!(target: LOG_TARGET, "job {job_id}: cannot compare sealed outputs: {}", error.name());
			None
		},
	}
}

/// Whether the sealed output blob of `assignment`'s receipt is in this node's store (a fetch
/// from peers starts when it is not): what an auditor needs before it compares.
pub(crate) fn output_blob_stored<T: Config>(assignment: &AssignmentOf<T>) -> bool {
	sealed_answer::<T>(assignment).is_some_and(|(_, answer, _)| {
		matches!(
			cairn_inference::inference::request_blob(answer.blob),
			Ok(cairn_inference::seal::BlobState::Stored)
		)
	})
}

/// Whether an audit of `audited`'s receipt on `ep` by this node is held to bit-exact agreement:
/// the job is exact and the receipt names this node's platform.
pub(crate) fn audit_held_exact<T: Config>(
	job: &JobOf<T>,
	audited: &AssignmentOf<T>,
	ep: cairn_inference::ExecutionProvider,
) -> bool {
	let Some(receipt) = audited.receipt.and_then(Receipts::<T>::get) else { return false };
	let Ok(capabilities) = cairn_inference::inference::capabilities() else { return false };
	job.spec.tolerance.is_exact_between(
		(receipt.execution_provider, receipt.runtime_version) == (ep, capabilities.runtime_version),
	)
}

/// The auditor's verdict on whether the receipt's sealed outputs, differing by hash from its
/// own `own` (computed on `platform`), agree with them by the agreement rule: never where the
/// job is exact and the receipt names the same platform, otherwise under the job's tolerance
/// raised to the floor.
pub(crate) fn audit_within_tolerance<T: Config>(
	job_id: JobId,
	job: &JobOf<T>,
	auditor: &T::AccountId,
	audited: &AssignmentOf<T>,
	own: SealedAnswer,
	platform: Platform,
) -> bool {
	let Some((_, theirs, theirs_platform)) = sealed_answer::<T>(audited) else { return false };
	if job.spec.tolerance.is_exact_between(theirs_platform == platform) {
		return false;
	}
	if theirs.output_hash == own.output_hash {
		return false;
	}
	compare::<T>(job_id, job, auditor, own, alloc::vec![theirs])
		.is_some_and(|verdicts| verdicts == [PeerAgreement::Agrees])
}

/// Compares and attests, for `account`, every watched job whose answers differ by hash; stops
/// watching the jobs that closed.
pub(crate) fn attest_agreements<T: Config>(
	account: &T::AccountId,
	signer: &Signer<T, T::AuthorityId, frame_system::offchain::ForAny>,
	now: BlockNumberFor<T>,
) {
	let jobs = watched(account);
	if jobs.is_empty() {
		return;
	}
	let mut kept = Vec::with_capacity(jobs.len());
	for job_id in jobs {
		let Some(job) = Jobs::<T>::get(job_id).filter(|job| job.status.is_live()) else {
			continue;
		};
		kept.push(job_id);
		attest_job::<T>(job_id, &job, account, signer, now);
	}
	set_watched(account, &kept);
}

/// Compares `account`'s answer to live sealed job `job_id` with the others of its phase (and,
/// as a referee, with the providers' it judges), and attests the agreeing ones when that
/// differs from what it attested on chain.
fn attest_job<T: Config>(
	job_id: JobId,
	job: &JobOf<T>,
	account: &T::AccountId,
	signer: &Signer<T, T::AuthorityId, frame_system::offchain::ForAny>,
	now: BlockNumberFor<T>,
) {
	let disputed = job.status == JobStatus::Disputed;
	let phase: &[AssignmentOf<T>] = if disputed { &job.referees } else { &job.assigned };
	let judged: &[AssignmentOf<T>] = if disputed { &job.assigned } else { &[] };
	let Some((_, own, own_platform)) =
		phase.iter().find(|a| a.provider == *account).and_then(sealed_answer::<T>)
	else {
		return;
	};
	let peers: Vec<(T::AccountId, SealedAnswer, Platform)> = phase
		.iter()
		.chain(judged)
		.filter(|a| a.provider != *account)
		.filter_map(sealed_answer::<T>)
		.collect();
	if peers.iter().all(|(_, peer, _)| peer.output_hash == own.output_hash) {
		// Equal hashes agree without attestations.
		return;
	}
	// Answers held to bit-exact agreement (an exact job, the same platform) are decided by
	// their hashes; the others are compared under the floor on the native side.
	let exact =
		|platform: &Platform| job.spec.tolerance.is_exact_between(*platform == own_platform);
	let compared: Vec<SealedAnswer> = peers
		.iter()
		.filter(|(_, _, platform)| !exact(platform))
		.map(|(_, answer, _)| answer.clone())
		.collect();
	let mut verdicts = match compared.is_empty() {
		true => Vec::new(),
		false => match compare::<T>(job_id, job, account, own.clone(), compared) {
			Some(verdicts) => verdicts,
			None => return,
		},
	}
	.into_iter();
	if verdicts.as_slice().contains(&PeerAgreement::Pending) {
		// A peer's outputs are being fetched: the next block compares again.
		return;
	}
	let agreeing: Vec<T::AccountId> = peers
		.into_iter()
		.filter_map(|(party, answer, platform)| {
			let agrees = match exact(&platform) {
				true => answer.output_hash == own.output_hash,
				false => verdicts.next() == Some(PeerAgreement::Agrees),
			};
			agrees.then_some(party)
		})
		.collect();
	let Ok(agreeing) = BoundedVec::try_from(agreeing) else { return };
	if AgreementAttestations::<T>::get(job_id, account).as_ref() == Some(&agreeing) {
		return;
	}
	let claim = (ATTEST_CLAIM_PREFIX, job_id, account, &agreeing).encode();
	if !take_slot::<T>(&claim, now) {
		return;
	}
	let count = agreeing.len();
	match signer.send_signed_transaction(|_| Call::attest_agreement {
		job: job_id,
		agreeing: agreeing.clone(),
	}) {
		Some((_, Ok(()))) => log::info!(
			target: LOG_TARGET,
			"job {job_id}: attested that {count} other answers agree within the tolerance"
		),
		_ => log::warn!(target: LOG_TARGET, "job {job_id}: could not attest agreement"),
	}
}
