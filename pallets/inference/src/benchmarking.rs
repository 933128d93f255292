//! Benchmarks of the inference pallet at their worst cases: requests scanning `p` registered
//! providers for a model with a deep, licensed lineage and the largest input; the receipt that
//! completes a five-provider job with the largest outputs agreeing only under the tolerance;
//! deadline settlement of `n` such jobs; a dispute opened over `p` providers, and resolved with
//! eight receipts; pruning a job with eight receipts.

use super::*;
use alloc::{vec, vec::Vec};
use cairn_inference::{ExecutionProvider, Tensor, TensorSet, Tolerance};
use codec::Encode;
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, Get, Hooks};
use frame_system::RawOrigin;
use sp_runtime::traits::{Bounded, One, Saturating};

/// Each benchmark provider's price: large enough that every royalty share is paid.
const PRICE: u32 = 1_000_000_000;

/// Elements of the largest f32 input that fits [`MAX_INPUT_BYTES`] encoded.
const INPUT_LEN: u32 = (MAX_INPUT_BYTES - 512) / 4;
/// Elements of the largest f32 output that fits [`MAX_OUTPUT_BYTES`] encoded.
const OUTPUT_LEN: u32 = (MAX_OUTPUT_BYTES - 512) / 4;

/// An f32 tensor set of one tensor `name` with `len` elements, each `value` plus its index
/// times `step`.
fn tensors(name: &str, len: u32, value: f32, step: f32) -> TensorSet {
	let values: Vec<f32> = (0..len).map(|i| value + i as f32 * step).collect();
	let tensor = Tensor::from_f32(name, &[1, len.into()], &values)
		.or_else(|_| Tensor::from_f32(name, &[1], &[value]))
		.expect("a one-element tensor is valid");
	TensorSet::new(vec![tensor]).expect("one tensor is canonical")
}

/// A funded requester.
fn requester<T: Config>() -> T::AccountId {
	let who: T::AccountId = account("requester", 0, 0);
	let _ = T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 4u32.into());
	who
}

/// The spec of a benchmark job: a fee covering any price, redundancy `k`, a tolerance.
fn spec<T: Config>(k: u32) -> JobSpecOf<T> {
	JobSpec {
		max_fee: BalanceOf::<T>::max_value() / 1_000_000u32.into(),
		redundancy: k,
		deadline: T::MaxDeadline::get(),
		execution_provider: ExecutionProvider::Cpu,
		tolerance: Tolerance { absolute_nano: 1_000, relative_nano: 1_000 },
		usage_license: None,
	}
}

/// Requests a five-provider job with the largest input; returns it.
fn open_job<T: Config>(model: ModelId) -> Result<(JobId, T::AccountId), BenchmarkError> {
	let who = requester::<T>();
	let id = Pallet::<T>::do_request_job(
		who.clone(),
		model,
		tensors("x", INPUT_LEN, 1.0, 0.5),
		spec::<T>(MAX_REDUNDANCY),
	)
	.map_err(|_| BenchmarkError::Stop("setup job refused"))?;
	Ok((id.0, who))
}

/// Submits receipts for the first `count` of `providers` for `job`, the outputs of the `i`-th
/// `1.0 + group(i)` plus `i · 1e-7` (agreeing within a group only under the tolerance).
fn answer_as<T: Config>(
	job: JobId,
	providers: &[T::AccountId],
	count: usize,
	group: impl Fn(usize) -> f32,
) -> Result<(), BenchmarkError> {
	for (i, provider) in providers.iter().take(count).enumerate() {
		let outputs = tensors("y", OUTPUT_LEN, 1.0 + group(i) + i as f32 * 1e-7, 0.25);
		Pallet::<T>::do_submit_receipt(
			provider.clone(),
			job,
			outputs.hash(),
			outputs.encode().try_into().unwrap_or_default(),
			ExecutionProvider::Cpu,
			Default::default(),
			1,
		)
		.map_err(|_| BenchmarkError::Stop("setup receipt refused"))?;
	}
	Ok(())
}

