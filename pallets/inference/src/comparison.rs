//! Agreement of sealed outputs that differ by hash.
//!
//! A sealed job's outputs are off chain, so the chain cannot compare two providers' outputs
//! that differ by hash. Every party granted the job's content key can: each party seals its
//! outputs under a key derived from the content key for its account (`OutputKeyContext`), so
//! the holders of the content key, who could compute the outputs themselves, open each other's.
//! Each answering party attests which others agree with its own under the agreement rule
//! (`cairn_inference::answers_agree`: the job's tolerance raised to each element type's floor,
//! except bit-exact between answers of an exact job computed on the same platform)
//! ([`Pallet::attest_agreement`]); two providers agree when each attested the other, and in a
//! dispute the referees' majority judges the providers by its attestation alone. Attestations
//! never make two answers agree where the rule asks for bit-exact agreement.
//!
//! When a sealed job reaches its deadline with two or more answers, no
//! majority and attestations missing, it gets an agreement window of `AgreementWindow` blocks
//! before it settles or opens a dispute; its dispute gets one of its own before it resolves.
//! Once every answering party has attested, the job settles at once (or at the next block).

use super::*;
use crate::functions::DEADLINE_TRIES;
use alloc::vec::Vec;
use frame_support::{ensure, pallet_prelude::*};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_model_provenance::ModelInspect;
use sp_runtime::traits::{One, Saturating};

impl<T: Config> Pallet<T> {
	/// The parties whose sealed outputs `who` attested agree with its own in job `job`.
	pub(crate) fn attested(job: JobId, who: &T::AccountId) -> Vec<T::AccountId> {
		AgreementAttestations::<T>::get(job, who).map(|a| a.into_inner()).unwrap_or_default()
	}

	/// Whether `job` compares outputs that differ by hash by attestations: it has a sealed
	/// input. (An exact job does too: its answers from different platforms are held to the
	/// floor.)
	fn compares_by_attestation(job_id: JobId) -> bool {
		SealedInputs::<T>::contains_key(job_id)
	}

	/// Whether the answers of `job`'s current phase (with the providers a dispute's referees
	/// judge) that differ by hash may still agree by attestation: the job is sealed, and its
	/// tolerance is not exact or the answers name more than one platform (execution provider
	/// and runtime build). Otherwise their hashes decide at once.
	pub(crate) fn attestable(job_id: JobId, job: &JobOf<T>) -> bool {
		if !Self::compares_by_attestation(job_id) {
			return false;
		}
		if job.spec.tolerance != cairn_inference::Tolerance::EXACT {
			return true;
		}
		let judged: &[AssignmentOf<T>] =
			if job.status == JobStatus::Disputed { &job.assigned } else { &[] };
		let mut platforms = Self::phase_of(job)
			.iter()
			.chain(judged)
			.filter_map(|a| a.receipt)
			.filter_map(Receipts::<T>::get)
			.map(|r| (r.execution_provider, r.runtime_version));
		let first = platforms.next();
		platforms.any(|platform| Some(platform) != first)
	}

	/// How many attestations settling `job` reads: one per provider of a sealed job, none
	/// otherwise.
	pub(crate) fn attestations_read(job_id: JobId, job: &JobOf<T>) -> u32 {
		match Self::compares_by_attestation(job_id) {
			true => job.assigned.len() as u32,
			false => 0,
		}
	}

	/// The weight of [`Pallet::attest_agreement`] over `k` parties, settling the job with
	/// royalties over `lineage` when given.
	pub(crate) fn attestation_weight(k: u32, lineage: Option<(u32, u32)>) -> Weight {
		T::WeightInfo::attest_agreement(k.clamp(1, MAX_REDUNDANCY))
			.saturating_add(Self::lineage_weight(lineage))
	}

