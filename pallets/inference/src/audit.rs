//! Sampled audits of single-provider jobs and dispute bisection down to one segment of the
//! model's graph (see `docs/verification.md`).
//!
//! A job run by one provider (`k = 1`) pays `AuditFee` into the audit pot when it completes, and
//! the block after draws, from its parent hash (fixed only once the receipt is in), whether it is
//! audited (probability `AuditRate`). An audited job is re-run by an auditor: another eligible
//! provider on the same execution provider. Outputs agreeing under the job's tolerance pay the
//! auditor `AuditReward` from the pot. Otherwise both parties reveal the leaves of their
//! checkpoint commitments, the chain finds the first leaf they disagree on, and a referee (a
//! third provider) re-runs only the segment of the graph that produces it, from the agreed
//! checkpoint before it (posted on chain, checked against the agreed leaf) or the job's input.
//! The party the referee disagrees with loses `AuditSlash` of its bond; a party that lets a
//! deadline pass loses.
//!
//! A sealed job (`docs/privacy.md`) is audited without a tensor on chain: its auditor and
//! referee are chosen among providers with encryption keys and granted the content key, which
//! the requester delivers; the auditor answers with hashes (agreement is equal output hashes),
//! no segment input is posted, and the referee runs the model from the opened input. A key
//! never delivered closes the audit `KeyWithheld`, nobody blamed.

use super::*;
use alloc::vec::Vec;
use cairn_inference::{
	answers_agree,
	checkpoints::{first_divergence, Leaves, MAX_LEAVES},
	seal::KeyRole,
	Commitment, ExecutionProvider, RuntimeVersion, TensorSet, TensorSetHash,
};
use codec::Encode;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, Mutate, MutateHold},
		tokens::{Fortitude, Precision, Preservation, Restriction},
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_compute_registry::{JobOutcome, ProviderJobs, ProviderSlash, SlashReason};
use pallet_model_provenance::ModelInspect;
use sp_runtime::{
	traits::{AccountIdConversion, One, Saturating, Zero},
	DispatchError,
};

/// Consecutive blocks tried for an audit step when its block is full.
const STEP_TRIES: u32 = 4;

/// An audit of a runtime.
pub type AuditOf<T> = Audit<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

/// What one audit step at a deadline did, for the hook's weight.
pub(crate) enum AuditStep {
	/// The draw left the job unaudited.
	NotDrawn,
	/// The job was drawn and an auditor sought among this many providers.
	AuditorSought {
		/// Providers scanned.
		scanned: u32,
	},
	/// A stage's deadline passed and closed the audit.
	TimedOut,
	/// There was nothing to do.
	Nothing,
}

/// What an auditor's result carries of its outputs.
pub(crate) enum AuditOutputs {
	/// The canonical encoded outputs of a plain job, compared on chain.
	Inline(EncodedOutputs),
	/// A sealed job's: only the hash is on chain.
	Sealed {
		/// The auditor opened the receipt's sealed outputs and found them agreeing with its own
		/// under the job's float tolerance (they differ by hash).
		within_tolerance: bool,
	},
}

impl<T: Config> Pallet<T> {
	/// The account of the audit pot: audit fees in, auditor and referee rewards out.
	pub fn audit_pot() -> T::AccountId {
		T::AuditPotId::get().into_account_truncating()
	}

	/// Whether single-provider jobs are audited (`AuditRate` above zero).
	pub fn audits_on() -> bool {
		!T::AuditRate::get().is_zero()
	}

	/// The highest price a provider takes a single-provider job at while audits are on:
	/// `AuditRate × AuditSlash`, the expected loss of a provider that skips the work. A provider
	/// saves at most its price by cheating, so below this cap honest execution is its best
	/// strategy (`docs/verification.md`).
	pub fn audited_price_cap() -> Option<BalanceOf<T>> {
		Self::audits_on().then(|| T::AuditRate::get() * T::AuditSlash::get())
	}

	/// What the auditor of a job whose provider was paid `price` earns from the pot when the
	/// audit passes or it wins the dispute: the job's price (an audit is the job's work again,
	/// so any provider that would take the job at its price can audit it), and at least
	/// `AuditReward`.
	pub fn auditor_reward(price: BalanceOf<T>) -> BalanceOf<T> {
		T::AuditReward::get().max(price)
	}

	/// What the deciding referee of the audit of a job priced `price` earns: the job's price,
	/// and at least `RefereeReward`.
	pub fn referee_reward(price: BalanceOf<T>) -> BalanceOf<T> {
		T::RefereeReward::get().max(price)
	}

