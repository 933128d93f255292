//! Sealed jobs: inputs and outputs off chain, encrypted end to end (see `docs/privacy.md`).
//!
//! A sealed request names the input blob by hash and size, the plaintext's hash and the
//! requester's key for the outputs. Only providers with an encryption key are assigned; each is
//! granted the content key at its key's epoch, and the requester delivers the key wrapped to
//! each grant with `deliver_keys`. A provider runs the job off chain and answers with a sealed
//! receipt, or reports why it cannot. A provider that never got its key is compensated at
//! settlement. The blob quota is the deposit behind what an account keeps in a node's blob store.

use super::*;
use alloc::vec::Vec;
use cairn_inference::seal::{
	is_valid_public_key, BlobHash, BlobLocation, KeyEnvelope, KeyRole, SealedInput, SealedOutput,
	UnusableReason, MAX_SEALED_INPUT_BYTES,
};

/// The most jobs naming a blob whose requesters' sources [`Pallet::blob_sources`] reads.
pub const MAX_SOURCE_JOBS: usize = 4;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_compute_registry::{ProviderJobs, ProviderKeys};
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchError,
};

impl<T: Config> Pallet<T> {
	/// Checks a sealed input: a usable output key and a blob of 1 to `MAX_SEALED_INPUT_BYTES`.
	///
	/// # Errors
	/// [`Error::InvalidOutputKey`] and [`Error::InvalidSealedBlob`].
	pub(crate) fn check_sealed_input(input: &SealedInput) -> DispatchResult {
		ensure!(is_valid_public_key(&input.output_key), Error::<T>::InvalidOutputKey);
		ensure!(
			(1..=MAX_SEALED_INPUT_BYTES).contains(&input.blob.size_bytes),
			Error::<T>::InvalidSealedBlob
		);
		Ok(())
	}

	/// The most bytes a sealed job with room for `receipts` receipts stores besides its record:
	/// its sealed input and agreement window, and per receipt a key grant, a sealed output, a
	/// report and an agreement attestation; each blob with its use.
	pub(crate) fn sealed_storage_bytes(receipts: u32) -> u32 {
		let blob_use = BlobHash::max_encoded_len() + JobId::max_encoded_len();
		let per_receipt = KeyGrant::<BlockNumberFor<T>>::max_encoded_len()
			+ SealedOutput::max_encoded_len()
			+ UnusableReason::max_encoded_len()
			+ BoundedVec::<T::AccountId, ConstU32<MAX_KEY_GRANTS>>::max_encoded_len()
			+ blob_use;
		let window = BlockNumberFor::<T>::max_encoded_len();
		((SealedInput::max_encoded_len() + blob_use + window) as u32)
			.saturating_add((per_receipt as u32).saturating_mul(receipts))
	}

	/// Whether an unpruned job names the sealed blob `blob` (as input or as a receipt's
	/// outputs): a node keeps it while one does.
	pub fn blob_in_use(blob: &BlobHash) -> bool {
		BlobUses::<T>::iter_key_prefix(blob).next().is_some()
	}

	/// Grants `party` the content key of sealed job `job` as `role`, at its current encryption
	/// key.
	///
	/// # Errors
	/// [`Error::NoKeyGrant`] when the party has no encryption key.
	pub(crate) fn grant_key(
		job: JobId,
		party: &T::AccountId,
		role: KeyRole,
		now: BlockNumberFor<T>,
	) -> DispatchResult {
		let (key, epoch) = T::Providers::encryption_key(party).ok_or(Error::<T>::NoKeyGrant)?;
		KeyGrants::<T>::insert(
			job,
			party,
			KeyGrant { key, epoch, role, envelope: None, granted_at: now },
		);
		Ok(())
	}

	/// How a job ends for `party`, assigned to it, that submitted no receipt: it reported the
	/// input unusable, or its content key was never delivered (a sealed job), or it missed.
	pub(crate) fn silent(job: JobId, party: &T::AccountId) -> ProviderResult {
		if UnusableReports::<T>::contains_key(job, party) {
			return ProviderResult::ReportedUnusable;
		}
		match KeyGrants::<T>::get(job, party) {
			Some(grant) if grant.envelope.is_none() => ProviderResult::Withheld,
			_ => ProviderResult::Missed,
		}
	}

	/// Whether `assignment` of job `job` has answered: a receipt, or for a `sealed` job a report
	/// that it cannot run it.
	pub(crate) fn has_answered(job: JobId, assignment: &AssignmentOf<T>, sealed: bool) -> bool {
		assignment.receipt.is_some()
			|| (sealed && UnusableReports::<T>::contains_key(job, &assignment.provider))
	}

