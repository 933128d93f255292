//! The logic behind the calls: requests with license gating and assignment, receipts, and
//! settlement with royalties.

use super::*;
use alloc::vec::Vec;
use cairn_inference::{outputs_agree, ExecutionProvider, RuntimeVersion, TensorSet, TensorSetHash};
use codec::Encode;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision, Restriction},
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_compute_registry::{
	JobOutcome, ProviderInspect, ProviderJobs, ProviderSlash, SlashReason,
};
use pallet_data_licensing::{LicenseInspect, LicenseUse};
use pallet_model_provenance::{LineageProblem, ModelInspect};
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchError, Permill,
};

/// Providers chosen for a job, with their prices.
type Chosen<T> = Vec<(<T as frame_system::Config>::AccountId, BalanceOf<T>)>;

/// Bytes in a mebibyte.
const MIB: u64 = 1024 * 1024;

impl<T: Config> Pallet<T> {
	/// Checks, assigns and records a job of `requester`; returns its id.
	///
	/// # Errors
	/// The model errors of [`Self::check_model`], [`Error::InputNotCanonical`],
	/// [`Error::InputTooLarge`], [`Error::InputMismatch`], [`Error::InvalidRedundancy`],
	/// [`Error::InvalidDeadline`], [`Error::DeadlineFull`], [`Error::NotEnoughProviders`],
	/// [`Error::FeeTooLow`], [`Error::CannotHoldFee`] and [`Error::IdsExhausted`].
	pub(crate) fn do_request_job(
		requester: T::AccountId,
		model: ModelId,
		input: TensorSet,
		spec: JobSpecOf<T>,
	) -> Result<JobId, DispatchError> {
		let now = frame_system::Pallet::<T>::block_number();
		let interface = Self::check_model(&requester, model, &spec, now)?;
		input.validate().map_err(|_| Error::<T>::InputNotCanonical)?;
		let encoded: EncodedInput =
			input.encode().try_into().map_err(|_| Error::<T>::InputTooLarge)?;
		interface.io.check_inputs(&input).map_err(|_| Error::<T>::InputMismatch)?;
		ensure!((1..=MAX_REDUNDANCY).contains(&spec.redundancy), Error::<T>::InvalidRedundancy);
		ensure!(
			!spec.deadline.is_zero() && spec.deadline <= T::MaxDeadline::get(),
			Error::<T>::InvalidDeadline
		);
		let deadline_at = now.saturating_add(spec.deadline);

		let id = NextJobId::<T>::get();
		let size = T::Models::size_bytes(model).unwrap_or_default();
		let memory_mib = u32::try_from(size.div_ceil(MIB)).unwrap_or(u32::MAX);
		let chosen = Self::assign(id, memory_mib, interface.opset, &spec)?;
		let quote = chosen
			.iter()
			.fold(BalanceOf::<T>::zero(), |sum, (_, price)| sum.saturating_add(*price));
		let royalties = Self::royalty_shares(model, quote);
		let total_royalties =
			royalties.iter().fold(BalanceOf::<T>::zero(), |s, (_, a)| s.saturating_add(*a));
		ensure!(quote.saturating_add(total_royalties) <= spec.max_fee, Error::<T>::FeeTooLow);

		T::Currency::hold(&HoldReason::JobFee.into(), &requester, spec.max_fee)
			.map_err(|_| Error::<T>::CannotHoldFee)?;
		NextJobId::<T>::put(id.checked_add(1).ok_or(Error::<T>::IdsExhausted)?);
		Deadlines::<T>::try_mutate(deadline_at, |jobs| jobs.try_push(id))
			.map_err(|_| Error::<T>::DeadlineFull)?;
		let mut assigned = BoundedVec::new();
		let mut providers = BoundedVec::new();
		for (provider, price) in chosen {
			T::Providers::reserve_job_slot(&provider)?;
			AssignedJobs::<T>::insert(&provider, id, ());
			let _ = providers.try_push(provider.clone());
			let _ = assigned.try_push(Assignment { provider, price, receipt: None });
		}
		let model_hash = T::Models::content_hash(model).ok_or(Error::<T>::UnknownModel)?;
		let input_hash = input.hash();
		JobInputs::<T>::insert(id, encoded);
		Self::deposit_event(Event::JobRequested {
			job: id,
			requester: requester.clone(),
			model,
			input_hash,
			providers,
			fee_held: spec.max_fee,
		});
		Jobs::<T>::insert(
			id,
			Job {
				requester,
				model,
				model_hash,
				input_hash,
				fee_held: spec.max_fee,
				spec,
				assigned,
				requested_at: now,
				deadline_at,
				status: JobStatus::Open,
			},
		);
		Ok(id)
	}