	/// The audit fee of a single-provider job whose provider is paid `price`: what the pot
	/// takes in so that, at `AuditRate`, it pays the auditor and a referee of every audit
	/// (`AuditRate × (auditor reward + referee reward)`, rounded up), and at least `AuditFee`.
	pub fn audit_fee(price: BalanceOf<T>) -> BalanceOf<T> {
		let rewards = Self::auditor_reward(price).saturating_add(Self::referee_reward(price));
		T::AuditFee::get().max(T::AuditRate::get().mul_ceil(rewards))
	}

	/// The price the provider of job `job_id` was assigned at (its first provider's).
	fn price_of(job_id: JobId) -> BalanceOf<T> {
		Jobs::<T>::get(job_id)
			.and_then(|job| job.assigned.first().map(|a| a.price))
			.unwrap_or_default()
	}

	/// Puts `job_id` into the first of [`STEP_TRIES`] consecutive blocks from `at` with room in
	/// [`AuditDeadlines`]; the block, or `None` when all are full.
	fn schedule_audit_step(job_id: JobId, at: BlockNumberFor<T>) -> Option<BlockNumberFor<T>> {
		Self::push_to_first_with_room::<AuditDeadlines<T>, _>(job_id, at, STEP_TRIES)
			.map(|(block, _)| block)
	}

	/// Removes `job_id` from the audit steps of block `at`.
	fn unschedule_audit_step(job_id: JobId, at: BlockNumberFor<T>) {
		AuditDeadlines::<T>::mutate(at, |jobs| jobs.retain(|j| *j != job_id));
	}

	/// Queues the audit draw of single-provider job `job_id`, completed now by `provider`'s
	/// `receipt` at `price`, and charges its audit fee ([`Self::audit_fee`]) from the
	/// requester's held fee into the pot. Returns the fee charged and whether the job's input is
	/// kept for the audit.
	pub(crate) fn queue_audit(
		job_id: JobId,
		requester: &T::AccountId,
		provider: &T::AccountId,
		receipt: ReceiptId,
		price: BalanceOf<T>,
	) -> (BalanceOf<T>, bool) {
		if !Self::audits_on() {
			return (Zero::zero(), false);
		}
		let now = frame_system::Pallet::<T>::block_number();
		// This block's draws come from this block's settlements only, fewer than the queue holds
		// (see `integrity_test`): the first block tried has room.
		let queued = Self::push_to_first_with_room::<AuditDraws<T>, _>(job_id, now, STEP_TRIES);
		let Some((at, _)) = queued else {
			Self::deposit_event(Event::AuditSkipped {
				job: job_id,
				reason: AuditSkipReason::QueueFull,
			});
			return (Zero::zero(), false);
		};
		Audits::<T>::insert(
			job_id,
			Audit {
				provider: provider.clone(),
				receipt,
				auditor: None,
				answer: None,
				divergence: None,
				stage: AuditStage::AwaitingDraw,
				deadline: at,
			},
		);
		let reason: T::RuntimeHoldReason = HoldReason::JobFee.into();
		let fee = Self::audit_fee(price);
		let charged = T::Currency::transfer_on_hold(
			&reason,
			requester,
			&Self::audit_pot(),
			fee,
			Precision::Exact,
			Restriction::Free,
			Fortitude::Polite,
		)
		.map(|_| fee)
		.unwrap_or_default();
		if !charged.is_zero() {
			Self::deposit_event(Event::AuditFeeCharged { job: job_id, amount: charged });
		}
		PendingDraws::<T>::insert(job_id, PendingDraw { fee: charged, deferrals: 0 });
		(charged, true)
	}

	/// Whether the draw of `job_id` seeded by `seed` audits it: the first four bytes of
	/// `blake2_256("cairn/audit" ‖ seed ‖ job)` as a fraction of 2³² below `AuditRate`.
	pub fn is_drawn(seed: &T::Hash, job_id: JobId) -> bool {
		let mut preimage = b"cairn/audit".to_vec();
		(seed, job_id).encode_to(&mut preimage);
		let score = sp_io::hashing::blake2_256(&preimage);
		let value = u32::from_le_bytes([score[0], score[1], score[2], score[3]]);
		u64::from(value) < T::AuditRate::get().mul_floor(1u64 << 32)
	}

