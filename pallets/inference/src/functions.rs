//! The logic behind the calls: requests with license gating and assignment, receipts, and
//! settlement with royalties.

use super::*;
use alloc::vec::Vec;
use cairn_inference::seal::KeyRole;
use cairn_inference::{Commitment, ExecutionProvider, RuntimeVersion, TensorSet, TensorSetHash};
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
use pallet_compute_registry::{ProviderInspect, ProviderJobs, ProviderKeys};
use pallet_data_licensing::{LicenseInspect, LicenseUse};
use pallet_model_provenance::{LineageProblem, ModelInspect};
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchError, Permill,
};

/// What a receipt carries of its outputs.
pub(crate) enum ReceiptOutput {
	/// The canonical encoded outputs, on chain.
	Inline(EncodedOutputs),
	/// The sealed outputs, off chain, of a sealed job.
	Sealed(cairn_inference::seal::SealedOutput),
}

/// Providers chosen for a job, with their prices.
type Chosen<T> = Vec<(<T as frame_system::Config>::AccountId, BalanceOf<T>)>;

/// Bytes in a mebibyte.
const MIB: u64 = 1024 * 1024;

/// Consecutive blocks tried for a dispute's deadline when the first is full.
pub(crate) const DEADLINE_TRIES: u32 = 4;

/// What a request read and wrote beyond its fixed work, for its weight.
pub(crate) struct RequestWork {
	/// Providers scanned for the assignment.
	pub scanned: u32,
	/// Providers assigned (the redundancy `k`).
	pub redundancy: u32,
	/// Full deadline blocks passed over before one with room.
	pub deadlines_skipped: u32,
}

