//! Commit, then reveal: the receipts of a redundant job (`k > 1`) and of its dispute's referees.
//!
//! A receipt's outputs are public once submitted (inline on chain; a sealed receipt's hash, and
//! its blob to every holder of the content key), so a party of a redundant job could wait for
//! another's receipt and copy it instead of running the model. In each phase of such a job (its
//! providers, then its dispute's referees) every party first commits to its receipt
//! ([`Pallet::commit_receipt`]: a digest bound to the party and salted, see
//! [`receipt_commitment`]), and reveals it (the ordinary receipt calls with the salt) only once
//! the phase's **reveal phase** is open: when every party of the phase has committed (or
//! answered otherwise: a report that a sealed input is unusable), or when its deadline passed
//! with commitments unrevealed, which gives the committed parties a reveal window of
//! `RevealWindow` blocks. A receipt that does not match its commitment is refused; a commitment
//! never revealed counts as silence (a miss). Copying becomes useless: by the time anything of
//! the phase is visible, every answer in it is fixed.
//!
//! Single-provider jobs answer directly: there is nobody to copy from within the job.

use super::*;
use crate::functions::DEADLINE_TRIES;
use frame_support::{ensure, pallet_prelude::*};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_compute_registry::ProviderJobs;
use sp_runtime::traits::{One, Saturating};

impl<T: Config> Pallet<T> {
	/// Whether `job`'s receipts are committed before they are revealed: it has more than one
	/// provider.
	pub fn commits(job: &JobOf<T>) -> bool {
		job.spec.redundancy > 1
	}

	/// The parties of `job`'s current phase: its referees during a dispute, its providers
	/// otherwise.
	pub(crate) fn phase_of(job: &JobOf<T>) -> &[AssignmentOf<T>] {
		match job.status {
			JobStatus::Disputed => &job.referees,
			_ => &job.assigned,
		}
	}

	/// Whether the reveal phase of job `job_id`'s current phase is open.
	pub fn reveal_open(job_id: JobId) -> bool {
		RevealPhases::<T>::contains_key(job_id)
	}

	/// Records `who`'s commitment `digest` to its receipt for redundant job `job_id`; opens the
	/// reveal phase when it is the phase's last. Returns the parties of the phase (what the
	/// call's weight is charged for).
	///
	/// # Errors
	/// [`Error::UnknownJob`], [`Error::JobClosed`], [`Error::NothingToCommit`],
	/// [`Error::InDispute`], [`Error::NotAssigned`], [`Error::DuplicateReceipt`],
	/// [`Error::AlreadyCommitted`] and [`Error::RevealPhaseOpen`].
	pub(crate) fn do_commit_receipt(
		who: T::AccountId,
		job_id: JobId,
		digest: CommitmentDigest,
	) -> Result<u32, DispatchError> {
		let mut job = Jobs::<T>::get(job_id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(job.status.is_live(), Error::<T>::JobClosed);
		ensure!(Self::commits(&job), Error::<T>::NothingToCommit);
		if job.status == JobStatus::Disputed {
			ensure!(!job.assigned.iter().any(|a| a.provider == who), Error::<T>::InDispute);
		}
		let assignment = Self::phase_of(&job)
			.iter()
			.find(|a| a.provider == who)
			.ok_or(Error::<T>::NotAssigned)?;
		ensure!(assignment.receipt.is_none(), Error::<T>::DuplicateReceipt);
		ensure!(!ReceiptCommitments::<T>::contains_key(job_id, &who), Error::<T>::AlreadyCommitted);
		ensure!(!Self::reveal_open(job_id), Error::<T>::RevealPhaseOpen);
		let now = frame_system::Pallet::<T>::block_number();
		ReceiptCommitments::<T>::insert(
			job_id,
			&who,
			ReceiptCommitment { digest, committed_at: now },
		);
		// Committing is a sign of life.
		let _ = T::Providers::heartbeat(&who);
		Self::deposit_event(Event::ReceiptCommitted { job: job_id, party: who });
		let sealed = SealedInputs::<T>::contains_key(job_id);
		let all_committed = Self::phase_of(&job).iter().all(|a| {
			ReceiptCommitments::<T>::contains_key(job_id, &a.provider)
				|| Self::has_answered(job_id, a, sealed)
		});
		// With no block in reach to move the deadline to, the phase stays in commitment and its
		// deadline opens the window.
		let parties = Self::phase_of(&job).len() as u32;
		if all_committed && Self::open_reveal_phase(job_id, &mut job, now) {
			Jobs::<T>::insert(job_id, job);
		}
		Ok(parties)
	}

	/// Opens the reveal phase of `job`'s current phase at `now`, with at least `RevealWindow`
	/// blocks left before its deadline (moved later when it is nearer, and a later block has
	/// room). Does not store `job`. Whether the deadline leaves the window.
	fn open_reveal_phase(job_id: JobId, job: &mut JobOf<T>, now: BlockNumberFor<T>) -> bool {
		let until = now.saturating_add(T::RevealWindow::get().max(One::one()));
		if job.deadline_at < until {
			let Some((deadline, _)) = Self::schedule_deadline(job_id, until, DEADLINE_TRIES) else {
				return false;
			};
			Deadlines::<T>::mutate(job.deadline_at, |jobs| jobs.retain(|j| *j != job_id));
			job.deadline_at = deadline;
		}
		RevealPhases::<T>::insert(job_id, now);
		Self::deposit_event(Event::RevealPhaseOpened { job: job_id, until: job.deadline_at });
		true
	}

	/// At the deadline of `job`'s current phase: opens its reveal window when the job commits,
	/// its reveal phase is not open yet and a committed party has not revealed. Stores `job` and
	/// returns the parties of the phase when it opened; `None` otherwise (the phase then settles
	/// or resolves as it is, as it does when no block in reach has room for the window).
	pub(crate) fn open_reveal_window(job_id: JobId, job: &mut JobOf<T>) -> Option<u32> {
		if !Self::commits(job) || Self::reveal_open(job_id) {
			return None;
		}
		let pending = Self::phase_of(job).iter().any(|a| {
			a.receipt.is_none() && ReceiptCommitments::<T>::contains_key(job_id, &a.provider)
		});
		let now = frame_system::Pallet::<T>::block_number();
		if !pending || !Self::open_reveal_phase(job_id, job, now) {
			return None;
		}
		Jobs::<T>::insert(job_id, &*job);
		Some(Self::phase_of(job).len() as u32)
	}

	/// Removes the commitments and the reveal phase of `job_id`'s current phase (when it
	/// settles, or its dispute opens a phase of its own).
	pub(crate) fn forget_commitments(job_id: JobId) {
		let _ = ReceiptCommitments::<T>::clear_prefix(job_id, MAX_KEY_GRANTS + 1, None);
		RevealPhases::<T>::remove(job_id);
	}
}