	/// Takes the step of the audit of `job_id` whose block was the previous one: its draw, or
	/// the end of a stage whose deadline passed.
	pub(crate) fn step_audit(job_id: JobId) -> AuditStep {
		let Some(audit) = Audits::<T>::get(job_id) else { return AuditStep::Nothing };
		match audit.stage {
			AuditStage::AwaitingDraw => {
				// A deferred audit was drawn already: it only looks for its auditor again.
				let deferred =
					PendingDraws::<T>::get(job_id).is_some_and(|pending| pending.deferrals > 0);
				if !deferred {
					if !Self::is_drawn(&frame_system::Pallet::<T>::parent_hash(), job_id) {
						Self::drop_undrawn(job_id);
						return AuditStep::NotDrawn;
					}
					Self::deposit_event(Event::AuditDrawn { job: job_id, audited: true });
				}
				AuditStep::AuditorSought { scanned: Self::open_audit(job_id, audit) }
			},
			AuditStage::Auditing => {
				let verdict = match &audit.auditor {
					Some(auditor) if Self::key_withheld(job_id, auditor) => {
						AuditVerdict::KeyWithheld
					},
					_ => AuditVerdict::AuditorMissed,
				};
				Self::close_audit(job_id, audit, verdict);
				AuditStep::TimedOut
			},
			AuditStage::Revealing => {
				let provider = RevealedLeaves::<T>::contains_key(job_id, AuditParty::Provider);
				let auditor = RevealedLeaves::<T>::contains_key(job_id, AuditParty::Auditor);
				let verdict = match (provider, auditor) {
					(false, true) => AuditVerdict::ProviderCaught,
					(true, false) => AuditVerdict::AuditorCaught,
					_ => AuditVerdict::Unresolved,
				};
				Self::close_audit(job_id, audit, verdict);
				AuditStep::TimedOut
			},
			AuditStage::Refereeing { .. } => {
				Self::close_audit(job_id, audit, AuditVerdict::Unresolved);
				AuditStep::TimedOut
			},
			AuditStage::Closed(_) => AuditStep::Nothing,
		}
	}

	/// Ends the audit of `job_id`, which the draw left unaudited: its record and the job's
	/// input are removed; the fee stays in the pot (the draw it paid for was made).
	pub(crate) fn drop_undrawn(job_id: JobId) {
		PendingDraws::<T>::remove(job_id);
		Audits::<T>::remove(job_id);
		JobInputs::<T>::remove(job_id);
		Self::deposit_event(Event::AuditDrawn { job: job_id, audited: false });
	}

	/// Assigns the auditor of drawn `job_id`: another provider eligible for the job and priced
	/// at most [`Self::auditor_reward`], chosen by the assignment rule salted `cairn/auditor`
	/// (seeded by this block's parent hash). Without one, or without room for its deadline, the
	/// search is deferred ([`Self::defer_audit`]). Returns the providers scanned.
	pub(crate) fn open_audit(job_id: JobId, mut audit: AuditOf<T>) -> u32 {
		let Some(job) = Jobs::<T>::get(job_id) else {
			Self::give_up_audit(job_id, AuditSkipReason::NoAuditor);
			return 0;
		};
		let price = job.assigned.first().map(|a| a.price).unwrap_or_default();
		let (auditor, scanned) = Self::choose_one(
			b"cairn/auditor",
			job_id,
			&job,
			Self::auditor_reward(price),
			&[audit.provider.clone()],
		);
		let Some(auditor) = auditor else {
			Self::defer_audit(job_id, audit, AuditSkipReason::NoAuditor);
			return scanned;
		};
		let now = frame_system::Pallet::<T>::block_number();
		let Some(deadline) = Self::schedule_audit_step(
			job_id,
			now.saturating_add(Self::period(T::AuditPeriod::get())),
		) else {
			let _ = T::Providers::release_job_slot(&auditor);
			Self::defer_audit(job_id, audit, AuditSkipReason::QueueFull);
			return scanned;
		};
		PendingDraws::<T>::remove(job_id);
		if SealedInputs::<T>::contains_key(job_id) {
			// Chosen for its key: the grant cannot fail.
			let _ = Self::grant_key(job_id, &auditor, KeyRole::Auditor, now);
		}
		AuditTasks::<T>::insert(&auditor, job_id, ());
		audit.auditor = Some(auditor.clone());
		audit.stage = AuditStage::Auditing;
		audit.deadline = deadline;
		Self::deposit_event(Event::AuditOpened {
			job: job_id,
			provider: audit.provider.clone(),
			auditor,
			deadline,
		});
		Audits::<T>::insert(job_id, audit);
		scanned
	}

	/// Looks for the auditor of drawn `audit` of `job_id` again at the next block with room for
	/// its step, up to [`MAX_AUDIT_DEFERRALS`] times; then gives it up for `reason`.
	fn defer_audit(job_id: JobId, mut audit: AuditOf<T>, reason: AuditSkipReason) {
		let mut pending = PendingDraws::<T>::get(job_id)
			.unwrap_or(PendingDraw { fee: Zero::zero(), deferrals: 0 });
		if pending.deferrals < MAX_AUDIT_DEFERRALS {
			// A step of this block is taken at the start of the next.
			let now = frame_system::Pallet::<T>::block_number();
			if let Some(at) = Self::schedule_audit_step(job_id, now) {
				pending.deferrals = pending.deferrals.saturating_add(1);
				PendingDraws::<T>::insert(job_id, pending);
				audit.deadline = at;
				Audits::<T>::insert(job_id, audit);
				Self::deposit_event(Event::AuditDeferred { job: job_id, at });
				return;
			}
		}
		Self::give_up_audit(job_id, reason);
	}

