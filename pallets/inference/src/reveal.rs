//! The offchain worker's side of commit, then reveal (see [`crate::commit`]): a provider's
//! receipt for a redundant job (or a referee's for its dispute) is kept in the node's
//! persistent offchain storage while only its commitment goes on chain, and is sent once the
//! phase's reveal phase opens. A receipt for a one-provider job goes on chain at once.

use super::*;
use crate::worker::{take_slot, LOG_TARGET};
use alloc::vec::Vec;
use cairn_inference::{Commitment, TensorSetHash};
use codec::{Decode, Encode};
use frame_system::{
	offchain::{SendSignedTransaction, Signer},
	pallet_prelude::BlockNumberFor,
};
use sp_runtime::offchain::StorageKind;

/// Prefix of the persistent offchain storage key of the jobs whose receipts a provider
/// committed to and has yet to reveal.
pub const PENDING_PREFIX: &[u8] = b"cairn::inference::reveal-pending::";

/// Prefix of the persistent offchain storage keys of the receipts kept for their reveal.
pub const KEPT_RECEIPT_PREFIX: &[u8] = b"cairn::inference::reveal-receipt::";

/// Prefix of the persistent offchain storage keys of claims of reveals.
pub const REVEAL_CLAIM_PREFIX: &[u8] = b"cairn::inference::reveal-claim::";

/// The most jobs with a kept receipt per provider; the oldest is dropped beyond it.
pub const MAX_PENDING: usize = 256;

/// What a receipt commits to besides its job and party.
pub(crate) struct Committed {
	/// The output hash.
	pub output_hash: TensorSetHash,
	/// The checkpoint commitment.
	pub checkpoints: Commitment,
	/// The salt.
	pub salt: CommitmentSalt,
}

/// A fresh secret salt for a receipt's commitment, from the node's randomness.
pub(crate) fn fresh_salt() -> CommitmentSalt {
	sp_io::offchain::random_seed()
}

/// The storage key of `account`'s pending reveals.
fn pending_key<AccountId: Encode>(account: &AccountId) -> Vec<u8> {
	(PENDING_PREFIX, account).encode()
}

/// The storage key of `account`'s kept receipt for `job`.
fn kept_key<AccountId: Encode>(job: JobId, account: &AccountId) -> Vec<u8> {
	(KEPT_RECEIPT_PREFIX, job, account).encode()
}

/// The jobs `account` has a kept receipt for.
fn pending<AccountId: Encode>(account: &AccountId) -> Vec<JobId> {
	sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, &pending_key(account))
		.and_then(|bytes| Vec::<JobId>::decode(&mut &bytes[..]).ok())
		.unwrap_or_default()
}

/// Writes `account`'s pending reveals.
fn set_pending<AccountId: Encode>(account: &AccountId, jobs: &[JobId]) {
	sp_io::offchain::local_storage_set(
		StorageKind::PERSISTENT,
		&pending_key(account),
		&jobs.encode(),
	);
}

/// Sends `account`'s receipt `call` for job `job_id`, which commits to `committed`: at once for
/// a one-provider job; for a redundant job, keeps the call for its reveal and sends the
/// commitment instead. Whether the transaction was sent.
pub(crate) fn answer<T: Config>(
	job_id: JobId,
	job: &JobOf<T>,
	account: &T::AccountId,
	signer: &Signer<T, T::AuthorityId, frame_system::offchain::ForAny>,
	call: Call<T>,
	committed: Committed,
) -> bool {
	if !Pallet::<T>::commits(job) {
		return matches!(signer.send_signed_transaction(|_| call.clone()), Some((_, Ok(()))));
	}
	let digest = receipt_commitment(
		job_id,
		account,
		&committed.output_hash,
		&committed.checkpoints,
		&committed.salt,
	);
	sp_io::offchain::local_storage_set(
		StorageKind::PERSISTENT,
		&kept_key(job_id, account),
		&call.encode(),
	);
	let mut jobs = pending(account);
	if !jobs.contains(&job_id) {
		jobs.push(job_id);
		for dropped in jobs.drain(..jobs.len().saturating_sub(MAX_PENDING)) {
			sp_io::offchain::local_storage_clear(
				StorageKind::PERSISTENT,
				&kept_key(dropped, account),
			);
		}
		set_pending(account, &jobs);
	}
	let sent = signer.send_signed_transaction(|_| Call::commit_receipt { job: job_id, digest });
	match sent {
		Some((_, Ok(()))) => {
			log::info!(target: LOG_TARGET, "job {job_id}: committed to the receipt");
			true
		},
		_ => false,
	}
}

/// Whether `account` has committed to a receipt in job `job_id`'s current phase.
pub(crate) fn has_committed<T: Config>(job_id: JobId, account: &T::AccountId) -> bool {
	ReceiptCommitments::<T>::contains_key(job_id, account)
}

/// Reveals `account`'s kept receipts whose job's reveal phase is open; forgets those whose job
/// closed, whose receipt is in, whose phase moved on (a dispute's referees answer now), or whose
/// commitment missed the phase's commitments.
pub(crate) fn reveal_pending<T: Config>(
	account: &T::AccountId,
	signer: &Signer<T, T::AuthorityId, frame_system::offchain::ForAny>,
	now: BlockNumberFor<T>,
) {
	let jobs = pending(account);
	if jobs.is_empty() {
		return;
	}
	let mut kept = Vec::with_capacity(jobs.len());
	for job_id in jobs {
		let answering = Jobs::<T>::get(job_id).is_some_and(|job| {
			job.status.is_live()
				&& Pallet::<T>::phase_of(&job)
					.iter()
					.any(|a| a.provider == *account && a.receipt.is_none())
		});
		let open = Pallet::<T>::reveal_open(job_id);
		// A commitment not on chain by the time the reveal phase opens never will be.
		if !answering || (open && !has_committed::<T>(job_id, account)) {
			sp_io::offchain::local_storage_clear(
				StorageKind::PERSISTENT,
				&kept_key(job_id, account),
			);
			continue;
		}
		kept.push(job_id);
		if !open {
			continue;
		}
		let claim = (REVEAL_CLAIM_PREFIX, job_id, account).encode();
		let call =
			sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, &kept_key(job_id, account))
				.and_then(|bytes| Call::<T>::decode(&mut &bytes[..]).ok());
		let Some(call) = call else {
			log::warn!(target: LOG_TARGET, "job {job_id}: the committed receipt is lost");
			continue;
		};
		if !take_slot::<T>(&claim, now) {
			continue;
		}
		match signer.send_signed_transaction(|_| call.clone()) {
			Some((_, Ok(()))) => {
				log::info!(target: LOG_TARGET, "job {job_id}: receipt revealed")
			},
			_ => log::warn!(target: LOG_TARGET, "job {job_id}: could not reveal the receipt"),
		}
	}
	set_pending(account, &kept);
}