impl<T: Config> Pallet<T> {
	/// Checks, assigns and records a job of `requester`; returns its id and what the request
	/// read.
	///
	/// # Errors
	/// The model errors of [`Self::check_model`], [`Error::InputNotCanonical`],
	/// [`Error::InputTooLarge`], [`Error::InputMismatch`], [`Error::InvalidRedundancy`],
	/// [`Error::InvalidDeadline`], [`Error::DeadlineFull`], [`Error::NotEnoughProviders`],
	/// [`Error::FeeTooLow`], [`Error::CannotHoldFee`] and [`Error::IdsExhausted`].
	pub(crate) fn do_request_job(
		requester: T::AccountId,
		model: ModelId,
		input: JobInput,
		spec: JobSpecOf<T>,
	) -> Result<(JobId, RequestWork), DispatchError> {
		let now = frame_system::Pallet::<T>::block_number();
		let interface = Self::check_model(&requester, model, &spec, now)?;
		let (input_hash, inline, sealed) = match input {
			JobInput::Inline(input) => {
				ensure!(
					input.encoded_size() <= MAX_INLINE_INPUT_BYTES as usize,
					Error::<T>::InputTooLarge
				);
				input.validate().map_err(|_| Error::<T>::InputNotCanonical)?;
				let encoded: EncodedInput =
					input.encode().try_into().map_err(|_| Error::<T>::InputTooLarge)?;
				interface.io.check_inputs(&input).map_err(|_| Error::<T>::InputMismatch)?;
				(input.hash(), Some(encoded), None)
			},
			JobInput::Sealed(sealed) => {
				Self::check_sealed_input(&sealed)?;
				(sealed.plaintext_hash, None, Some(sealed))
			},
		};
		ensure!((1..=MAX_REDUNDANCY).contains(&spec.redundancy), Error::<T>::InvalidRedundancy);
		let redundancy = spec.redundancy;
		ensure!(
			!spec.deadline.is_zero() && spec.deadline <= T::MaxDeadline::get(),
			Error::<T>::InvalidDeadline
		);
		let wanted = now.saturating_add(spec.deadline);

		let id = NextJobId::<T>::get();
		// A single provider is audited: it pays the audit fee and is priced under the cap that
		// keeps cheating a losing bet.
		let audited = spec.redundancy == 1 && Self::audits_on();
		// A redundant job reserves its dispute's referees up front: each party, provider or
		// referee, is priced within an equal share of the fee ceiling, so that a dispute can
		// always be paid for and withholding a majority cannot end the job unpaid.
		let referees = if spec.redundancy > 1 { Self::referee_count() } else { 0 };
		let mut share = spec.max_fee / BalanceOf::<T>::from(spec.redundancy + referees);
		if audited {
			// The ceiling pays the audit fee too: at least its floor, whatever the price.
			share = share.saturating_sub(Self::audit_fee(Zero::zero()));
		}
		if let Some(cap) = Self::audited_price_cap().filter(|_| audited) {
			share = share.min(cap);
		}
		let (chosen, scanned) = Self::choose(
			b"cairn/assign",
			id,
			spec.execution_provider,
			Self::memory_mib(model),
			interface.opset,
			share,
			spec.redundancy,
			&[],
			sealed.is_some(),
		);
		let chosen = chosen.ok_or(Error::<T>::NotEnoughProviders)?;
		let quote = chosen
			.iter()
			.fold(BalanceOf::<T>::zero(), |sum, (_, price)| sum.saturating_add(*price));
		// The audit fee scales with the provider's price.
		let audit_fee = if audited { Self::audit_fee(quote) } else { Zero::zero() };
		// Each referee reserved at the highest price among the providers.
		let highest = chosen.iter().map(|(_, price)| *price).max().unwrap_or_default();
		let reserved = quote.saturating_add(highest.saturating_mul(referees.into()));
		let royalties = Self::total(&Self::royalty_shares(model, reserved));
		ensure!(
			reserved.saturating_add(royalties).saturating_add(audit_fee) <= spec.max_fee,
			Error::<T>::FeeTooLow
		);

		let receipts = spec.redundancy + referees;
		let stored_bytes = match (&inline, &sealed) {
			(Some(encoded), _) => encoded.len() as u32,
			_ => Self::sealed_storage_bytes(receipts),
		};
		let deposit = T::JobDepositBase::get()
			.saturating_add(T::JobDepositPerByte::get().saturating_mul(stored_bytes.into()))
			.saturating_add(T::ReceiptRecordFee::get().saturating_mul(receipts.into()));
		T::Currency::hold(&HoldReason::JobFee.into(), &requester, spec.max_fee)
			.map_err(|_| Error::<T>::CannotHoldFee)?;
		T::Currency::hold(&HoldReason::JobDeposit.into(), &requester, deposit)
			.map_err(|_| Error::<T>::CannotHoldFee)?;
		NextJobId::<T>::put(id.checked_add(1).ok_or(Error::<T>::IdsExhausted)?);
		let (deadline_at, skipped) = Self::schedule_deadline(id, wanted, MAX_DEADLINE_SPILL + 1)
			.ok_or(Error::<T>::DeadlineFull)?;
		let mut assigned = BoundedVec::new();
		let mut providers = BoundedVec::new();
		for (provider, price) in chosen {
			T::Providers::reserve_job_slot(&provider)?;
			AssignedJobs::<T>::insert(&provider, id, ());
			if sealed.is_some() {
				Self::grant_key(id, &provider, KeyRole::Provider, now)?;
			}
			let _ = providers.try_push(provider.clone());
			let _ = assigned.try_push(Assignment { provider, price, receipt: None });
		}
		let model_hash = T::Models::content_hash(model).ok_or(Error::<T>::UnknownModel)?;
		if let Some(encoded) = inline {
			JobInputs::<T>::insert(id, encoded);
		}
		if let Some(sealed) = sealed {
			BlobUses::<T>::insert(sealed.blob.sha256, id, ());
			SealedInputs::<T>::insert(id, sealed);
		}
		Self::deposit_event(Event::JobRequested {
			job: id,
			requester: requester.clone(),
			model,
			input_hash,
			providers,
			fee_held: spec.max_fee,
			deposit,
			deadline_at,
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
				referees: BoundedVec::new(),
				requested_at: now,
				deadline_at,
				status: JobStatus::Open,
				deposit,
				settled_at: None,
			},
		);
		Ok((id, RequestWork { scanned, redundancy, deadlines_skipped: skipped }))
	}