	/// Gives up the drawn audit of `job_id` for `reason`: its record and the job's input are
	/// removed, and its fee is refunded from the pot to the requester (the draw it paid for
	/// could not be served).
	fn give_up_audit(job_id: JobId, reason: AuditSkipReason) {
		Audits::<T>::remove(job_id);
		JobInputs::<T>::remove(job_id);
		Self::deposit_event(Event::AuditSkipped { job: job_id, reason });
		let Some(pending) = PendingDraws::<T>::take(job_id) else { return };
		let Some(requester) = Jobs::<T>::get(job_id).map(|job| job.requester) else { return };
		let pot = Self::audit_pot();
		let available =
			T::Currency::reducible_balance(&pot, Preservation::Preserve, Fortitude::Polite);
		let amount = pending.fee.min(available);
		if !amount.is_zero()
			&& T::Currency::transfer(&pot, &requester, amount, Preservation::Preserve).is_ok()
		{
			Self::deposit_event(Event::AuditFeeRefunded { job: job_id, amount });
		}
	}

	/// Whether `party` was granted the content key of sealed job `job_id` and never got it.
	fn key_withheld(job_id: JobId, party: &T::AccountId) -> bool {
		KeyGrants::<T>::get(job_id, party).is_some_and(|grant| grant.envelope.is_none())
	}

	/// At least one block.
	fn period(blocks: BlockNumberFor<T>) -> BlockNumberFor<T> {
		blocks.max(One::one())
	}

	/// One provider for `job` other than `exclude`, priced at most `price_cap` (with an
	/// encryption key when the job is sealed), chosen by the assignment rule salted `salt`, with
	/// a job slot reserved; and the providers scanned.
	fn choose_one(
		salt: &[u8],
		job_id: JobId,
		job: &JobOf<T>,
		price_cap: BalanceOf<T>,
		exclude: &[T::AccountId],
	) -> (Option<T::AccountId>, u32) {
		let opset = T::Models::interface(job.model).map(|i| i.opset).unwrap_or_default();
		let (chosen, scanned) = Self::choose(
			salt,
			job_id,
			job.spec.execution_provider,
			Self::memory_mib(job.model),
			opset,
			price_cap,
			1,
			exclude,
			SealedInputs::<T>::contains_key(job_id),
		);
		let chosen = chosen
			.and_then(|chosen| chosen.into_iter().next())
			.map(|(who, _)| who)
			.filter(|who| T::Providers::reserve_job_slot(who).is_ok());
		(chosen, scanned)
	}