	/// Removes what a sealed job keeps besides its record and receipts' outputs (at pruning).
	pub(crate) fn forget_sealed(job: JobId) {
		if let Some(input) = SealedInputs::<T>::take(job) {
			BlobUses::<T>::remove(input.blob.sha256, job);
			let limit = MAX_KEY_GRANTS.saturating_add(1);
			let _ = KeyGrants::<T>::clear_prefix(job, limit, None);
			let _ = UnusableReports::<T>::clear_prefix(job, limit, None);
			let _ = AgreementAttestations::<T>::clear_prefix(job, limit, None);
			AgreementWindows::<T>::remove(job);
		}
	}

	/// Delivers `envelopes` of sealed job `job` from `who`, its requester, while the job or its
	/// audit is live.
	///
	/// # Errors
	/// [`Error::UnknownJob`], [`Error::JobClosed`], [`Error::NotRequester`],
	/// [`Error::NotSealed`], [`Error::NoKeyGrant`] and [`Error::KeyAlreadyDelivered`].
	pub(crate) fn do_deliver_keys(
		who: &T::AccountId,
		job: JobId,
		envelopes: BoundedVec<(T::AccountId, KeyEnvelope), ConstU32<MAX_KEY_GRANTS>>,
	) -> DispatchResult {
		let record = Jobs::<T>::get(job).ok_or(Error::<T>::UnknownJob)?;
		// An audit's auditor and referee are granted the key after the job completed.
		ensure!(
			record.status.is_live() || Audits::<T>::get(job).is_some_and(|audit| audit.is_live()),
			Error::<T>::JobClosed
		);
		ensure!(record.requester == *who, Error::<T>::NotRequester);
		ensure!(SealedInputs::<T>::contains_key(job), Error::<T>::NotSealed);
		let mut recipients = BoundedVec::new();
		for (party, envelope) in envelopes {
			KeyGrants::<T>::try_mutate(job, &party, |grant| {
				let grant = grant.as_mut().ok_or(Error::<T>::NoKeyGrant)?;
				ensure!(grant.envelope.is_none(), Error::<T>::KeyAlreadyDelivered);
				grant.envelope = Some(envelope);
				Ok::<_, DispatchError>(())
			})?;
			// At most as many as the bound of `envelopes`.
			let _ = recipients.try_push(party);
		}
		Self::deposit_event(Event::KeysDelivered { job, recipients });
		Ok(())
	}

