//! Benchmarks of the inference pallet at their worst cases: requests scanning `p` registered
//! providers for a model with a deep, licensed lineage and the largest input; the receipt that
//! completes a five-provider job with the largest outputs agreeing only under the tolerance;
//! deadline settlement of `n` such jobs.

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
	Ok((id, who))
}

/// Submits receipts for the first `count` assigned providers of `job`, the outputs of each
/// slightly different from the previous (agreeing only under the tolerance).
fn answer<T: Config>(job: JobId, count: usize) -> Result<(), BenchmarkError> {
	let assigned = Jobs::<T>::get(job).ok_or(BenchmarkError::Stop("no job"))?.assigned;
	for (i, a) in assigned.iter().take(count).enumerate() {
		let outputs = tensors("y", OUTPUT_LEN, 1.0 + i as f32 * 1e-7, 0.25);
		Pallet::<T>::do_submit_receipt(
			a.provider.clone(),
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

	impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
