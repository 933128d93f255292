//! The pallet's invariants, checked after every test and by `try-runtime`.

use super::*;
use frame_support::ensure;
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// Checks the pallet's invariants: held fees equal those of live jobs and held deposits
	/// those of unpruned jobs; settled jobs hold no fee and keep no input; assignments and
	/// deadlines index exactly the live jobs' providers (referees, in dispute) yet to answer;
	/// receipt commitments and reveal phases belong to the current phase of live redundant jobs.
	#[cfg(any(test, feature = "try-runtime"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::BTreeMap;
		use frame_support::traits::fungible::InspectHold;
		let mut fees: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (id, job) in Jobs::<T>::iter() {
			let deposit = deposits.entry(job.requester.clone()).or_default();
			*deposit = deposit.saturating_add(job.deposit);
			if job.status.is_live() {
				let fee = fees.entry(job.requester.clone()).or_default();
				*fee = fee.saturating_add(job.fee_held);
				ensure!(
					Deadlines::<T>::get(job.deadline_at).contains(&id),
					"live job without deadline"
				);
				ensure!(
					JobInputs::<T>::contains_key(id) != SealedInputs::<T>::contains_key(id),
					"a live job has one input, inline or sealed"
				);
				let disputed = job.status == JobStatus::Disputed;
				for a in job.assigned.iter() {
					let waiting = !disputed && a.receipt.is_none();
					ensure!(
						waiting == AssignedJobs::<T>::contains_key(&a.provider, id),
						"assignment index disagrees"
					);
				}
				for a in job.referees.iter() {
					ensure!(
						a.receipt.is_none() == AssignedJobs::<T>::contains_key(&a.provider, id),
						"referee index disagrees"
					);
				}
				ensure!(disputed != job.referees.is_empty(), "referees outside a dispute");
			} else {
				ensure!(job.fee_held.is_zero(), "settled job holds a fee");
				ensure!(job.settled_at.is_some(), "settled job without its block");
				let audited = Audits::<T>::get(id).is_some_and(|audit| audit.is_live());
				// A sealed job's input is off chain; its description stays until pruning.
				let sealed = SealedInputs::<T>::contains_key(id);
				ensure!(
					(audited && !sealed) == JobInputs::<T>::contains_key(id),
					"a settled job keeps its inline input exactly while it is audited"
				);
			}
		}
		for (who, amount) in fees {
			let on_hold = T::Currency::balance_on_hold(&HoldReason::JobFee.into(), &who);
			ensure!(on_hold == amount, "held fees disagree with live jobs");
		}
		for (who, amount) in deposits {
			let on_hold = T::Currency::balance_on_hold(&HoldReason::JobDeposit.into(), &who);
			ensure!(on_hold == amount, "held deposits disagree with unpruned jobs");
		}
		for (job, _, grant) in KeyGrants::<T>::iter() {
			ensure!(
				SealedInputs::<T>::contains_key(job),
				"a key grant of a job that is not sealed"
			);
			ensure!(Jobs::<T>::contains_key(job), "a key grant of a pruned job");
			ensure!(
				grant.role != cairn_inference::seal::KeyRole::Requester,
				"a key grant to a requester"
			);
		}
		for (_, job, ()) in BlobUses::<T>::iter() {
			ensure!(SealedInputs::<T>::contains_key(job), "a blob use of a job that is not sealed");
		}
		for (job, _, _) in UnusableReports::<T>::iter() {
			ensure!(SealedInputs::<T>::contains_key(job), "a report on a job that is not sealed");
		}
		for (job_id, party, _) in ReceiptCommitments::<T>::iter() {
			let job = Jobs::<T>::get(job_id).ok_or("a commitment of a pruned job")?;
			ensure!(job.status.is_live() && Self::commits(&job), "a commitment outside a phase");
			ensure!(
				Self::phase_of(&job).iter().any(|a| a.provider == party),
				"a commitment of a party outside the job's current phase"
			);
		}
		for (job_id, _) in PendingDraws::<T>::iter() {
			ensure!(
				Audits::<T>::get(job_id).is_some_and(|a| a.stage == AuditStage::AwaitingDraw),
				"a pending draw of an audit that is not awaiting its draw"
			);
		}
		for (job_id, _) in RevealPhases::<T>::iter() {
			ensure!(
				Jobs::<T>::get(job_id).is_some_and(|job| job.status.is_live()),
				"a reveal phase of a job that is not live"
			);
		}
		for (who, quota) in BlobQuotas::<T>::iter() {
			let on_hold = T::Currency::balance_on_hold(&HoldReason::BlobQuota.into(), &who);
			ensure!(on_hold == quota.deposit, "a blob quota's deposit disagrees with its hold");
			ensure!(quota.bytes > 0, "a blob quota of zero bytes kept in storage");
		}
		Ok(())
	}
}