/// The assigned providers of `job`.
fn assigned<T: Config>(job: JobId) -> Result<Vec<T::AccountId>, BenchmarkError> {
	let job = Jobs::<T>::get(job).ok_or(BenchmarkError::Stop("no job"))?;
	Ok(job.assigned.iter().map(|a| a.provider.clone()).collect())
}

/// The referees of `job`.
fn referees<T: Config>(job: JobId) -> Result<Vec<T::AccountId>, BenchmarkError> {
	let job = Jobs::<T>::get(job).ok_or(BenchmarkError::Stop("no job"))?;
	Ok(job.referees.iter().map(|a| a.provider.clone()).collect())
}

/// Submits receipts for the first `count` assigned providers of `job`, all agreeing only under
/// the tolerance.
fn answer<T: Config>(job: JobId, count: usize) -> Result<(), BenchmarkError> {
	answer_as::<T>(job, &assigned::<T>(job)?, count, |_| 0.0)
}

/// Answers all five providers of `job` in groups {0, 1}, {2, 3}, {4} (each pair agreeing only
/// under the tolerance, so that every comparison reads whole outputs, and no majority).
fn answer_split<T: Config>(job: JobId) -> Result<(), BenchmarkError> {
	answer_as::<T>(job, &assigned::<T>(job)?, MAX_REDUNDANCY as usize, |i| (i / 2) as f32)
}

/// A five-provider job in dispute whose referees all answered alike (the reference), ready to be
/// resolved.
fn answered_dispute<T: Config>() -> Result<JobId, BenchmarkError> {
	for seed in 0..MAX_REDUNDANCY + MAX_REFEREES {
		T::BenchmarkHelper::provider(seed, PRICE.into());
	}
	let model = T::BenchmarkHelper::model(INPUT_LEN, OUTPUT_LEN);
	let job = disputed_job::<T>(model)?;
	let referees = referees::<T>(job)?;
	answer_as::<T>(job, &referees, referees.len(), |_| 0.0)?;
	Ok(job)
}