	/// Puts `job_id` among the deadlines of the first of `tries` blocks from `first` on with
	/// room; returns that block and how many full blocks were passed over, or `None` when all
	/// were full.
	pub(crate) fn schedule_deadline(
		job_id: JobId,
		first: BlockNumberFor<T>,
		tries: u32,
	) -> Option<(BlockNumberFor<T>, u32)> {
		Self::push_to_first_with_room::<Deadlines<T>, _>(job_id, first, tries)
	}

	/// Puts `job_id` into the list of the first of `tries` blocks from `first` on with room in
	/// `Queue`, a bounded list of jobs per block (deadlines, audit steps); returns that block
	/// and how many full blocks were passed over, or `None` when all were full.
	pub(crate) fn push_to_first_with_room<Queue, Bound>(
		job_id: JobId,
		first: BlockNumberFor<T>,
		tries: u32,
	) -> Option<(BlockNumberFor<T>, u32)>
	where
		Queue: frame_support::storage::StorageMap<
			BlockNumberFor<T>,
			BoundedVec<JobId, Bound>,
			Query = BoundedVec<JobId, Bound>,
		>,
		Bound: Get<u32>,
	{
		let mut candidate = first;
		for skipped in 0..tries {
			if Queue::try_mutate(candidate, |jobs| jobs.try_push(job_id)).is_ok() {
				return Some((candidate, skipped));
			}
			candidate = candidate.saturating_add(One::one());
		}
		None
	}

	/// The largest lineage a model has: (ancestors, upstream licenses).
	pub(crate) fn largest_lineage() -> (u32, u32) {
		(
			<pallet_model_provenance::MaxAncestors as Get<u32>>::get(),
			<pallet_model_provenance::MaxUpstreamLicenses as Get<u32>>::get(),
		)
	}

	/// The weight of a request that did `work` for a model with `lineage` (ancestors, upstream
	/// licenses) and an inline input of `inline_bytes` encoded bytes (`None`: sealed): the
	/// request at the smallest lineage plus the providers scanned, the full deadline blocks
	/// passed over, and checking and quoting its ancestors and its licenses. Each count is taken
	/// within the range it was benchmarked over.
	pub(crate) fn request_weight(
		work: &RequestWork,
		lineage: (u32, u32),
		inline_bytes: Option<u32>,
	) -> Weight {
		let (ancestors, licenses) = Self::weighed_lineage(lineage);
		let scanned =
			work.scanned.clamp(MAX_REDUNDANCY, T::MaxCandidates::get().max(MAX_REDUNDANCY));
		let k = work.redundancy.clamp(1, MAX_REDUNDANCY);
		// The request benchmarks scan `MAX_REDUNDANCY` providers and find room in the first
		// deadline block: only what goes beyond is added.
		let beyond =
			|cost: fn(u32) -> Weight, n: u32, base: u32| cost(n).saturating_sub(cost(base));
		let (request, scan) = match inline_bytes {
			Some(bytes) => (
				T::WeightInfo::request_job(bytes.clamp(64, MAX_INLINE_INPUT_BYTES), k),
				beyond(T::WeightInfo::scan_providers, scanned, MAX_REDUNDANCY),
			),
			None => (
				T::WeightInfo::request_sealed_job(k),
				beyond(T::WeightInfo::scan_keyed_providers, scanned, MAX_REDUNDANCY),
			),
		};
		let skipped = work.deadlines_skipped.min(MAX_DEADLINE_SPILL);
		request
			.saturating_add(scan)
			.saturating_add(beyond(T::WeightInfo::skip_full_deadlines, skipped, 0))
			.saturating_add(T::WeightInfo::check_ancestors(ancestors))
			.saturating_add(T::WeightInfo::check_licenses(licenses))
	}