	/// Checks that `model` may serve `requester` at `now`; returns its interface.
	///
	/// # Errors
	/// [`Error::UnknownModel`], [`Error::ModelRevoked`], [`Error::UpstreamRevoked`],
	/// [`Error::UpstreamLicenseInvalid`], [`Error::UpstreamLicenseForbidsInference`] and
	/// [`Error::UsageLicenseRequired`].
	fn check_model(
		requester: &T::AccountId,
		model: ModelId,
		spec: &JobSpecOf<T>,
		now: BlockNumberFor<T>,
	) -> Result<pallet_model_provenance::ModelInterface, DispatchError> {
		ensure!(T::Models::exists(model), Error::<T>::UnknownModel);
		ensure!(T::Models::is_active(model), Error::<T>::ModelRevoked);
		match T::Models::upstream_problem(model, LicenseUse::Inference, now) {
			None => {},
			Some(LineageProblem::Revoked | LineageProblem::AncestorRevoked(_)) => {
				Err(Error::<T>::UpstreamRevoked)?
			},
			Some(LineageProblem::LicenseInvalid(_)) => Err(Error::<T>::UpstreamLicenseInvalid)?,
			Some(LineageProblem::UseNotAllowed(_)) => {
				Err(Error::<T>::UpstreamLicenseForbidsInference)?
			},
		}
		let terms = T::Models::terms(model).ok_or(Error::<T>::UnknownModel)?;
		if let Some(dataset) = terms.required_license {
			let held = spec.usage_license.is_some_and(|license| {
				T::Licenses::dataset_of(license) == Some(dataset)
					&& T::Licenses::is_valid(license, requester, LicenseUse::Inference, now)
			});
			ensure!(held, Error::<T>::UsageLicenseRequired);
		}
		T::Models::interface(model).ok_or_else(|| Error::<T>::UnknownModel.into())
	}

	/// The `spec.redundancy` providers job `job` goes to, with their prices.
	///
	/// Eligible: offering the execution provider, live, a free job slot, memory for the model,
	/// the model's opset in range and a price at most the fee ceiling's share (`max_fee / k`). Among them the `k` with the lowest
	/// `blake2_256("cairn/assign" ‖ parent hash ‖ job id ‖ account)` win. The parent hash is fixed
	/// before the block is built, and the job id before the request is sent, so neither the block
	/// author nor the requester picks providers beyond choosing when to act (see `docs/jobs.md`).
	///
	/// # Errors
	/// [`Error::NotEnoughProviders`].
	pub(crate) fn assign(
		job: JobId,
		memory_mib: u32,
		opset: u32,
		spec: &JobSpecOf<T>,
	) -> Result<Chosen<T>, DispatchError> {
		let ep = spec.execution_provider;
		let share = spec.max_fee / BalanceOf::<T>::from(spec.redundancy.max(1));
		let seed = frame_system::Pallet::<T>::parent_hash();
		let mut scored: Vec<([u8; 32], T::AccountId, BalanceOf<T>)> =
			T::Providers::providers_offering(ep)
				.into_iter()
				.filter(|who| T::Providers::is_eligible(who, ep, memory_mib))
				.filter_map(|who| {
					let profile = T::Providers::profile(&who)?;
					let opsets = u32::from(profile.min_opset)..=u32::from(profile.max_opset);
					let price = profile.price_per_job;
					(price <= share && opsets.contains(&opset)).then(|| {
						let score = sp_io::hashing::blake2_256(
							&(b"cairn/assign", seed, job, &who).encode(),
						);
						(score, who, price)
					})
				})
				.collect();
		ensure!(scored.len() as u32 >= spec.redundancy, Error::<T>::NotEnoughProviders);
		scored.sort_by_key(|a| a.0);
		Ok(scored
			.into_iter()
			.take(spec.redundancy as usize)
			.map(|(_, who, price)| (who, price))
			.collect())
	}