	/// Records `who`'s attestation that `agreeing` parties' sealed outputs of job `job_id`
	/// agree with its own; settles the job when that completes a majority of its providers,
	/// or brings its deadline forward when every answering party has attested. Returns the
	/// weight used.
	///
	/// # Errors
	/// [`Error::UnknownJob`], [`Error::JobClosed`], [`Error::NotSealed`],
	/// [`Error::NotAnswered`] and [`Error::InvalidAttestation`].
	pub(crate) fn do_attest_agreement(
		who: T::AccountId,
		job_id: JobId,
		agreeing: BoundedVec<T::AccountId, ConstU32<MAX_KEY_GRANTS>>,
	) -> Result<Weight, DispatchError> {
		let mut job = Jobs::<T>::get(job_id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(job.status.is_live(), Error::<T>::JobClosed);
		ensure!(SealedInputs::<T>::contains_key(job_id), Error::<T>::NotSealed);
		let disputed = job.status == JobStatus::Disputed;
		let phase = Self::phase_of(&job);
		ensure!(
			phase.iter().any(|a| a.provider == who && a.receipt.is_some()),
			Error::<T>::NotAnswered
		);
		// A referee judges the providers too.
		let judged: &[AssignmentOf<T>] = if disputed { &job.assigned } else { &[] };
		let answered = |party: &T::AccountId| {
			phase.iter().chain(judged).any(|a| a.provider == *party && a.receipt.is_some())
		};
		for (position, party) in agreeing.iter().enumerate() {
			ensure!(
				*party != who && !agreeing[..position].contains(party) && answered(party),
				Error::<T>::InvalidAttestation
			);
		}
		AgreementAttestations::<T>::insert(job_id, &who, &agreeing);
		Self::deposit_event(Event::AgreementAttested { job: job_id, party: who, agreeing });
		let k = phase.len() as u32;
		let complete = phase.iter().all(|a| Self::has_answered(job_id, a, true));
		if !complete {
			return Ok(Self::attestation_weight(k, None));
		}
		if !disputed {
			if let Some(majority) = Self::majority(job_id, &job.assigned, &job.spec) {
				let lineage = T::Models::lineage_size(job.model);
				Deadlines::<T>::mutate(job.deadline_at, |jobs| jobs.retain(|j| *j != job_id));
				Self::settle_with_majority(job_id, job, majority);
				return Ok(Self::attestation_weight(k, Some(lineage))
					.saturating_add(T::OnJobSettled::weight()));
			}
		}
		let all_attested = Self::phase_of(&job)
			.iter()
			.filter(|a| a.receipt.is_some())
			.all(|a| AgreementAttestations::<T>::contains_key(job_id, &a.provider));
		if all_attested {
			let now = frame_system::Pallet::<T>::block_number();
			Self::bring_forward(job_id, &mut job, now);
			Jobs::<T>::insert(job_id, job);
		}
		Ok(Self::attestation_weight(k, None))
	}

	/// Gives the parties of `job`'s current phase the agreement window, once per phase: when
	/// the job is sealed, has answers to compare in the phase (two of
	/// its providers', or one of its referees', who judge the providers) and some answering
	/// party has not attested yet. Moves its deadline to the window's end and returns the
	/// answers to compare; `None` when no window opens (the job then settles or resolves as it
	/// is).
	pub(crate) fn open_agreement_window(job_id: JobId, job: &mut JobOf<T>) -> Option<u32> {
		let needed: usize = if job.status == JobStatus::Disputed { 1 } else { 2 };
		let answered: Vec<T::AccountId> = Self::phase_of(job)
			.iter()
			.filter(|a| a.receipt.is_some())
			.map(|a| a.provider.clone())
			.collect();
		if answered.len() < needed
			|| !Self::attestable(job_id, job)
			|| AgreementWindows::<T>::contains_key(job_id)
			|| answered.iter().all(|party| AgreementAttestations::<T>::contains_key(job_id, party))
		{
			return None;
		}
		let now = frame_system::Pallet::<T>::block_number();
		let until = now.saturating_add(T::AgreementWindow::get().max(One::one()));
		let (deadline, _) = Self::schedule_deadline(job_id, until, DEADLINE_TRIES)?;
		job.deadline_at = deadline;
		AgreementWindows::<T>::insert(job_id, deadline);
		Jobs::<T>::insert(job_id, &*job);
		Self::deposit_event(Event::AgreementWindowOpened { job: job_id, until: deadline });
		Some(answered.len() as u32)
	}

	/// The block at which the agreement window of job `job_id`'s current phase closes, if one
	/// is open or was given.
	pub fn agreement_window(job_id: JobId) -> Option<BlockNumberFor<T>> {
		AgreementWindows::<T>::get(job_id)
	}
}