	/// The weight of a receipt of `outputs_bytes` that does not complete its job or, with
	/// `Some(lineage)`, completes one by comparing `compared` receipts of at most `outputs_bytes`
	/// each and paying the royalties of `lineage` (ancestors, upstream licenses): the receipt at
	/// the smallest lineage plus the ancestors' and the licensors' royalties. Each count is taken
	/// within the range it was benchmarked over.
	pub(crate) fn receipt_weight(
		outputs_bytes: u32,
		compared: u32,
		lineage: Option<(u32, u32)>,
	) -> Weight {
		let receipt = T::WeightInfo::submit_receipt(
			outputs_bytes.clamp(64, MAX_OUTPUT_BYTES),
			compared.clamp(1, MAX_REDUNDANCY),
		);
		match lineage.map(Self::weighed_lineage) {
			Some((ancestors, licenses)) => receipt
				.saturating_add(T::WeightInfo::pay_ancestor_royalties(ancestors))
				.saturating_add(T::WeightInfo::pay_licensor_royalties(licenses)),
			None => receipt,
		}
	}

	/// [`Self::receipt_weight`] for a sealed receipt: the receipt completing a job of `compared`
	/// receipts (compared by hash; a one-provider job's is the one that queues its audit draw),
	/// and with `Some(lineage)` its royalties. A receipt that does not complete its job is
	/// weighed as completing a one-provider job. `compared` of `MAX_REDUNDANCY` gives the
	/// largest of either.
	pub(crate) fn sealed_receipt_weight(compared: u32, lineage: Option<(u32, u32)>) -> Weight {
		let single = T::WeightInfo::submit_single_sealed_receipt();
		let receipt = match compared {
			0 | 1 => single,
			k if k >= MAX_REDUNDANCY => {
				T::WeightInfo::submit_sealed_receipt(MAX_REDUNDANCY).max(single)
			},
			k => T::WeightInfo::submit_sealed_receipt(k),
		};
		receipt.saturating_add(Self::lineage_weight(lineage))
	}

	/// The weight of paying royalties over `lineage` (ancestors, licenses); zero for `None`.
	pub(crate) fn lineage_weight(lineage: Option<(u32, u32)>) -> Weight {
		match lineage.map(Self::weighed_lineage) {
			Some((ancestors, licenses)) => T::WeightInfo::pay_ancestor_royalties(ancestors)
				.saturating_add(T::WeightInfo::pay_licensor_royalties(licenses)),
			None => Weight::zero(),
		}
	}

	/// `lineage` within the ranges the weights were benchmarked over.
	fn weighed_lineage((ancestors, licenses): (u32, u32)) -> (u32, u32) {
		let (most_ancestors, most_licenses) = Self::largest_lineage();
		(ancestors.min(most_ancestors), licenses.min(most_licenses))
	}