	/// The royalties owed on `paid` provider pay for a job on `model`: each recipient's basis
	/// points of `paid`, and at least the model's price floor for its owner (when anything is
	/// paid). Each recipient once.
	pub fn royalty_shares(model: ModelId, paid: BalanceOf<T>) -> Vec<(T::AccountId, BalanceOf<T>)> {
		if paid.is_zero() {
			return Vec::new();
		}
		let mut shares: Vec<(T::AccountId, BalanceOf<T>)> = T::Models::royalty_recipients(model)
			.into_iter()
			.map(|r| (r.account, Permill::from_parts(r.bps.saturating_mul(100)) * paid))
			.collect();
		if let (Some(owner), Some(terms)) = (T::Models::owner(model), T::Models::terms(model)) {
			match shares.iter().position(|(who, _)| *who == owner) {
				Some(i) => shares[i].1 = shares[i].1.max(terms.price_floor),
				None if !terms.price_floor.is_zero() => {
					shares.insert(0, (owner, terms.price_floor))
				},
				None => {},
			}
		}
		shares.retain(|(_, amount)| !amount.is_zero());
		shares
	}

	/// Records a receipt of `provider` for `job`; settles the job with its last receipt.
	///
	/// # Errors
	/// [`Error::UnknownJob`], [`Error::JobClosed`], [`Error::NotAssigned`],
	/// [`Error::DuplicateReceipt`], [`Error::WrongExecutionProvider`],
	/// [`Error::OutputsNotCanonical`], [`Error::OutputHashMismatch`] and [`Error::IdsExhausted`].
	pub(crate) fn do_submit_receipt(
		provider: T::AccountId,
		job_id: JobId,
		output_hash: TensorSetHash,
		outputs: EncodedOutputs,
		execution_provider: ExecutionProvider,
		runtime_version: RuntimeVersion,
		elapsed_micros: u64,
	) -> Result<ReceiptId, DispatchError> {
		let mut job = Jobs::<T>::get(job_id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(job.status == JobStatus::Open, Error::<T>::JobClosed);
		let slot = job
			.assigned
			.iter()
			.position(|a| a.provider == provider)
			.ok_or(Error::<T>::NotAssigned)?;
		ensure!(job.assigned[slot].receipt.is_none(), Error::<T>::DuplicateReceipt);
		ensure!(
			execution_provider == job.spec.execution_provider,
			Error::<T>::WrongExecutionProvider
		);
		let decoded =
			TensorSet::decode_canonical(&outputs).map_err(|_| Error::<T>::OutputsNotCanonical)?;
		ensure!(decoded.hash() == output_hash, Error::<T>::OutputHashMismatch);

		let id = NextReceiptId::<T>::get();
		NextReceiptId::<T>::put(id.checked_add(1).ok_or(Error::<T>::IdsExhausted)?);
		let now = frame_system::Pallet::<T>::block_number();
		Receipts::<T>::insert(
			id,
			Receipt {
				job: job_id,
				provider: provider.clone(),
				model_hash: job.model_hash,
				input_hash: job.input_hash,
				output_hash,
				execution_provider,
				runtime_version,
				elapsed_micros,
				submitted_at: now,
			},
		);
		ReceiptOutputs::<T>::insert(id, outputs);
		ReceiptsByModel::<T>::insert(job.model_hash, id, ());
		ReceiptsByProvider::<T>::insert(&provider, id, ());
		AssignedJobs::<T>::remove(&provider, job_id);
		// Answering is a sign of life.
		let _ = T::Providers::heartbeat(&provider);
		if let Some(assignment) = job.assigned.get_mut(slot) {
			assignment.receipt = Some(id);
		}
		Self::deposit_event(Event::ReceiptSubmitted {
			receipt: id,
			job: job_id,
			provider,
			output_hash,
		});
		if job.assigned.iter().all(|a| a.receipt.is_some()) {
			Deadlines::<T>::mutate(job.deadline_at, |jobs| jobs.retain(|j| *j != job_id));
			Self::settle(job_id, job);
		} else {
			Jobs::<T>::insert(job_id, job);
		}
		Ok(id)
	}

	/// Settles job `job_id` at its deadline, if still open.
	pub(crate) fn settle_due(job_id: JobId) {
		if let Some(job) = Jobs::<T>::get(job_id).filter(|j| j.status == JobStatus::Open) {
			Self::settle(job_id, job);
		}
	}

	/// The assignments whose receipts form the majority: more than half of the redundancy
	/// agreeing under the job's tolerance. Each receipt's outputs are decoded once.
	fn majority(job: &JobOf<T>) -> Option<(Vec<usize>, TensorSetHash)> {
		let answered: Vec<(usize, TensorSetHash, TensorSet)> = job
			.assigned
			.iter()
			.enumerate()
			.filter_map(|(slot, a)| {
				let receipt = a.receipt?;
				let hash = Receipts::<T>::get(receipt)?.output_hash;
				let outputs =
					TensorSet::decode_canonical(&ReceiptOutputs::<T>::get(receipt)?).ok()?;
				Some((slot, hash, outputs))
			})
			.collect();
		let needed = job.spec.redundancy / 2 + 1;
		answered.iter().find_map(|(_, hash, outputs)| {
			let agreeing: Vec<usize> = answered
				.iter()
				.filter(|(_, other_hash, other)| {
					other_hash == hash || outputs_agree(outputs, other, &job.spec.tolerance).is_ok()
				})
				.map(|(slot, _, _)| *slot)
				.collect();
			(agreeing.len() as u32 >= needed).then_some((agreeing, *hash))
		})
	}

	/// Pays the majority and the royalties, slashes the outvoted, refunds the rest, frees the
	/// providers' slots and records their outcomes. held = paid + royalties + refunded.
	pub(crate) fn settle(job_id: JobId, mut job: JobOf<T>) {
		let reason: T::RuntimeHoldReason = HoldReason::JobFee.into();
		let majority = Self::majority(&job);
		let mut paid = BalanceOf::<T>::zero();
		let mut royalties_paid = BalanceOf::<T>::zero();
		for (slot, assignment) in job.assigned.iter().enumerate() {
			let result = match (&majority, assignment.receipt) {
				(_, None) => ProviderResult::Missed,
				(Some((winners, _)), Some(_)) if winners.contains(&slot) => ProviderResult::Paid,
				(Some(_), Some(_)) => ProviderResult::Outvoted,
				(None, Some(_)) => ProviderResult::Undecided,
			};
			let provider = &assignment.provider;
			let _ = T::Providers::release_job_slot(provider);
			AssignedJobs::<T>::remove(provider, job_id);
			let outcome = match result {
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
				ProviderResult::Outvoted => {
					let slashed = T::Providers::slash(
						provider,
						T::WrongResultSlash::get(),
						Some(&job.requester),
						SlashReason::WrongResult,
					)
					.unwrap_or_default();
					Self::deposit_event(Event::ProviderOutvoted {
						job: job_id,
						provider: provider.clone(),
						slashed,
					});
					Some(JobOutcome::Failed)
				},
				ProviderResult::Missed => Some(JobOutcome::Missed),
				ProviderResult::Undecided => None,
			};
			if let Some(outcome) = outcome {
				let _ = T::Providers::record_outcome(provider, outcome);
			}
		}
		for (recipient, amount) in Self::royalty_shares(job.model, paid) {
			if Self::pay(&reason, &job.requester, &recipient, amount) {
				royalties_paid = royalties_paid.saturating_add(amount);
				Self::deposit_event(Event::RoyaltyPaid { job: job_id, recipient, amount });
			}
		}
		let refunded = job.fee_held.saturating_sub(paid).saturating_sub(royalties_paid);
		let _ = T::Currency::release(&reason, &job.requester, refunded, Precision::BestEffort);
		job.status = match (&majority, job.assigned.iter().any(|a| a.receipt.is_some())) {
			(Some(_), _) => JobStatus::Completed,
			(None, true) => JobStatus::Unresolved,
			(None, false) => JobStatus::Expired,
		};
		JobInputs::<T>::remove(job_id);
		Self::deposit_event(Event::JobSettled {
			job: job_id,
			status: job.status,
			output_hash: majority.map(|(_, hash)| hash),
			paid,
			royalties: royalties_paid,
			refunded,
		});
		job.fee_held = Zero::zero();
		Jobs::<T>::insert(job_id, job);
	}

	/// Moves `amount` of `payer`'s held fee to `payee`; whether it moved.
	fn pay(
		reason: &T::RuntimeHoldReason,
		payer: &T::AccountId,
		payee: &T::AccountId,
		amount: BalanceOf<T>,
	) -> bool {
		amount.is_zero()
			|| T::Currency::transfer_on_hold(
				reason,
				payer,
				payee,
				amount,
				Precision::Exact,
				Restriction::Free,
				Fortitude::Polite,
			)
			.is_ok()
	}

	/// Up to `limit` (capped at [`runtime_api::MAX_PAGE_SIZE`]) receipt ids of a model's file
	/// hash, after `start_after`, in storage-key order.
	pub fn receipts_of_model(
		model_hash: cairn_inference::ModelHash,
		start_after: Option<ReceiptId>,
		limit: u32,
	) -> Vec<ReceiptId> {
		let limit = limit.min(runtime_api::MAX_PAGE_SIZE) as usize;
		match start_after {
			Some(last) => ReceiptsByModel::<T>::iter_key_prefix_from(
				model_hash,
				ReceiptsByModel::<T>::hashed_key_for(model_hash, last),
			)
			.take(limit)
			.collect(),
			None => ReceiptsByModel::<T>::iter_key_prefix(model_hash).take(limit).collect(),
		}
	}

	/// Up to `limit` (capped at [`runtime_api::MAX_PAGE_SIZE`]) receipt ids of a provider,
	/// after `start_after`, in storage-key order.
	pub fn receipts_of_provider(
		provider: &T::AccountId,
		start_after: Option<ReceiptId>,
		limit: u32,
	) -> Vec<ReceiptId> {
		let limit = limit.min(runtime_api::MAX_PAGE_SIZE) as usize;
		match start_after {
			Some(last) => ReceiptsByProvider::<T>::iter_key_prefix_from(
				provider,
				ReceiptsByProvider::<T>::hashed_key_for(provider, last),
			)
			.take(limit)
			.collect(),
			None => ReceiptsByProvider::<T>::iter_key_prefix(provider).take(limit).collect(),
		}
	}

	/// Checks the pallet's invariants: held fees equal those of open jobs, settled jobs hold
	/// nothing, assignments and deadlines index exactly the open jobs.
	#[cfg(any(test, feature = "try-runtime"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::BTreeMap;
		use frame_support::traits::fungible::InspectHold;
		let mut held: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (id, job) in Jobs::<T>::iter() {
			if job.status == JobStatus::Open {
				let entry = held.entry(job.requester.clone()).or_default();
				*entry = entry.saturating_add(job.fee_held);
				ensure!(
					Deadlines::<T>::get(job.deadline_at).contains(&id),
					"open job without deadline"
				);
				ensure!(JobInputs::<T>::contains_key(id), "open job without input");
				for a in job.assigned.iter() {
					ensure!(
						a.receipt.is_some() != AssignedJobs::<T>::contains_key(&a.provider, id),
						"assignment index disagrees"
					);
				}
			} else {
				ensure!(job.fee_held.is_zero(), "settled job holds a fee");
				ensure!(!JobInputs::<T>::contains_key(id), "settled job keeps its input");
			}
		}
		for (who, amount) in held {
			let on_hold = T::Currency::balance_on_hold(&HoldReason::JobFee.into(), &who);
			ensure!(on_hold == amount, "held fees disagree with open jobs");
		}
		Ok(())
	}
}

/// Receipts as model provenance's evaluations cite them.
impl<T: Config> pallet_model_provenance::ReceiptInspect for Pallet<T> {
	fn model_of(receipt: ReceiptId) -> Option<cairn_inference::ModelHash> {
		Receipts::<T>::get(receipt).map(|r| r.model_hash)
	}
}