/// A five-provider job in dispute, with all referees assigned and no referee answer yet.
fn disputed_job<T: Config>(model: ModelId) -> Result<JobId, BenchmarkError> {
	let (job, _) = open_job::<T>(model)?;
	answer_split::<T>(job)?;
	Pallet::<T>::settle_due(job);
	let record = Jobs::<T>::get(job).ok_or(BenchmarkError::Stop("no job"))?;
	if record.status != JobStatus::Disputed {
		return Err(BenchmarkError::Stop("setup dispute not opened"));
	}
	Ok(job)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// `p` registered providers scanned, the deepest licensed lineage, the largest input.
	#[benchmark]
	fn request_job(p: Linear<5, { T::MaxCandidates::get() }>) -> Result<(), BenchmarkError> {
		for seed in 0..p {
			T::BenchmarkHelper::provider(seed, PRICE.into());
		}
		let model = T::BenchmarkHelper::model(INPUT_LEN, OUTPUT_LEN);
		let who = requester::<T>();
		let id = NextJobId::<T>::get();

		#[extrinsic_call]
		_(
			RawOrigin::Signed(who),
			model,
			tensors("x", INPUT_LEN, 1.0, 0.5),
			spec::<T>(MAX_REDUNDANCY),
		);

		assert!(Jobs::<T>::get(id).is_some_and(|j| j.assigned.len() as u32 == MAX_REDUNDANCY));
		Ok(())
	}

	/// The receipt completing a five-provider job: all five outputs decoded and compared under
	/// the tolerance, five providers paid, the lineage's royalties paid.
	#[benchmark]
	fn submit_receipt(o: Linear<64, MAX_OUTPUT_BYTES>) -> Result<(), BenchmarkError> {
		for seed in 0..MAX_REDUNDANCY {
			T::BenchmarkHelper::provider(seed, PRICE.into());
		}
		let model = T::BenchmarkHelper::model(INPUT_LEN, OUTPUT_LEN);
		let (job, _) = open_job::<T>(model)?;
		answer::<T>(job, MAX_REDUNDANCY as usize - 1)?;
		let last = Jobs::<T>::get(job).ok_or(BenchmarkError::Stop("no job"))?.assigned
			[MAX_REDUNDANCY as usize - 1]
			.provider
			.clone();
		let len = (o.saturating_sub(64) / 4).clamp(1, OUTPUT_LEN);
		let outputs = tensors("y", len, 1.0, 0.25);
		let encoded: EncodedOutputs = outputs.encode().try_into().unwrap_or_default();

		#[extrinsic_call]
		_(
			RawOrigin::Signed(last),
			job,
			outputs.hash(),
			encoded,
			ExecutionProvider::Cpu,
			Default::default(),
			1,
		);

		assert!(Jobs::<T>::get(job).is_some_and(|j| j.status != JobStatus::Open));
		Ok(())
	}

	#[benchmark]
	fn heartbeat() {
		let provider = T::BenchmarkHelper::provider(0, PRICE.into());

		#[extrinsic_call]
		_(RawOrigin::Signed(provider));
	}

	/// `n` five-provider jobs due, each with four of five receipts in.
	#[benchmark]
	fn on_initialize(n: Linear<0, MAX_JOBS_PER_DEADLINE>) -> Result<(), BenchmarkError> {
		// Four job slots per provider: enough providers for n five-provider jobs, with five spare
		// so that the last job still finds five distinct providers with a free slot.
		for seed in 0..(n * MAX_REDUNDANCY).div_ceil(4) + MAX_REDUNDANCY {
			T::BenchmarkHelper::provider(seed, PRICE.into());
		}
		let model = T::BenchmarkHelper::model(INPUT_LEN, OUTPUT_LEN);
		let mut jobs = Vec::new();
		for _ in 0..n {
			let (job, _) = open_job::<T>(model)?;
			answer::<T>(job, MAX_REDUNDANCY as usize - 1)?;
			jobs.push(job);
		}
		let due = frame_system::Pallet::<T>::block_number().saturating_add(T::MaxDeadline::get());
		let next = due.saturating_add(One::one());

		#[block]
		{
			Pallet::<T>::on_initialize(next);
		}

		assert!(jobs
			.iter()
			.all(|j| Jobs::<T>::get(j).is_some_and(|j| j.status != JobStatus::Open)));
		Ok(())
	}

	/// A dispute opened over a five-provider job whose largest outputs form no majority (pairs
	/// agreeing only under the tolerance): five outputs decoded and compared, `p` CPU providers
	/// scanned for the referees, royalties computed twice.
	#[benchmark]
	fn open_dispute(
		p: Linear<{ MAX_REDUNDANCY + MAX_REFEREES }, { T::MaxCandidates::get() }>,
	) -> Result<(), BenchmarkError> {
		for seed in 0..p {
			T::BenchmarkHelper::provider(seed, PRICE.into());
		}
		let model = T::BenchmarkHelper::model(INPUT_LEN, OUTPUT_LEN);
		let (job, _) = open_job::<T>(model)?;
		answer_split::<T>(job)?;

		#[block]
		{
			Pallet::<T>::settle_due(job);
		}

		assert!(Jobs::<T>::get(job).is_some_and(|j| j.status == JobStatus::Disputed));
		Ok(())
	}

	/// A dispute resolved by its referees: five provider and three referee receipts with the
	/// largest outputs decoded, the referees agreeing only under the tolerance, each provider
	/// compared with the reference; providers paid and slashed, referees paid, royalties paid.
	#[benchmark]
	fn resolve_dispute() -> Result<(), BenchmarkError> {
		let job = answered_dispute::<T>()?;

		#[block]
		{
			Pallet::<T>::settle_due(job);
		}

		assert!(Jobs::<T>::get(job).is_some_and(|j| j.status == JobStatus::Completed));
		Ok(())
	}

	/// Pruning a job with five provider and three referee receipts.
	#[benchmark]
	fn prune_job() -> Result<(), BenchmarkError> {
		let job = answered_dispute::<T>()?;
		Pallet::<T>::settle_due(job);
		let now = frame_system::Pallet::<T>::block_number();
		frame_system::Pallet::<T>::set_block_number(now.saturating_add(T::RetentionPeriod::get()));
		let caller: T::AccountId = whitelisted_caller();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), job);

		assert!(Jobs::<T>::get(job).is_none());
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