	/// Checks that `model` may serve `requester` at `now`; returns its interface.
	///
	/// # Errors
	/// [`Error::UnknownModel`], [`Error::ModelRevoked`], [`Error::UpstreamRevoked`],
	/// [`Error::UpstreamLicenseInvalid`], [`Error::UpstreamLicenseForbidsInference`] and
	/// [`Error::UsageLicenseRequired`].
	pub(crate) fn check_model(
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

	/// The memory a model needs, in MiB (from its file size).
	pub(crate) fn memory_mib(model: ModelId) -> u32 {
		let size = T::Models::size_bytes(model).unwrap_or_default();
		u32::try_from(size.div_ceil(MIB)).unwrap_or(u32::MAX)
	}

	/// `count` providers for job `job`, with their prices, and how many providers were scanned;
	/// `None` when fewer are eligible.
	///
	/// Eligible: offering `ep`, live, a free job slot, `memory_mib` for the model, `opset` in
	/// range, a price of at most `share`, not in `exclude`, and for a `sealed` job an encryption
	/// key published. Among them the `count` with the
	/// lowest `blake2_256(salt ‖ parent hash ‖ job id ‖ account)` win. For assignment the parent
	/// hash is fixed before the block is built, and the job id before the request is sent, so
	/// neither the block author nor the requester picks providers beyond choosing when to act
	/// (see `docs/jobs.md`).
	#[allow(clippy::too_many_arguments)]
	pub(crate) fn choose(
		salt: &[u8],
		job: JobId,
		ep: ExecutionProvider,
		memory_mib: u32,
		opset: u32,
		share: BalanceOf<T>,
		count: u32,
		exclude: &[T::AccountId],
		sealed: bool,
	) -> (Option<Chosen<T>>, u32) {
		let seed = frame_system::Pallet::<T>::parent_hash();
		let candidates = T::Providers::providers_offering(ep);
		let scanned = candidates.len() as u32;
		let mut scored: Vec<([u8; 32], T::AccountId, BalanceOf<T>)> = candidates
			.into_iter()
			.filter(|who| !exclude.contains(who) && T::Providers::is_eligible(who, ep, memory_mib))
			.filter(|who| !sealed || T::Providers::encryption_key(who).is_some())
			.filter_map(|who| {
				let profile = T::Providers::profile(&who)?;
				let opsets = u32::from(profile.min_opset)..=u32::from(profile.max_opset);
				let price = profile.price_per_job;
				(price <= share && opsets.contains(&opset)).then(|| {
					let mut preimage = salt.to_vec();
					(seed, job, &who).encode_to(&mut preimage);
					let score = sp_io::hashing::blake2_256(&preimage);
					(score, who, price)
				})
			})
			.collect();
		if (scored.len() as u32) < count {
			return (None, scanned);
		}
		scored.sort_by_key(|a| a.0);
		let chosen =
			scored.into_iter().take(count as usize).map(|(_, who, price)| (who, price)).collect();
		(Some(chosen), scanned)
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

	/// Records a receipt of `provider` for `job`: an assigned provider's while the job is open,
	/// a referee's (on CPU) while it is in dispute; for a redundant job, the reveal of the
	/// party's commitment (salted with `salt`) in the phase's reveal phase. The last receipt
	/// expected settles the job when a majority agrees, and otherwise brings its dispute step
	/// forward to the next block.
	/// Returns the receipt's id and the weight of what was done: a receipt that completes an
	/// open job is charged for comparing all its receipts and paying its lineage; any other
	/// for storing itself.
	///
	/// # Errors
	/// [`Error::UnknownJob`], [`Error::JobClosed`], [`Error::InDispute`],
	/// [`Error::NotAssigned`], [`Error::DuplicateReceipt`], [`Error::WrongExecutionProvider`],
	/// [`Error::NotCommitted`], [`Error::RevealPhaseNotOpen`], [`Error::CommitmentMismatch`],
	/// [`Error::OutputsNotCanonical`], [`Error::OutputHashMismatch`] and
	/// [`Error::IdsExhausted`].
	#[allow(clippy::too_many_arguments)]
	pub(crate) fn do_submit_receipt(
		provider: T::AccountId,
		job_id: JobId,
		output_hash: TensorSetHash,
		output: ReceiptOutput,
		checkpoints: Commitment,
		execution_provider: ExecutionProvider,
		runtime_version: RuntimeVersion,
		elapsed_micros: u64,
		salt: CommitmentSalt,
	) -> Result<(ReceiptId, Weight), DispatchError> {
		Self::check_commitment(&checkpoints)?;
		let mut job = Jobs::<T>::get(job_id).ok_or(Error::<T>::UnknownJob)?;
		let commits = Self::commits(&job);
		let disputed = match job.status {
			JobStatus::Open => false,
			JobStatus::Disputed => true,
			_ => Err(Error::<T>::JobClosed)?,
		};
		let (assignments, required) = if disputed {
			ensure!(!job.assigned.iter().any(|a| a.provider == provider), Error::<T>::InDispute);
			(&mut job.referees[..], ExecutionProvider::Cpu)
		} else {
			(&mut job.assigned[..], job.spec.execution_provider)
		};
		let assignment = assignments
			.iter_mut()
			.find(|a| a.provider == provider)
			.ok_or(Error::<T>::NotAssigned)?;
		ensure!(assignment.receipt.is_none(), Error::<T>::DuplicateReceipt);
		ensure!(execution_provider == required, Error::<T>::WrongExecutionProvider);
		if commits {
			let commitment =
				ReceiptCommitments::<T>::get(job_id, &provider).ok_or(Error::<T>::NotCommitted)?;
			ensure!(Self::reveal_open(job_id), Error::<T>::RevealPhaseNotOpen);
			let digest = receipt_commitment(job_id, &provider, &output_hash, &checkpoints, &salt);
			ensure!(commitment.digest == digest, Error::<T>::CommitmentMismatch);
		}
		let sealed = SealedInputs::<T>::contains_key(job_id);
		let outputs_bytes = match &output {
			ReceiptOutput::Inline(outputs) => {
				ensure!(!sealed, Error::<T>::JobIsSealed);
				let decoded = TensorSet::decode_canonical(outputs)
					.map_err(|_| Error::<T>::OutputsNotCanonical)?;
				ensure!(decoded.hash() == output_hash, Error::<T>::OutputHashMismatch);
				outputs.len() as u32
			},
			ReceiptOutput::Sealed(output) => {
				ensure!(sealed, Error::<T>::NotSealed);
				ensure!(output.blob.size_bytes > 0, Error::<T>::InvalidSealedOutput);
				0
			},
		};

		let id = NextReceiptId::<T>::get();
		NextReceiptId::<T>::put(id.checked_add(1).ok_or(Error::<T>::IdsExhausted)?);
		assignment.receipt = Some(id);
		let complete = assignments.iter().all(|a| Self::has_answered(job_id, a, sealed));
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
		match output {
			ReceiptOutput::Inline(outputs) => ReceiptOutputs::<T>::insert(id, outputs),
			ReceiptOutput::Sealed(output) => {
				BlobUses::<T>::insert(output.blob.sha256, job_id, ());
				SealedOutputs::<T>::insert(id, output)
			},
		}
		ReceiptCheckpoints::<T>::insert(id, checkpoints);
		ReceiptsByModel::<T>::insert(job.model_hash, id, ());
		ReceiptsByProvider::<T>::insert(&provider, id, ());
		AssignedJobs::<T>::remove(&provider, job_id);
		// Answering is a sign of life.
		let _ = T::Providers::heartbeat(&provider);
		Self::deposit_event(Event::ReceiptSubmitted {
			receipt: id,
			job: job_id,
			provider,
			output_hash,
		});
		let mut weight = if sealed {
			Self::sealed_receipt_weight(1, None)
		} else {
			Self::receipt_weight(outputs_bytes, 1, None)
		};
		if complete && !disputed {
			let lineage = Some(T::Models::lineage_size(job.model));
			weight = if sealed {
				Self::sealed_receipt_weight(job.spec.redundancy, lineage)
			} else {
				let largest = job
					.assigned
					.iter()
					.filter_map(|a| a.receipt)
					.filter_map(ReceiptOutputs::<T>::decode_len)
					.max()
					.unwrap_or_default();
				Self::receipt_weight(largest as u32, job.spec.redundancy, lineage)
			};
			if let Some(majority) = Self::majority(job_id, &job.assigned, &job.spec) {
				Deadlines::<T>::mutate(job.deadline_at, |jobs| jobs.retain(|j| *j != job_id));
				Self::settle_with_majority(job_id, job, majority);
				return Ok((id, weight.saturating_add(T::OnJobSettled::weight())));
			}
		}
		// Sealed outputs differing by hash that may agree by attestation wait for their parties'
		// attestations, which bring the deadline forward once all are in.
		if complete && !Self::attestable(job_id, &job) {
			Self::bring_forward(job_id, &mut job, now);
		}
		Jobs::<T>::insert(job_id, job);
		Ok((id, weight))
	}

	/// Moves the deadline of `job` to `now`, so that the next block takes its next step, when
	/// that block has room; otherwise the step waits for the deadline it has.
	pub(crate) fn bring_forward(job_id: JobId, job: &mut JobOf<T>, now: BlockNumberFor<T>) {
		if job.deadline_at > now
			&& Deadlines::<T>::try_mutate(now, |jobs| jobs.try_push(job_id)).is_ok()
		{
			Deadlines::<T>::mutate(job.deadline_at, |jobs| jobs.retain(|j| *j != job_id));
			job.deadline_at = now;
		}
	}

	/// Pays the royalties owed on `paid` provider pay for job `job_id` on `model` from the
	/// requester's held fee; returns what was paid.
	pub(crate) fn pay_royalties(
		job_id: JobId,
		requester: &T::AccountId,
		model: ModelId,
		paid: BalanceOf<T>,
	) -> BalanceOf<T> {
		let reason: T::RuntimeHoldReason = HoldReason::JobFee.into();
		let mut royalties_paid = BalanceOf::<T>::zero();
		for (recipient, amount) in Self::royalty_shares(model, paid) {
			if Self::pay(&reason, requester, &recipient, amount) {
				royalties_paid = royalties_paid.saturating_add(amount);
				Self::deposit_event(Event::RoyaltyPaid { job: job_id, recipient, amount });
			}
		}
		royalties_paid
	}

	/// Prunes settled job `job_id` past its retention period.
	///
	/// # Errors
	/// [`Error::UnknownJob`], [`Error::JobNotSettled`] and [`Error::RetentionNotOver`].
	pub(crate) fn do_prune_job(job_id: JobId) -> DispatchResult {
		let job = Jobs::<T>::get(job_id).ok_or(Error::<T>::UnknownJob)?;
		let settled_at = job.settled_at.filter(|_| !job.status.is_live());
		let settled_at = settled_at.ok_or(Error::<T>::JobNotSettled)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			now >= settled_at.saturating_add(T::RetentionPeriod::get()),
			Error::<T>::RetentionNotOver
		);
		ensure!(
			!Audits::<T>::get(job_id).is_some_and(|audit| audit.is_live()),
			Error::<T>::UnderAudit
		);
		Audits::<T>::remove(job_id);
		let mut receipts = 0u32;
		for receipt in job.receipts() {
			ReceiptOutputs::<T>::remove(receipt);
			if let Some(output) = SealedOutputs::<T>::take(receipt) {
				BlobUses::<T>::remove(output.blob.sha256, job_id);
			}
			receipts += 1;
		}
		Self::forget_sealed(job_id);
		let reason: T::RuntimeHoldReason = HoldReason::JobDeposit.into();
		let fee = T::ReceiptRecordFee::get().saturating_mul(receipts.into()).min(job.deposit);
		let burned = T::Currency::burn_held(
			&reason,
			&job.requester,
			fee,
			Precision::BestEffort,
			Fortitude::Force,
		)
		.unwrap_or_default();
		let refunded = T::Currency::release(
			&reason,
			&job.requester,
			job.deposit.saturating_sub(burned),
			Precision::BestEffort,
		)
		.unwrap_or_default();
		Jobs::<T>::remove(job_id);
		Self::deposit_event(Event::JobPruned { job: job_id, refunded, burned });
		Ok(())
	}

	/// The sum of `shares`.
	pub(crate) fn total(shares: &[(T::AccountId, BalanceOf<T>)]) -> BalanceOf<T> {
		shares.iter().fold(BalanceOf::<T>::zero(), |sum, (_, amount)| sum.saturating_add(*amount))
	}

	/// Moves `amount` of `payer`'s held fee to `payee`; whether it moved.
	pub(crate) fn pay(
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
}

/// Receipts as model provenance's evaluations cite them.
impl<T: Config> pallet_model_provenance::ReceiptInspect for Pallet<T> {
	fn model_of(receipt: ReceiptId) -> Option<cairn_inference::ModelHash> {
		Receipts::<T>::get(receipt).map(|r| r.model_hash)
	}
}