	/// Records the auditor's result for `job_id`: its `outputs` for a plain job, agreeing with
	/// the receipt's by the agreement rule (`cairn_inference::answers_agree`: bit for bit for an
	/// exact job when the auditor ran the receipt's platform, the job's tolerance raised to each
	/// element type's floor otherwise); only their hash for a sealed job, agreeing when equal to
	/// the receipt's or when the auditor found them within that rule's tolerance (never where
	/// bit-exact agreement holds).
	/// Agreement passes the audit; disagreement opens the reveal stage.
	///
	/// # Errors
	/// [`Error::NoAudit`], [`Error::NotAuditing`], [`Error::NotAuditor`],
	/// [`Error::UnknownJob`], [`Error::WrongExecutionProvider`], [`Error::InvalidCommitment`],
	/// [`Error::JobIsSealed`], [`Error::NotSealed`], [`Error::OutputsNotCanonical`] and
	/// [`Error::OutputHashMismatch`].
	#[allow(clippy::too_many_arguments)]
	pub(crate) fn do_submit_audit(
		auditor: T::AccountId,
		job_id: JobId,
		output_hash: TensorSetHash,
		outputs: AuditOutputs,
		checkpoints: Commitment,
		execution_provider: ExecutionProvider,
		runtime_version: RuntimeVersion,
		elapsed_micros: u64,
	) -> DispatchResult {
		let mut audit = Audits::<T>::get(job_id).ok_or(Error::<T>::NoAudit)?;
		ensure!(audit.stage == AuditStage::Auditing, Error::<T>::NotAuditing);
		ensure!(audit.auditor.as_ref() == Some(&auditor), Error::<T>::NotAuditor);
		let job = Jobs::<T>::get(job_id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(
			execution_provider == job.spec.execution_provider,
			Error::<T>::WrongExecutionProvider
		);
		Self::check_commitment(&checkpoints)?;
		let sealed = SealedInputs::<T>::contains_key(job_id);
		let receipt = Receipts::<T>::get(audit.receipt).ok_or(Error::<T>::UnknownJob)?;
		let same_platform = receipt.execution_provider == execution_provider
			&& receipt.runtime_version == runtime_version;
		let agrees = match outputs {
			AuditOutputs::Inline(outputs) => {
				ensure!(!sealed, Error::<T>::JobIsSealed);
				let decoded = TensorSet::decode_canonical(&outputs)
					.map_err(|_| Error::<T>::OutputsNotCanonical)?;
				ensure!(decoded.hash() == output_hash, Error::<T>::OutputHashMismatch);
				receipt.output_hash == output_hash
					|| ReceiptOutputs::<T>::get(audit.receipt)
						.and_then(|bytes| TensorSet::decode_canonical(&bytes).ok())
						.is_some_and(|theirs| {
							answers_agree(&theirs, &decoded, &job.spec.tolerance, same_platform)
								.is_ok()
						})
			},
			AuditOutputs::Sealed { within_tolerance } => {
				ensure!(sealed, Error::<T>::NotSealed);
				receipt.output_hash == output_hash
					|| (within_tolerance && !job.spec.tolerance.is_exact_between(same_platform))
			},
		};
		let _ = T::Providers::heartbeat(&auditor);
		AuditTasks::<T>::remove(&auditor, job_id);
		Self::unschedule_audit_step(job_id, audit.deadline);
		audit.answer = Some(AuditAnswer { output_hash, checkpoints, elapsed_micros });
		Self::deposit_event(Event::AuditAnswered {
			job: job_id,
			auditor: auditor.clone(),
			output_hash,
			agrees,
		});
		if agrees {
			Self::close_audit(job_id, audit, AuditVerdict::Passed);
			return Ok(());
		}
		let _ = T::Providers::release_job_slot(&auditor);
		let now = frame_system::Pallet::<T>::block_number();
		audit.stage = AuditStage::Revealing;
		let reveal_by = now.saturating_add(Self::period(T::RevealPeriod::get()));
		let Some(deadline) = Self::schedule_audit_step(job_id, reveal_by) else {
			Self::close_audit(job_id, audit, AuditVerdict::Unresolved);
			return Ok(());
		};
		audit.deadline = deadline;
		AuditTasks::<T>::insert(&audit.provider, job_id, ());
		AuditTasks::<T>::insert(&auditor, job_id, ());
		Self::deposit_event(Event::AuditDisputed {
			job: job_id,
			provider_output: receipt.output_hash,
			auditor_output: output_hash,
			deadline,
		});
		Audits::<T>::insert(job_id, audit);
		Ok(())
	}

	/// Checks that `commitment` has between one and [`MAX_LEAVES`] leaves.
	///
	/// # Errors
	/// [`Error::InvalidCommitment`].
	pub(crate) fn check_commitment(commitment: &Commitment) -> DispatchResult {
		ensure!((1..=MAX_LEAVES).contains(&commitment.leaves), Error::<T>::InvalidCommitment);
		Ok(())
	}

	/// Records `who`'s revealed leaves for the dispute of `job_id`; with both parties' in, finds
	/// the first diverging leaf and assigns the referee. Returns the providers scanned for one
	/// (zero before both are in).
	///
	/// # Errors
	/// [`Error::NoAudit`], [`Error::NotRevealing`], [`Error::NotAuditParty`],
	/// [`Error::AlreadyRevealed`], [`Error::LeavesMismatch`] and
	/// [`Error::LeavesDoNotEndInOutput`].
	pub(crate) fn do_reveal_checkpoints(
		who: T::AccountId,
		job_id: JobId,
		leaves: Leaves,
	) -> Result<u32, DispatchError> {
		let audit = Audits::<T>::get(job_id).ok_or(Error::<T>::NoAudit)?;
		ensure!(audit.stage == AuditStage::Revealing, Error::<T>::NotRevealing);
		let party = if who == audit.provider {
			AuditParty::Provider
		} else if audit.auditor.as_ref() == Some(&who) {
			AuditParty::Auditor
		} else {
			Err(Error::<T>::NotAuditParty)?
		};
		ensure!(!RevealedLeaves::<T>::contains_key(job_id, party), Error::<T>::AlreadyRevealed);
		let (commitment, output_hash) = match party {
			AuditParty::Provider => (
				ReceiptCheckpoints::<T>::get(audit.receipt),
				Receipts::<T>::get(audit.receipt).map(|r| r.output_hash),
			),
			AuditParty::Auditor => (
				audit.answer.as_ref().map(|a| a.checkpoints),
				audit.answer.as_ref().map(|a| a.output_hash),
			),
		};
		ensure!(commitment == Some(Commitment::of(&leaves)), Error::<T>::LeavesMismatch);
		ensure!(
			output_hash.is_some() && leaves.last() == output_hash.as_ref(),
			Error::<T>::LeavesDoNotEndInOutput
		);
		let count = leaves.len() as u32;
		RevealedLeaves::<T>::insert(job_id, party, leaves);
		AuditTasks::<T>::remove(&who, job_id);
		Self::deposit_event(Event::CheckpointsRevealed { job: job_id, party, leaves: count });
		let other = match party {
			AuditParty::Provider => AuditParty::Auditor,
			AuditParty::Auditor => AuditParty::Provider,
		};
		if !RevealedLeaves::<T>::contains_key(job_id, other) {
			return Ok(0);
		}
		Ok(Self::assign_referee(job_id, audit))
	}

	/// Both parties of the dispute of `job_id` revealed: finds the first leaf they disagree on
	/// and assigns a referee to re-run what produces it (a third provider on the job's
	/// execution provider, priced at most `RefereeReward`, salted `cairn/audit-referee`); closes
	/// the audit unresolved when there is none. Returns the providers scanned.
	fn assign_referee(job_id: JobId, mut audit: AuditOf<T>) -> u32 {
		let provider_leaves = RevealedLeaves::<T>::get(job_id, AuditParty::Provider);
		let auditor_leaves = RevealedLeaves::<T>::get(job_id, AuditParty::Auditor);
		let (Some(provider_leaves), Some(auditor_leaves), Some(job), Some(auditor)) =
			(provider_leaves, auditor_leaves, Jobs::<T>::get(job_id), audit.auditor.clone())
		else {
			Self::close_audit(job_id, audit, AuditVerdict::Unresolved);
			return 0;
		};
		let task = if provider_leaves.len() != auditor_leaves.len() {
			RefereeTask::Checkpoints
		} else {
			match first_divergence(&provider_leaves, &auditor_leaves) {
				Some(at) => RefereeTask::Segment(at),
				None => {
					// Equal leaves end in equal outputs, which agreed: nothing to decide.
					Self::close_audit(job_id, audit, AuditVerdict::Unresolved);
					return 0;
				},
			}
		};
		audit.divergence = match task {
			RefereeTask::Segment(at) => Some(at),
			RefereeTask::Checkpoints => None,
		};
		let exclude = [audit.provider.clone(), auditor.clone()];
		let price = job.assigned.first().map(|a| a.price).unwrap_or_default();
		let (referee, scanned) = Self::choose_one(
			b"cairn/audit-referee",
			job_id,
			&job,
			Self::referee_reward(price),
			&exclude,
		);
		let Some(referee) = referee else {
			Self::close_audit(job_id, audit, AuditVerdict::Unresolved);
			return scanned;
		};
		Self::unschedule_audit_step(job_id, audit.deadline);
		let now = frame_system::Pallet::<T>::block_number();
		let answer_by = now.saturating_add(Self::period(T::RefereePeriod::get()));
		audit.stage = AuditStage::Refereeing { task, referee: referee.clone() };
		let Some(deadline) = Self::schedule_audit_step(job_id, answer_by) else {
			Self::close_audit(job_id, audit, AuditVerdict::Unresolved);
			return scanned;
		};
		audit.deadline = deadline;
		AuditTasks::<T>::insert(&referee, job_id, ());
		if SealedInputs::<T>::contains_key(job_id) {
			// Chosen for its key: the grant cannot fail. It runs from the job's input.
			let _ = Self::grant_key(job_id, &referee, KeyRole::Referee, now);
		} else if matches!(task, RefereeTask::Segment(at) if at > 0) {
			// Either party may post the agreed checkpoint the segment starts from.
			AuditTasks::<T>::insert(&audit.provider, job_id, ());
			AuditTasks::<T>::insert(&auditor, job_id, ());
		}
		Self::deposit_event(Event::CheckpointDiverged { job: job_id, task, referee, deadline });
		Audits::<T>::insert(job_id, audit);
		scanned
	}

	/// Records the tensors of the agreed checkpoint the referee's segment of `job_id` starts
	/// from, posted by `who` with a deposit per byte held until the audit closes.
	///
	/// # Errors
	/// [`Error::NoAudit`], [`Error::NoSegmentInputNeeded`],
	/// [`Error::SegmentInputAlreadyPosted`], [`Error::SegmentInputNotCanonical`],
	/// [`Error::SegmentInputTooLarge`], [`Error::SegmentInputMismatch`] and
	/// [`Error::CannotHoldDeposit`].
	pub(crate) fn do_post_segment_input(
		who: T::AccountId,
		job_id: JobId,
		tensors: TensorSet,
	) -> DispatchResult {
		let audit = Audits::<T>::get(job_id).ok_or(Error::<T>::NoAudit)?;
		// A sealed job's referee runs from the input: no plaintext tensor goes on chain.
		ensure!(!SealedInputs::<T>::contains_key(job_id), Error::<T>::JobIsSealed);
		let start = match audit.stage {
			AuditStage::Refereeing { task: RefereeTask::Segment(at), .. } if at > 0 => at - 1,
			_ => Err(Error::<T>::NoSegmentInputNeeded)?,
		};
		ensure!(!SegmentInputs::<T>::contains_key(job_id), Error::<T>::SegmentInputAlreadyPosted);
		tensors.validate().map_err(|_| Error::<T>::SegmentInputNotCanonical)?;
		let encoded: EncodedSegmentInput =
			tensors.encode().try_into().map_err(|_| Error::<T>::SegmentInputTooLarge)?;
		let agreed = RevealedLeaves::<T>::get(job_id, AuditParty::Provider)
			.and_then(|leaves| leaves.get(start as usize).copied());
		ensure!(agreed == Some(tensors.hash()), Error::<T>::SegmentInputMismatch);
		let bytes = encoded.len() as u32;
		let deposit = T::JobDepositPerByte::get().saturating_mul(bytes.into());
		T::Currency::hold(&HoldReason::SegmentInput.into(), &who, deposit)
			.map_err(|_| Error::<T>::CannotHoldDeposit)?;
		SegmentInputs::<T>::insert(
			job_id,
			SegmentInput { poster: who.clone(), deposit, tensors: encoded },
		);
		AuditTasks::<T>::remove(&audit.provider, job_id);
		if let Some(auditor) = &audit.auditor {
			AuditTasks::<T>::remove(auditor, job_id);
		}
		Self::deposit_event(Event::SegmentInputPosted {
			job: job_id,
			checkpoint: start,
			poster: who,
			bytes,
		});
		Ok(())
	}

	/// Decides the dispute of `job_id` by its referee's `answer`: the party whose leaf (or
	/// commitment) it matches wins, the other is caught; matching neither leaves it unresolved.
	///
	/// # Errors
	/// [`Error::NoAudit`], [`Error::NotRefereeing`], [`Error::NotReferee`] and
	/// [`Error::WrongRefereeAnswer`].
	pub(crate) fn do_submit_referee_answer(
		who: T::AccountId,
		job_id: JobId,
		answer: RefereeAnswer,
	) -> DispatchResult {
		let audit = Audits::<T>::get(job_id).ok_or(Error::<T>::NoAudit)?;
		let AuditStage::Refereeing { task, referee } = &audit.stage else {
			Err(Error::<T>::NotRefereeing)?
		};
		ensure!(*referee == who, Error::<T>::NotReferee);
		let provider = RevealedLeaves::<T>::get(job_id, AuditParty::Provider).unwrap_or_default();
		let auditor = RevealedLeaves::<T>::get(job_id, AuditParty::Auditor).unwrap_or_default();
		let (provider_matches, auditor_matches) = match (task, answer) {
			(RefereeTask::Segment(at), RefereeAnswer::Leaf(leaf)) => {
				let at = *at as usize;
				(provider.get(at) == Some(&leaf), auditor.get(at) == Some(&leaf))
			},
			(RefereeTask::Checkpoints, RefereeAnswer::Checkpoints(commitment)) => {
				(Commitment::of(&provider) == commitment, Commitment::of(&auditor) == commitment)
			},
			_ => Err(Error::<T>::WrongRefereeAnswer)?,
		};
		let _ = T::Providers::heartbeat(&who);
		let verdict = match (provider_matches, auditor_matches) {
			(true, false) => AuditVerdict::AuditorCaught,
			(false, true) => AuditVerdict::ProviderCaught,
			_ => AuditVerdict::Unresolved,
		};
		Self::deposit_event(Event::RefereeAnswered { job: job_id, referee: who, answer });
		Self::unschedule_audit_step(job_id, audit.deadline);
		Self::close_audit_with(job_id, audit, verdict, true);
		Ok(())
	}

	/// Closes the audit of `job_id` with `verdict`, its referee (if any) silent.
	pub(crate) fn close_audit(job_id: JobId, audit: AuditOf<T>, verdict: AuditVerdict) {
		Self::close_audit_with(job_id, audit, verdict, false)
	}

	/// Closes the audit of `job_id` with `verdict`: slashes the caught party `AuditSlash` to the
	/// audit pot (and a silent auditor or referee `MissedDeadlineSlash`), pays the auditor and a
	/// `referee_answered` referee of a decided dispute their rewards from the pot, records each
	/// one's outcome with the registry, frees the job slots still held, returns a posted segment
	/// input's deposit and removes what the audit kept (the job's input, revealed leaves, tasks).
	fn close_audit_with(
		job_id: JobId,
		mut audit: AuditOf<T>,
		verdict: AuditVerdict,
		referee_answered: bool,
	) {
		let auditor = audit.auditor.clone();
		let price = Self::price_of(job_id);
		let referee = match &audit.stage {
			AuditStage::Refereeing { referee, .. } => Some(referee.clone()),
			_ => None,
		};
		if let (AuditStage::Auditing, Some(auditor)) = (&audit.stage, &auditor) {
			let _ = T::Providers::release_job_slot(auditor);
		}
		if let Some(referee) = &referee {
			let _ = T::Providers::release_job_slot(referee);
			// A referee whose content key was never delivered could not answer: no outcome.
			let outcome = match verdict {
				_ if !referee_answered && Self::key_withheld(job_id, referee) => None,
				_ if !referee_answered => {
					Self::slash_missed(job_id, referee);
					Some(JobOutcome::Missed)
				},
				AuditVerdict::ProviderCaught | AuditVerdict::AuditorCaught => {
					Self::reward(job_id, referee, Self::referee_reward(price));
					Some(JobOutcome::Completed)
				},
				_ => Some(JobOutcome::Failed),
			};
			if let Some(outcome) = outcome {
				let _ = T::Providers::record_outcome(referee, outcome);
			}
		}
		let mut slashed = None;
		// To the pot: neither the requester nor the other party gains by a slash it can cause.
		let pot = Self::audit_pot();
		let mut slash = |who: &T::AccountId| {
			let amount = T::Providers::slash(
				who,
				T::AuditSlash::get(),
				Some(&pot),
				SlashReason::DisputeLost,
			)
			.unwrap_or_default();
			let _ = T::Providers::record_outcome(who, JobOutcome::DisputeLost);
			slashed = Some((who.clone(), amount));
		};
		match (verdict, &auditor) {
			(AuditVerdict::Passed, Some(auditor)) => {
				Self::reward(job_id, auditor, Self::auditor_reward(price));
				let _ = T::Providers::record_outcome(auditor, JobOutcome::Completed);
			},
			(AuditVerdict::ProviderCaught, Some(auditor)) => {
				slash(&audit.provider);
				Self::reward(job_id, auditor, Self::auditor_reward(price));
				let _ = T::Providers::record_outcome(auditor, JobOutcome::Completed);
			},
			(AuditVerdict::AuditorCaught, Some(auditor)) => {
				slash(auditor);
			},
			(AuditVerdict::AuditorMissed, Some(auditor)) => {
				Self::slash_missed(job_id, auditor);
				let _ = T::Providers::record_outcome(auditor, JobOutcome::Missed);
			},
			_ => {},
		}
		for who in core::iter::once(&audit.provider).chain(auditor.iter()).chain(referee.iter()) {
			AuditTasks::<T>::remove(who, job_id);
		}
		RevealedLeaves::<T>::remove(job_id, AuditParty::Provider);
		RevealedLeaves::<T>::remove(job_id, AuditParty::Auditor);
		if let Some(posted) = SegmentInputs::<T>::take(job_id) {
			let _ = T::Currency::release(
				&HoldReason::SegmentInput.into(),
				&posted.poster,
				posted.deposit,
				Precision::BestEffort,
			);
		}
		JobInputs::<T>::remove(job_id);
		audit.stage = AuditStage::Closed(verdict);
		audit.deadline = frame_system::Pallet::<T>::block_number();
		Self::deposit_event(Event::AuditClosed { job: job_id, verdict, slashed });
		Audits::<T>::insert(job_id, audit);
	}

	/// Pays `who` up to `amount` from the audit pot (keeping the pot alive); emits
	/// `AuditRewardPaid` with what was paid.
	fn reward(job_id: JobId, who: &T::AccountId, amount: BalanceOf<T>) {
		let pot = Self::audit_pot();
		let available =
			T::Currency::reducible_balance(&pot, Preservation::Preserve, Fortitude::Polite);
		let amount = amount.min(available);
		if amount.is_zero() {
			return;
		}
		if T::Currency::transfer(&pot, who, amount, Preservation::Preserve).is_ok() {
			Self::deposit_event(Event::AuditRewardPaid {
				job: job_id,
				recipient: who.clone(),
				amount,
			});
		}
	}

	/// The jobs whose audit `who` has something to do for: re-run (auditor), reveal (party),
	/// post a segment input (party), re-run a segment (referee).
	pub fn audit_tasks_of(who: &T::AccountId) -> Vec<JobId> {
		AuditTasks::<T>::iter_key_prefix(who).collect()
	}
}
