//! Settlement: at a job's deadline, its answers are compared under the job's tolerance; a
//! majority is paid with royalties, the rest slashed or counted missing; with no majority a
//! dispute's referees re-run the job and decide.

use super::*;
use crate::functions::DEADLINE_TRIES;
use alloc::vec::Vec;
use cairn_inference::{
	answers_agree, seal::KeyRole, ExecutionProvider, RuntimeVersion, TensorSet, TensorSetHash,
};
use frame_support::{
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use pallet_compute_registry::{JobOutcome, ProviderJobs, ProviderSlash, SlashReason};
use pallet_model_provenance::ModelInspect;
use sp_runtime::traits::{One, Saturating, Zero};

/// An answer of a job, as settlement compares it.
pub(crate) struct Answer<AccountId> {
	/// The index of its assignment.
	pub index: usize,
	/// Its output hash.
	pub hash: TensorSetHash,
	/// Its decoded outputs; `None` when sealed (off chain).
	pub outputs: Option<TensorSet>,
	/// The answering party.
	pub party: AccountId,
	/// The execution provider and runtime build its receipt names.
	pub platform: (ExecutionProvider, RuntimeVersion),
	/// The parties whose sealed outputs this party attested agree with its own (read only for
	/// sealed jobs).
	pub attested: Vec<AccountId>,
}

impl<AccountId: PartialEq> Answer<AccountId> {
	/// Whether this answer agrees with `other` by the agreement rule
	/// ([`cairn_inference::answers_agree`]): equal hashes, inline outputs within the job's
	/// tolerance raised to the floor (bit for bit for an exact job on one platform), or sealed
	/// outputs each party attested agree with its own (never where bit-exact agreement holds).
	fn agrees_with<B, N>(&self, other: &Self, spec: &JobSpec<B, N>) -> bool {
		self.hash == other.hash
			|| match (&self.outputs, &other.outputs) {
				(Some(a), Some(b)) => {
					answers_agree(a, b, &spec.tolerance, self.platform == other.platform).is_ok()
				},
				_ => {
					!self.held_exact_with(other, spec)
						&& self.attested.contains(&other.party)
						&& other.attested.contains(&self.party)
				},
			}
	}

	/// Whether this answer, a dispute's reference (its referees' majority), judges `other`
	/// right: as [`Self::agrees_with`], except that for sealed outputs the reference's
	/// attestation alone decides.
	fn judges_right<B, N>(&self, other: &Self, spec: &JobSpec<B, N>) -> bool {
		self.hash == other.hash
			|| match (&self.outputs, &other.outputs) {
				(Some(a), Some(b)) => {
					answers_agree(a, b, &spec.tolerance, self.platform == other.platform).is_ok()
				},
				_ => !self.held_exact_with(other, spec) && self.attested.contains(&other.party),
			}
	}

	/// Whether this answer and `other` must agree bit for bit: the job asks for it and both
	/// were computed on the same platform.
	fn held_exact_with<B, N>(&self, other: &Self, spec: &JobSpec<B, N>) -> bool {
		spec.tolerance.is_exact_between(self.platform == other.platform)
	}
}

/// What settling a due job did, for the hook's weight.
pub(crate) enum SettleStep {
	/// The job was settled, reading this many sealed parties' agreement attestations.
	Settled {
		/// Attestations read (the assigned providers of a sealed job with a float tolerance).
		attestations_read: u32,
	},
	/// The committed parties of a redundant job's phase were given the reveal window.
	RevealWindowOpened {
		/// The parties of the phase.
		parties: u32,
	},
	/// A sealed job's parties were given the agreement window to compare their outputs.
	AgreementWindowOpened {
		/// The answers of its current phase.
		compared: u32,
	},
	/// Referees were looked for among this many providers: a dispute was opened, or the job
	/// ended unresolved.
	RefereesSought {
		/// Providers scanned for referees.
		scanned: u32,
	},
	/// A dispute was resolved.
	DisputeResolved,
	/// The job was no longer live.
	Nothing,
}

/// How a job ends for one provider or referee.
struct Verdict {
	/// The result.
	result: ProviderResult,
	/// Whether its job slot is still reserved (freed now).
	release_slot: bool,
}

impl Verdict {
	/// A result for a provider still holding its slot.
	fn settled(result: ProviderResult) -> Self {
		Verdict { result, release_slot: true }
	}
}

impl<T: Config> Pallet<T> {
	/// Takes the next step of job `job_id` at its deadline: settles an open job (or opens its
	/// dispute), resolves a dispute.
	pub(crate) fn settle_due(job_id: JobId) -> SettleStep {
		match Jobs::<T>::get(job_id) {
			Some(mut job) if job.status.is_live() => {
				if let Some(parties) = Self::open_reveal_window(job_id, &mut job) {
					return SettleStep::RevealWindowOpened { parties };
				}
				if job.status == JobStatus::Open {
					return Self::settle(job_id, job);
				}
				if let Some(compared) = Self::open_agreement_window(job_id, &mut job) {
					return SettleStep::AgreementWindowOpened { compared };
				}
				Self::resolve_dispute(job_id, job);
				SettleStep::DisputeResolved
			},
			_ => SettleStep::Nothing,
		}
	}

	/// The answers of job `job_id` among `assignments`, with the attestations of sealed
	/// answers when `attestations` is asked for.
	fn answers(
		job_id: JobId,
		assignments: &[AssignmentOf<T>],
		attestations: bool,
	) -> Vec<Answer<T::AccountId>> {
		assignments
			.iter()
			.enumerate()
			.filter_map(|(index, a)| {
				let receipt_id = a.receipt?;
				let receipt = Receipts::<T>::get(receipt_id)?;
				let outputs = match ReceiptOutputs::<T>::get(receipt_id) {
					Some(outputs) => Some(TensorSet::decode_canonical(&outputs).ok()?),
					None => None,
				};
				let attested = match (&outputs, attestations) {
					(None, true) => Self::attested(job_id, &a.provider),
					_ => Vec::new(),
				};
				Some(Answer {
					index,
					hash: receipt.output_hash,
					outputs,
					party: a.provider.clone(),
					platform: (receipt.execution_provider, receipt.runtime_version),
					attested,
				})
			})
			.collect()
	}

	/// The first answer that more than half of `of` answers agree with under `spec`'s tolerance:
	/// the indexes agreeing with it and its position in `answers`.
	fn agreeing_majority(
		answers: &[Answer<T::AccountId>],
		of: u32,
		spec: &JobSpecOf<T>,
	) -> Option<(Vec<usize>, usize)> {
		let needed = of / 2 + 1;
		answers.iter().enumerate().find_map(|(position, answer)| {
			let agreeing: Vec<usize> = answers
				.iter()
				.filter(|other| answer.agrees_with(other, spec))
				.map(|other| other.index)
				.collect();
			(agreeing.len() as u32 >= needed).then_some((agreeing, position))
		})
	}

	/// The assigned providers of job `job_id` whose receipts form the majority: more than half
	/// of the redundancy agreeing under the job's tolerance, and the majority's output hash.
	/// Each receipt's outputs are decoded once.
	pub(crate) fn majority(
		job_id: JobId,
		assigned: &[AssignmentOf<T>],
		spec: &JobSpecOf<T>,
	) -> Option<(Vec<usize>, TensorSetHash)> {
		let answers = Self::answers(job_id, assigned, true);
		Self::agreeing_majority(&answers, spec.redundancy, spec)
			.map(|(agreeing, position)| (agreeing, answers[position].hash))
	}

	/// Settles an open job at its deadline: pays a majority, expires a job nobody answered, and
	/// otherwise opens a dispute (or, when none can be opened, ends it unresolved).
	pub(crate) fn settle(job_id: JobId, job: JobOf<T>) -> SettleStep {
		let attestations_read = Self::attestations_read(job_id, &job);
		if let Some(majority) = Self::majority(job_id, &job.assigned, &job.spec) {
			Self::settle_with_majority(job_id, job, majority);
			return SettleStep::Settled { attestations_read };
		}
		if job.assigned.iter().all(|a| a.receipt.is_none()) {
			let verdicts =
				Self::without_decision(job_id, &job.assigned, ProviderResult::Undecided, true);
			let has = |result| verdicts.iter().any(|v| v.result == result);
			let status = if has(ProviderResult::Withheld) {
				JobStatus::Withheld
			} else if has(ProviderResult::ReportedUnusable) {
				JobStatus::Unusable
			} else {
				JobStatus::Expired
			};
			Self::finalize(job_id, job, &verdicts, &[], None, status);
			return SettleStep::Settled { attestations_read };
		}
		let mut job = job;
		if let Some(compared) = Self::open_agreement_window(job_id, &mut job) {
			return SettleStep::AgreementWindowOpened { compared };
		}
		let scanned = Self::open_dispute(job_id, &mut job).unwrap_or_else(|scanned| {
			let verdicts =
				Self::without_decision(job_id, &job.assigned, ProviderResult::Paid, true);
			Self::finalize(job_id, job, &verdicts, &[], None, JobStatus::Unresolved);
			scanned
		});
		SettleStep::RefereesSought { scanned }
	}

	/// The verdicts where nothing decided between the answers: [`Self::silent`] for those
	/// without a receipt, `answered` for the others (`Paid` for providers nobody could judge,
	/// since the work was done and withholding a judgement must not let the requester off;
	/// `Undecided` for referees without a majority); `release_slot` for those whose slot is
	/// still reserved.
	fn without_decision(
		job_id: JobId,
		assignments: &[AssignmentOf<T>],
		answered: ProviderResult,
		release_slot: bool,
	) -> Vec<Verdict> {
		assignments
			.iter()
			.map(|a| Verdict {
				result: match a.receipt {
					None => Self::silent(job_id, &a.provider),
					Some(_) => answered,
				},
				release_slot,
			})
			.collect()
	}

	/// Settles `job` with its `majority`: the agreeing paid, the others slashed or missed.
	pub(crate) fn settle_with_majority(
		job_id: JobId,
		job: JobOf<T>,
		(winners, output_hash): (Vec<usize>, TensorSetHash),
	) {
		let verdicts: Vec<Verdict> = job
			.assigned
			.iter()
			.enumerate()
			.map(|(index, a)| {
				Verdict::settled(match a.receipt {
					None => Self::silent(job_id, &a.provider),
					Some(_) if winners.contains(&index) => ProviderResult::Paid,
					Some(_) => ProviderResult::Outvoted,
				})
			})
			.collect();
		Self::finalize(job_id, job, &verdicts, &[], Some(output_hash), JobStatus::Completed);
	}

	/// The number of referees a dispute assigns.
	pub(crate) fn referee_count() -> u32 {
		T::DisputeReferees::get().clamp(1, MAX_REFEREES)
	}

	/// Assigns CPU referees to `job`, which got receipts but no majority: distinct from its
	/// providers, chosen by the assignment rule (salted `cairn/referee`, seeded by the parent
	/// hash of the dispute's block, unknown at request time), priced so that the fee ceiling
	/// covers every provider's and referee's price and the royalties on them. Frees the assigned
	/// providers' slots (their outcomes are recorded at resolution) and stores the job. Returns
	/// the providers scanned; on failure (with `job` and storage unchanged) as the error.
	fn open_dispute(job_id: JobId, job: &mut JobOf<T>) -> Result<u32, u32> {
		let count = Self::referee_count();
		let sealed = SealedInputs::<T>::contains_key(job_id);
		let quote =
			job.assigned.iter().fold(BalanceOf::<T>::zero(), |sum, a| sum.saturating_add(a.price));
		let royalties = Self::total(&Self::royalty_shares(job.model, quote));
		let spare = job.spec.max_fee.saturating_sub(quote).saturating_sub(royalties);
		let share = spare / BalanceOf::<T>::from(count);
		let memory_mib = Self::memory_mib(job.model);
		let opset = T::Models::interface(job.model).map(|i| i.opset).unwrap_or_default();
		let exclude: Vec<T::AccountId> = job.assigned.iter().map(|a| a.provider.clone()).collect();
		let (chosen, scanned) = Self::choose(
			b"cairn/referee",
			job_id,
			ExecutionProvider::Cpu,
			memory_mib,
			opset,
			share,
			count,
			&exclude,
			sealed,
		);
		let Some(chosen) = chosen else { return Err(scanned) };
		let total = chosen.iter().fold(quote, |sum, (_, price)| sum.saturating_add(*price));
		if total.saturating_add(Self::total(&Self::royalty_shares(job.model, total)))
			> job.spec.max_fee
		{
			return Err(scanned);
		}
		let now = frame_system::Pallet::<T>::block_number();
		let first = now.saturating_add(T::DisputePeriod::get().max(One::one()));
		let Some((deadline, _)) = Self::schedule_deadline(job_id, first, DEADLINE_TRIES) else {
			return Err(scanned);
		};
		for (index, (referee, _)) in chosen.iter().enumerate() {
			if T::Providers::reserve_job_slot(referee).is_err() {
				for (reserved, _) in chosen.iter().take(index) {
					let _ = T::Providers::release_job_slot(reserved);
				}
				Deadlines::<T>::mutate(deadline, |jobs| jobs.retain(|j| *j != job_id));
				return Err(scanned);
			}
		}
		for assignment in job.assigned.iter() {
			let _ = T::Providers::release_job_slot(&assignment.provider);
			AssignedJobs::<T>::remove(&assignment.provider, job_id);
		}
		let mut referees = BoundedVec::new();
		if sealed {
			// The referees get an agreement window of their own.
			AgreementWindows::<T>::remove(job_id);
		}
		for (provider, price) in chosen {
			AssignedJobs::<T>::insert(&provider, job_id, ());
			if sealed {
				// Chosen for its key: the grant cannot fail.
				let _ = Self::grant_key(job_id, &provider, KeyRole::Referee, now);
			}
			let _ = referees.try_push(provider.clone());
			let _ = job.referees.try_push(Assignment { provider, price, receipt: None });
		}
		// The referees commit afresh.
		Self::forget_commitments(job_id);
		job.status = JobStatus::Disputed;
		job.deadline_at = deadline;
		Self::deposit_event(Event::DisputeOpened { job: job_id, referees, deadline });
		Jobs::<T>::insert(job_id, &*job);
		Ok(scanned)
	}

	/// Resolves a dispute with its referees' answers. When more than half of the referees agree,
	/// their result is the reference: providers and referees agreeing with it are paid, those
	/// disagreeing slashed, those silent marked missed, and the job completes with the
	/// reference's output hash. Otherwise the job ends unresolved and is refunded.
	pub(crate) fn resolve_dispute(job_id: JobId, job: JobOf<T>) {
		let referee_answers = Self::answers(job_id, &job.referees, true);
		let reference =
			Self::agreeing_majority(&referee_answers, job.referees.len() as u32, &job.spec);
		let Some((referee_winners, position)) = reference else {
			// The providers' slots were freed when the dispute opened; the referees' are held.
			let providers =
				Self::without_decision(job_id, &job.assigned, ProviderResult::Paid, false);
			let referees =
				Self::without_decision(job_id, &job.referees, ProviderResult::Undecided, true);
			Self::finalize(job_id, job, &providers, &referees, None, JobStatus::Unresolved);
			return;
		};
		let reference = &referee_answers[position];
		let provider_answers = Self::answers(job_id, &job.assigned, false);
		let providers: Vec<Verdict> = (0..job.assigned.len())
			.map(|index| Verdict {
				result: match provider_answers.iter().find(|answer| answer.index == index) {
					None => Self::silent(job_id, &job.assigned[index].provider),
					Some(answer) if reference.judges_right(answer, &job.spec) => {
						ProviderResult::Paid
					},
					Some(_) => ProviderResult::DisputeLost,
				},
				release_slot: false,
			})
			.collect();
		let referees: Vec<Verdict> = job
			.referees
			.iter()
			.enumerate()
			.map(|(index, a)| Verdict {
				result: match a.receipt {
					None => Self::silent(job_id, &a.provider),
					Some(_) if referee_winners.contains(&index) => ProviderResult::Paid,
					Some(_) => ProviderResult::Outvoted,
				},
				release_slot: true,
			})
			.collect();
		let output_hash = reference.hash;
		Self::finalize(job_id, job, &providers, &referees, Some(output_hash), JobStatus::Completed);
	}

	/// Ends a job: applies each provider's and referee's verdict (pay, slash to the audit pot,
	/// record the outcome, free the slot), pays the royalties on what providers were paid, refunds the
	/// rest of the hold. held = paid + royalties + refunded.
	fn finalize(
		job_id: JobId,
		mut job: JobOf<T>,
		providers: &[Verdict],
		referees: &[Verdict],
		output_hash: Option<TensorSetHash>,
		status: JobStatus,
	) {
		let reason: T::RuntimeHoldReason = HoldReason::JobFee.into();
		let mut paid = BalanceOf::<T>::zero();
		// Compensation for withheld keys pays no royalties: the model did not run.
		let mut compensated = BalanceOf::<T>::zero();
		// Silence is slashed only where someone answered: a job nobody could run (a model that
		// does not load, an input it refuses) slashes nobody.
		let answered = job.receipts().next().is_some();
		let pot = Self::audit_pot();
		let pairs = job.assigned.iter().zip(providers).chain(job.referees.iter().zip(referees));
		for (assignment, verdict) in pairs {
			let provider = &assignment.provider;
			if verdict.release_slot {
				let _ = T::Providers::release_job_slot(provider);
			}
			AssignedJobs::<T>::remove(provider, job_id);
			let outcome = match verdict.result {
				ProviderResult::Paid => {
					if Self::pay(&reason, &job.requester, provider, assignment.price) {
						paid = paid.saturating_add(assignment.price);
						Self::deposit_event(Event::ProviderPaid {
							job: job_id,
							provider: provider.clone(),
							amount: assignment.price,
						});
					}
					Some(JobOutcome::Completed)
				},
				ProviderResult::Outvoted | ProviderResult::DisputeLost => {
					let (reason, outcome) = match verdict.result {
						ProviderResult::DisputeLost => {
							(SlashReason::DisputeLost, JobOutcome::DisputeLost)
						},
						_ => (SlashReason::WrongResult, JobOutcome::Failed),
					};
					// To the pot, never to the requester, who could cause it.
					let slashed = T::Providers::slash(
						provider,
						T::WrongResultSlash::get(),
						Some(&pot),
						reason,
					)
					.unwrap_or_default();
					Self::deposit_event(Event::ProviderOutvoted {
						job: job_id,
						provider: provider.clone(),
						slashed,
					});
					Some(outcome)
				},
				ProviderResult::Missed => {
					if answered {
						Self::slash_missed(job_id, provider);
					}
					Some(JobOutcome::Missed)
				},
				ProviderResult::Withheld => {
					if Self::pay(&reason, &job.requester, provider, assignment.price) {
						compensated = compensated.saturating_add(assignment.price);
						Self::deposit_event(Event::ProviderCompensated {
							job: job_id,
							provider: provider.clone(),
							amount: assignment.price,
						});
					}
					None
				},
				ProviderResult::Undecided | ProviderResult::ReportedUnusable => None,
			};
			if let Some(outcome) = outcome {
				let _ = T::Providers::record_outcome(provider, outcome);
			}
		}
		let royalties_paid = Self::pay_royalties(job_id, &job.requester, job.model, paid);
		let (audit_fee, audited) = match (status, &job.assigned[..], providers) {
			(
				JobStatus::Completed,
				[Assignment { provider, receipt: Some(receipt), price }],
				[Verdict { result: ProviderResult::Paid, .. }],
			) if job.referees.is_empty() => {
				Self::queue_audit(job_id, &job.requester, provider, *receipt, *price)
			},
			_ => (Zero::zero(), false),
		};
		let paid = paid.saturating_add(compensated);
		let refunded = job
			.fee_held
			.saturating_sub(paid)
			.saturating_sub(royalties_paid)
			.saturating_sub(audit_fee);
		let _ = T::Currency::release(&reason, &job.requester, refunded, Precision::BestEffort);
		job.status = status;
		job.settled_at = Some(frame_system::Pallet::<T>::block_number());
		if !audited {
			// An audited job keeps its input until its audit closes.
			JobInputs::<T>::remove(job_id);
		}
		Self::deposit_event(Event::JobSettled {
			job: job_id,
			status,
			output_hash,
			paid,
			royalties: royalties_paid,
			refunded,
		});
		job.fee_held = Zero::zero();
		Self::forget_commitments(job_id);
		T::OnJobSettled::on_job_settled(job_id, &job.requester, refunded);
		Jobs::<T>::insert(job_id, job);
	}

	/// Slashes `party`, silent through a deadline of job `job_id` that others met,
	/// `MissedDeadlineSlash` to the audit pot.
	pub(crate) fn slash_missed(job_id: JobId, party: &T::AccountId) {
		let slashed = T::Providers::slash(
			party,
			T::MissedDeadlineSlash::get(),
			Some(&Self::audit_pot()),
			SlashReason::MissedDeadline,
		)
		.unwrap_or_default();
		Self::deposit_event(Event::SilenceSlashed { job: job_id, party: party.clone(), slashed });
	}
}