	/// Records `who`'s report that it cannot run sealed job `job`.
	///
	/// # Errors
	/// [`Error::UnknownJob`], [`Error::JobClosed`], [`Error::NotSealed`],
	/// [`Error::NotAssigned`], [`Error::DuplicateReceipt`] and [`Error::KeyNotDelivered`].
	pub(crate) fn do_report_unusable(
		who: &T::AccountId,
		job_id: JobId,
		reason: UnusableReason,
	) -> DispatchResult {
		let mut job = Jobs::<T>::get(job_id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(job.status.is_live(), Error::<T>::JobClosed);
		ensure!(SealedInputs::<T>::contains_key(job_id), Error::<T>::NotSealed);
		let assignments: &[AssignmentOf<T>] = match job.status {
			JobStatus::Disputed => &job.referees,
			_ => &job.assigned,
		};
		let assignment =
			assignments.iter().find(|a| a.provider == *who).ok_or(Error::<T>::NotAssigned)?;
		ensure!(
			assignment.receipt.is_none() && !UnusableReports::<T>::contains_key(job_id, who),
			Error::<T>::DuplicateReceipt
		);
		let grant = KeyGrants::<T>::get(job_id, who).ok_or(Error::<T>::NoKeyGrant)?;
		ensure!(grant.envelope.is_some(), Error::<T>::KeyNotDelivered);
		UnusableReports::<T>::insert(job_id, who, reason);
		let complete = assignments.iter().all(|a| Self::has_answered(job_id, a, true));
		AssignedJobs::<T>::remove(who, job_id);
		let _ = T::Providers::heartbeat(who);
		Self::deposit_event(Event::InputUnusable { job: job_id, provider: who.clone(), reason });
		if complete {
			let now = frame_system::Pallet::<T>::block_number();
			Self::bring_forward(job_id, &mut job, now);
			Jobs::<T>::insert(job_id, job);
		}
		Ok(())
	}

	/// The deposit of one blob source: its record and keys at `JobDepositPerByte`.
	pub fn blob_source_deposit() -> BalanceOf<T> {
		use sp_runtime::traits::SaturatedConversion;
		let bytes = BlobSource::<BalanceOf<T>>::max_encoded_len()
			+ BlobHash::max_encoded_len()
			+ T::AccountId::max_encoded_len();
		T::JobDepositPerByte::get().saturating_mul((bytes as u64).saturated_into())
	}

	/// Registers `location` as `who`'s source of `blob` (replacing its earlier one), or removes
	/// it, holding or releasing the deposit.
	///
	/// # Errors
	/// [`Error::InvalidBlobSource`], [`Error::NoBlobSource`] and
	/// [`Error::CannotHoldSourceDeposit`].
	pub(crate) fn do_set_blob_source(
		who: &T::AccountId,
		blob: BlobHash,
		location: Option<BlobLocation>,
	) -> DispatchResult {
		let reason: T::RuntimeHoldReason = HoldReason::BlobSource.into();
		let existing = BlobSources::<T>::get(blob, who);
		let deposit = match &location {
			Some(location) => {
				ensure!(location.is_valid(), Error::<T>::InvalidBlobSource);
				let deposit = match &existing {
					Some(source) => source.deposit,
					None => {
						let deposit = Self::blob_source_deposit();
						T::Currency::hold(&reason, who, deposit)
							.map_err(|_| Error::<T>::CannotHoldSourceDeposit)?;
						deposit
					},
				};
				BlobSources::<T>::insert(
					blob,
					who,
					BlobSource { location: location.clone(), deposit },
				);
				deposit
			},
			None => {
				let source = existing.ok_or(Error::<T>::NoBlobSource)?;
				T::Currency::release(&reason, who, source.deposit, Precision::BestEffort)?;
				BlobSources::<T>::remove(blob, who);
				Zero::zero()
			},
		};
		Self::deposit_event(Event::BlobSourceSet { blob, account: who.clone(), location, deposit });
		Ok(())
	}

	/// Where blob `blob` can be fetched besides nodes' blob stores: the sources registered by
	/// the requesters of the first [`MAX_SOURCE_JOBS`] unpruned jobs that name it.
	pub fn blob_sources(blob: &BlobHash) -> Vec<BlobLocation> {
		let mut locations: Vec<BlobLocation> = Vec::new();
		for job in BlobUses::<T>::iter_key_prefix(blob).take(MAX_SOURCE_JOBS) {
			let Some(record) = Jobs::<T>::get(job) else { continue };
			if let Some(source) = BlobSources::<T>::get(blob, &record.requester) {
				if !locations.contains(&source.location) {
					locations.push(source.location);
				}
			}
		}
		locations
	}

	/// Sets the blob quota of `who` to `bytes`, holding or releasing the difference of deposit.
	///
	/// # Errors
	/// [`Error::BlobQuotaTooLarge`] and [`Error::CannotHoldQuotaDeposit`].
	pub(crate) fn do_set_blob_quota(who: &T::AccountId, bytes: u64) -> DispatchResult {
		use sp_runtime::traits::SaturatedConversion;
		ensure!(bytes <= T::MaxBlobQuota::get(), Error::<T>::BlobQuotaTooLarge);
		let reason: T::RuntimeHoldReason = HoldReason::BlobQuota.into();
		let deposit =
			T::JobDepositPerByte::get().saturating_mul(bytes.saturated_into::<BalanceOf<T>>());
		let held = BlobQuotas::<T>::get(who).map_or_else(Zero::zero, |quota| quota.deposit);
		if deposit > held {
			T::Currency::hold(&reason, who, deposit.saturating_sub(held))
				.map_err(|_| Error::<T>::CannotHoldQuotaDeposit)?;
		} else if held > deposit {
			T::Currency::release(&reason, who, held.saturating_sub(deposit), Precision::Exact)?;
		}
		if bytes == 0 {
			BlobQuotas::<T>::remove(who);
		} else {
			BlobQuotas::<T>::insert(who, BlobQuota { bytes, deposit });
		}
		Self::deposit_event(Event::BlobQuotaSet { account: who.clone(), bytes, deposit });
		Ok(())
	}

	/// The blob quota of `who` in bytes (zero when it has none).
	pub fn blob_quota(who: &T::AccountId) -> u64 {
		BlobQuotas::<T>::get(who).map_or(0, |quota| quota.bytes)
	}
}
