//! Benchmarks of the inference pallet: requests scanning `p` registered providers with an input
//! of `i` bytes, and the receipt that completes a `k`-provider job with outputs of `o` bytes
//! agreeing only under the tolerance, each at the smallest lineage; what a lineage of `a`
//! ancestors and `l` upstream licenses adds to them (checking it, paying its royalties),
//! measured apart so that small lineages are charged little; at their worst cases (the largest
//! lineage, input and outputs): deadline settlement of `n` five-provider jobs, a dispute opened
//! over `p` providers, and resolved with eight receipts; pruning a job with eight receipts.
//! Audits at their worst cases: an auditor drawn among `p` providers, its result compared with
//! outputs of `o` bytes agreeing only under the tolerance, the second reveal scanning `p`
//! providers for the referee, a segment input of `b` bytes hashed and stored, the referee's
//! answer and a reveal deadline each slashing a party and paying rewards.

use super::*;
use alloc::{vec, vec::Vec};
use cairn_inference::{
	checkpoints::{Leaves, MAX_LEAVES},
	Commitment, ExecutionProvider, Tensor, TensorSet, TensorSetHash, Tolerance,
};
use codec::Encode;
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Mutate, MutateHold},
	Get, Hooks,
};
use frame_support::BoundedVec;
use frame_system::RawOrigin;
use pallet_compute_registry::{ProviderJobs, ProviderKeys};
use pallet_model_provenance::{MaxAncestors, MaxUpstreamLicenses};
use sp_runtime::traits::{Bounded, One, Saturating, Zero};

mod setup;
use setup::*;
// Not the probe's `answer`.
use setup::answer;

#[benchmarks]
mod benchmarks {
	use super::*;

	/// An input of `i` bytes (encoded) checked, hashed and stored, `k` of five registered
	/// providers assigned; the smallest lineage weighed (its cost is [`check_ancestors`]'s and
	/// [`check_licenses`]'s), five providers scanned (more cost [`scan_providers`]'s).
	#[benchmark]
	fn request_job(
		i: Linear<64, MAX_INLINE_INPUT_BYTES>,
		k: Linear<1, MAX_REDUNDANCY>,
	) -> Result<(), BenchmarkError> {
		for seed in 0..MAX_REDUNDANCY {
			T::BenchmarkHelper::provider(seed, PRICE.into());
		}
		let input_len = elements_within("x", i);
		let model = T::BenchmarkHelper::model(input_len, OUTPUT_LEN, MIN_WEIGHED_ANCESTORS, 0);
		let who = requester::<T>();
		let id = NextJobId::<T>::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(who), model, tensors("x", input_len, 1.0, 0.5).into(), spec::<T>(k));

		assert!(Jobs::<T>::get(id).is_some_and(|j| j.assigned.len() as u32 == k));
		Ok(())
	}

	/// An assignment scanning `p` registered providers (without encryption keys): each read,
	/// checked and scored, the scores sorted, one chosen.
	#[benchmark]
	fn scan_providers(p: Linear<5, { T::MaxCandidates::get() }>) -> Result<(), BenchmarkError> {
		for seed in 0..p {
			T::BenchmarkHelper::provider(seed, PRICE.into());
		}
		let chosen;

		#[block]
		{
			chosen = scan::<T>(false);
		}

		// Every registered provider (the genesis state's too; the registry's bound may keep
		// out the last of `p`).
		assert_eq!(chosen, (true, registered_cpu_providers::<T>()));
		Ok(())
	}

	/// [`scan_providers`] for a sealed job: `p` providers with encryption keys, each key read.
	#[benchmark]
	fn scan_keyed_providers(
		p: Linear<5, { T::MaxCandidates::get() }>,
	) -> Result<(), BenchmarkError> {
		keyed_providers::<T>(0, p)?;
		let chosen;

		#[block]
		{
			chosen = scan::<T>(true);
		}

		// Every registered provider (the genesis state's too; the registry's bound may keep
		// out the last of `p`).
		assert_eq!(chosen, (true, registered_cpu_providers::<T>()));
		Ok(())
	}

	/// What a request reads of a lineage of `a` ancestors without licenses: the lineage check
	/// (every ancestor) and the royalty quote.
	#[benchmark]
	fn check_ancestors(a: Linear<0, { max_ancestors() }>) -> Result<(), BenchmarkError> {
		let (model, who) = lineage_setup::<T>(a, 0)?;
		let recipients;

		#[block]
		{
			recipients = check_and_quote::<T>(&who, model)?;
		}

		assert_eq!(recipients, a + 1);
		Ok(())
	}

	/// What a request reads of `l` upstream licenses (on [`MIN_WEIGHED_ANCESTORS`] ancestors):
	/// the lineage check (every license) and the royalty quote.
	#[benchmark]
	fn check_licenses(l: Linear<0, { max_licenses() }>) -> Result<(), BenchmarkError> {
		let (model, who) = lineage_setup::<T>(MIN_WEIGHED_ANCESTORS, l)?;
		let recipients;

		#[block]
		{
			recipients = check_and_quote::<T>(&who, model)?;
		}

		assert_eq!(recipients, MIN_WEIGHED_ANCESTORS + l + 1);
		Ok(())
	}

	/// The receipt completing a `k`-provider job: all `k` outputs of `o` bytes decoded and
	/// compared under the tolerance, `k` providers paid; the smallest lineage's royalties (the
	/// cost of a lineage's is [`pay_royalties`]'s).
	#[benchmark]
	fn submit_receipt(
		o: Linear<64, MAX_OUTPUT_BYTES>,
		k: Linear<1, MAX_REDUNDANCY>,
	) -> Result<(), BenchmarkError> {
		for seed in 0..k {
			T::BenchmarkHelper::provider(seed, PRICE.into());
		}
		let output_len = elements_within("y", o);
		let model = T::BenchmarkHelper::model(1, output_len, MIN_WEIGHED_ANCESTORS, 0);
		let (job, _) = open_job_of::<T>(model, 1, k)?;
		let providers = assigned::<T>(job)?;
		answer_with::<T>(job, &providers, k as usize - 1, output_len, |_| 0.0)?;
		let last = providers.last().ok_or(BenchmarkError::Stop("no provider"))?.clone();
		let outputs = tensors("y", output_len, 1.0, 0.25);
		let encoded: EncodedOutputs = outputs.encode().try_into().unwrap_or_default();
		let checkpoints = Commitment::of(&leaves(0, None, outputs.hash()));
		committed::<T>(job, &last, &outputs.hash(), &checkpoints);

		#[extrinsic_call]
		_(
			RawOrigin::Signed(last),
			job,
			outputs.hash(),
			encoded,
			checkpoints,
			ExecutionProvider::Cpu,
			Default::default(),
			1,
			SALT,
		);

		assert!(Jobs::<T>::get(job).is_some_and(|j| j.status == JobStatus::Completed));
		Ok(())
	}

	/// Paying the royalties of a lineage of `a` ancestors without licenses, each its own
	/// account, from a requester's held fee.
	#[benchmark]
	fn pay_ancestor_royalties(a: Linear<0, { max_ancestors() }>) -> Result<(), BenchmarkError> {
		let (model, who) = lineage_setup::<T>(a, 0)?;
		let paid;

		#[block]
		{
			paid = Pallet::<T>::pay_royalties(0, &who, model, PRICE.into());
		}

		check_royalties_paid::<T>(model, paid, a + 1)
	}

	/// Paying the royalties of `l` licensors (on [`MIN_WEIGHED_ANCESTORS`] ancestors), each its
	/// own account, from a requester's held fee.
	#[benchmark]
	fn pay_licensor_royalties(l: Linear<0, { max_licenses() }>) -> Result<(), BenchmarkError> {
		let (model, who) = lineage_setup::<T>(MIN_WEIGHED_ANCESTORS, l)?;
		let paid;

		#[block]
		{
			paid = Pallet::<T>::pay_royalties(0, &who, model, PRICE.into());
		}

		check_royalties_paid::<T>(model, paid, MIN_WEIGHED_ANCESTORS + l + 1)
	}

	#[benchmark]
	fn heartbeat() {
		let provider = T::BenchmarkHelper::provider(0, PRICE.into());

		#[extrinsic_call]
		_(RawOrigin::Signed(provider));
	}

	/// A rotation: the provider has a key already.
	#[benchmark]
	fn publish_encryption_key() -> Result<(), BenchmarkError> {
		let provider = T::BenchmarkHelper::provider(0, PRICE.into());
		T::Providers::set_encryption_key(&provider, [9; 32])
			.map_err(|_| BenchmarkError::Stop("the provider takes no encryption key"))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(provider.clone()), [7; 32]);

		assert_eq!(T::Providers::encryption_key(&provider), Some(([7; 32], 2)));
		Ok(())
	}

	/// Raising a quota the account holds already.
	#[benchmark]
	fn set_blob_quota() -> Result<(), BenchmarkError> {
		let who: T::AccountId = account("uploader", 0, 0);
		let _ = T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 4u32.into());
		let max = T::MaxBlobQuota::get();
		Pallet::<T>::do_set_blob_quota(&who, max / 2)
			.map_err(|_| BenchmarkError::Stop("the account cannot hold a quota"))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), max);

		assert_eq!(Pallet::<T>::blob_quota(&who), max);
		Ok(())
	}

	/// A new blob source of the largest size: a CID and two URLs of the longest, the deposit
	/// held.
	#[benchmark]
	fn set_blob_source() -> Result<(), BenchmarkError> {
		use cairn_inference::{
			seal::{BlobLocation, MAX_BLOB_URIS},
			MAX_CID_LEN, MAX_URI_LEN,
		};
		let who: T::AccountId = account("publisher", 0, 0);
		let _ = T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 4u32.into());
		let uri = |n: u8| {
			let mut uri = b"https://".to_vec();
			uri.resize(MAX_URI_LEN as usize, b'a' + n);
			BoundedVec::truncate_from(uri)
		};
		let location = BlobLocation {
			cid: Some(BoundedVec::truncate_from(vec![1; MAX_CID_LEN as usize])),
			uris: BoundedVec::truncate_from((0..MAX_BLOB_URIS as u8).map(uri).collect()),
		};

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), [7; 32], Some(location));

		assert!(BlobSources::<T>::contains_key([7; 32], &who));
		Ok(())
	}

	/// `n` five-provider jobs due, each with four of five receipts in.
	#[benchmark]
	fn on_initialize(n: Linear<0, MAX_JOBS_PER_DEADLINE>) -> Result<(), BenchmarkError> {
		// Four job slots per provider: enough providers for n five-provider jobs, with five spare
		// so that the last job still finds five distinct providers with a free slot.
		for seed in 0..(n * MAX_REDUNDANCY).div_ceil(4) + MAX_REDUNDANCY {
			T::BenchmarkHelper::provider(seed, PRICE.into());
		}
		let model = deepest_model::<T>(INPUT_LEN, OUTPUT_LEN);
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
		let model = deepest_model::<T>(INPUT_LEN, OUTPUT_LEN);
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

	/// Pruning a sealed job with five provider and three referee sealed receipts: its sealed
	/// input, eight key grants, eight sealed outputs, eight agreement attestations, its
	/// agreement window and nine blob uses removed.
	#[benchmark]
	fn prune_sealed_job() -> Result<(), BenchmarkError> {
		keyed_providers::<T>(0, MAX_REDUNDANCY + MAX_REFEREES)?;
		let model = T::BenchmarkHelper::model(1, OUTPUT_LEN, MIN_WEIGHED_ANCESTORS, 0);
		let (job, who) = open_sealed_job::<T>(model, MAX_REDUNDANCY)?;
		let providers = assigned::<T>(job)?;
		deliver_to::<T>(&who, job, &providers)?;
		answer_sealed::<T>(job, &providers, 10, |i| [(i / 2) as u8 + 1; 32])?;
		// The agreement window, then the dispute.
		Pallet::<T>::settle_due(job);
		Pallet::<T>::settle_due(job);
		let referees = referees::<T>(job)?;
		if referees.len() as u32 != MAX_REFEREES {
			return Err(BenchmarkError::Stop("setup dispute not opened"));
		}
		deliver_to::<T>(&who, job, &referees)?;
		answer_sealed::<T>(job, &referees, 20, |_| [1; 32])?;
		// The dispute's agreement window, then its resolution.
		Pallet::<T>::settle_due(job);
		Pallet::<T>::settle_due(job);
		// Every party attested that all the others agree (the largest attestations).
		let parties: Vec<T::AccountId> = providers.iter().chain(&referees).cloned().collect();
		for party in &parties {
			let others: Vec<T::AccountId> =
				parties.iter().filter(|p| *p != party).cloned().collect();
			AgreementAttestations::<T>::insert(job, party, BoundedVec::truncate_from(others));
		}
		let now = frame_system::Pallet::<T>::block_number();
		frame_system::Pallet::<T>::set_block_number(now.saturating_add(T::RetentionPeriod::get()));
		let caller: T::AccountId = whitelisted_caller();

		#[extrinsic_call]
		prune_job(RawOrigin::Signed(caller), job);

		assert!(Jobs::<T>::get(job).is_none());
		assert_eq!(KeyGrants::<T>::iter_prefix(job).count(), 0);
		assert!(!Pallet::<T>::blob_in_use(&sealed_input().blob.sha256));
		Ok(())
	}

	/// A draw that leaves a job unaudited: the hash drawn, the audit record and input removed.
	#[benchmark]
	fn draw_audit() -> Result<(), BenchmarkError> {
		let setup = audited_job::<T>(3, 1, None, true)?;
		Audits::<T>::mutate(setup.job, |a| {
			if let Some(a) = a {
				a.stage = AuditStage::AwaitingDraw;
			}
		});
		let seed = frame_system::Pallet::<T>::parent_hash();
		let drawn;

		#[block]
		{
			drawn = Pallet::<T>::is_drawn(&seed, setup.job);
			Pallet::<T>::drop_undrawn(setup.job);
		}

		assert!(
			Audits::<T>::get(setup.job).is_none()
				&& drawn == Pallet::<T>::is_drawn(&seed, setup.job)
		);
		Ok(())
	}

	/// An auditor drawn among `p` registered providers with encryption keys for a drawn sealed
	/// job (each key read), and granted the content key; an inline job's draw reads no keys.
	/// It also bounds a search that finds no auditor and defers the audit or gives it up,
	/// refunding its fee: the same scan, fewer writes.
	#[benchmark]
	fn open_audit(p: Linear<3, { T::MaxCandidates::get() }>) -> Result<(), BenchmarkError> {
		let (job, _, auditor) = sealed_audited_job::<T>(p, [7; 32])?;
		let _ = T::Providers::release_job_slot(&auditor);
		AuditTasks::<T>::remove(&auditor, job);
		KeyGrants::<T>::remove(job, &auditor);
		let mut audit = Audits::<T>::get(job).ok_or(BenchmarkError::Stop("no audit"))?;
		audit.stage = AuditStage::AwaitingDraw;
		audit.auditor = None;

		#[block]
		{
			Pallet::<T>::open_audit(job, audit);
		}

		assert!(Audits::<T>::get(job).is_some_and(|a| a.stage == AuditStage::Auditing));
		assert!(Audits::<T>::get(job)
			.and_then(|a| a.auditor)
			.is_some_and(|auditor| KeyGrants::<T>::contains_key(job, auditor)));
		Ok(())
	}

	/// A sealed job's auditor answers with the receipt's output hash: the audit passes and the
	/// auditor is paid from the pot.
	#[benchmark]
	fn submit_sealed_audit() -> Result<(), BenchmarkError> {
		let output = [7; 32];
		let (job, who, auditor) = sealed_audited_job::<T>(3, output)?;
		deliver_to::<T>(&who, job, core::slice::from_ref(&auditor))?;

		#[extrinsic_call]
		_(
			RawOrigin::Signed(auditor),
			job,
			output,
			Commitment::of(&[output]),
			ExecutionProvider::Cpu,
			Default::default(),
			1,
			false,
		);

		assert_eq!(verdict_of::<T>(job), Some(AuditVerdict::Passed));
		Ok(())
	}

	/// The requester delivers the content key of a completed sealed job to its auditor: the
	/// job's and its audit's records read.
	#[benchmark]
	fn deliver_audit_key() -> Result<(), BenchmarkError> {
		let (job, who, auditor) = sealed_audited_job::<T>(3, [7; 32])?;
		let envelopes: frame_support::BoundedVec<_, _> = alloc::vec![(auditor.clone(), envelope())]
			.try_into()
			.map_err(|_| BenchmarkError::Stop("too many envelopes"))?;

		#[extrinsic_call]
		deliver_keys(RawOrigin::Signed(who), job, envelopes);

		assert!(KeyGrants::<T>::get(job, auditor).is_some_and(|g| g.envelope.is_some()));
		Ok(())
	}

	/// The auditor's outputs of `o` bytes, agreeing with the receipt's only under the tolerance
	/// (every element compared): the audit passes and the auditor is paid from the pot.
	#[benchmark]
	fn submit_audit(o: Linear<64, MAX_OUTPUT_BYTES>) -> Result<(), BenchmarkError> {
		let setup = audited_job::<T>(3, elements_within("y", o), None, true)?;
		let outputs = &setup.auditor_outputs;
		let encoded: EncodedOutputs = outputs.encode().try_into().unwrap_or_default();

		#[extrinsic_call]
		_(
			RawOrigin::Signed(setup.auditor.clone()),
			setup.job,
			outputs.hash(),
			encoded,
			Commitment::of(&setup.auditor_leaves),
			ExecutionProvider::Cpu,
			Default::default(),
			1,
		);

		assert_eq!(verdict_of::<T>(setup.job), Some(AuditVerdict::Passed));
		Ok(())
	}

	/// The second reveal of a dispute: the most leaves checked against the commitment, the
	/// divergence found and a referee drawn among `p` registered providers.
	#[benchmark]
	fn reveal_checkpoints(p: Linear<3, { T::MaxCandidates::get() }>) -> Result<(), BenchmarkError> {
		let setup = audited_job::<T>(p, 1, Some([0xc0; 32]), false)?;
		answer_audit::<T>(&setup)?;
		Pallet::<T>::do_reveal_checkpoints(
			setup.provider.clone(),
			setup.job,
			setup.provider_leaves.clone(),
		)
		.map_err(|_| BenchmarkError::Stop("setup reveal refused"))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(setup.auditor.clone()), setup.job, setup.auditor_leaves.clone());

		assert!(referee_of::<T>(setup.job).is_ok());
		Ok(())
	}

	/// A segment input of `b` bytes (encoded) checked, hashed against the agreed leaf and
	/// stored, its deposit held.
	#[benchmark]
	fn post_segment_input(b: Linear<64, MAX_SEGMENT_INPUT_BYTES>) -> Result<(), BenchmarkError> {
		let checkpoint = tensors("h", elements_within("h", b), 0.5, 0.125);
		let setup = refereed_job::<T>(3, checkpoint.hash())?;
		let poster = setup.auditor.clone();

		#[extrinsic_call]
		_(RawOrigin::Signed(poster), setup.job, checkpoint);

		assert!(SegmentInputs::<T>::contains_key(setup.job));
		Ok(())
	}

	/// The referee's answer deciding a dispute whose segment input was posted: the provider
	/// slashed, auditor and referee paid, the deposit returned, the audit's storage removed.
	#[benchmark]
	fn submit_referee_answer() -> Result<(), BenchmarkError> {
		let checkpoint = tensors("h", 4, 0.5, 0.125);
		let setup = refereed_job::<T>(3, checkpoint.hash())?;
		Pallet::<T>::do_post_segment_input(setup.auditor.clone(), setup.job, checkpoint)
			.map_err(|_| BenchmarkError::Stop("setup segment input refused"))?;
		let referee = referee_of::<T>(setup.job)?;
		let answer = RefereeAnswer::Leaf(setup.auditor_leaves[2]);

		#[extrinsic_call]
		_(RawOrigin::Signed(referee), setup.job, answer);

		assert_eq!(verdict_of::<T>(setup.job), Some(AuditVerdict::ProviderCaught));
		Ok(())
	}

	/// A reveal deadline passing with only the auditor's leaves in: the provider slashed, the
	/// auditor paid, the audit's storage removed.
	#[benchmark]
	fn close_audit_at_deadline() -> Result<(), BenchmarkError> {
		let setup = audited_job::<T>(3, 1, None, false)?;
		answer_audit::<T>(&setup)?;
		Pallet::<T>::do_reveal_checkpoints(
			setup.auditor.clone(),
			setup.job,
			setup.auditor_leaves.clone(),
		)
		.map_err(|_| BenchmarkError::Stop("setup reveal refused"))?;

		#[block]
		{
			Pallet::<T>::step_audit(setup.job);
		}

		assert_eq!(verdict_of::<T>(setup.job), Some(AuditVerdict::ProviderCaught));
		Ok(())
	}

	/// `k` of five registered providers with encryption keys assigned and granted the content
	/// key; the smallest lineage weighed, five providers scanned (more cost
	/// [`scan_keyed_providers`]'s).
	#[benchmark]
	fn request_sealed_job(k: Linear<1, MAX_REDUNDANCY>) -> Result<(), BenchmarkError> {
		keyed_providers::<T>(0, MAX_REDUNDANCY)?;
		let model = T::BenchmarkHelper::model(1, OUTPUT_LEN, MIN_WEIGHED_ANCESTORS, 0);
		let who = requester::<T>();
		let id = NextJobId::<T>::get();

		#[extrinsic_call]
		request_job(RawOrigin::Signed(who), model, JobInput::Sealed(sealed_input()), spec::<T>(k));

		assert_eq!(KeyGrants::<T>::iter_prefix(id).count() as u32, k);
		Ok(())
	}

	/// A request's deadline passing over `d` full blocks before one with room.
	#[benchmark]
	fn skip_full_deadlines(d: Linear<0, MAX_DEADLINE_SPILL>) -> Result<(), BenchmarkError> {
		let first = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
		let full: Vec<JobId> =
			(0..u64::from(MAX_JOBS_PER_DEADLINE)).map(|j| j + 1_000_000).collect();
		let full: frame_support::BoundedVec<_, _> =
			full.try_into().map_err(|_| BenchmarkError::Stop("too many deadlines"))?;
		let mut at = first;
		for _ in 0..d {
			Deadlines::<T>::insert(at, full.clone());
			at = at.saturating_add(One::one());
		}
		let scheduled;

		#[block]
		{
			scheduled = Pallet::<T>::schedule_deadline(0, first, MAX_DEADLINE_SPILL + 1);
		}

		assert_eq!(scheduled, Some((at, d)));
		Ok(())
	}

	/// The requester delivers `n` envelopes: a five-provider sealed job's and its referees'.
	#[benchmark]
	fn deliver_keys(n: Linear<1, MAX_KEY_GRANTS>) -> Result<(), BenchmarkError> {
		let all = keyed_providers::<T>(0, MAX_KEY_GRANTS)?;
		let model = T::BenchmarkHelper::model(1, OUTPUT_LEN, MIN_WEIGHED_ANCESTORS, 0);
		let (job, who) = open_sealed_job::<T>(model, MAX_REDUNDANCY)?;
		let mut parties = assigned::<T>(job)?;
		let now = frame_system::Pallet::<T>::block_number();
		for other in all {
			if !parties.contains(&other) {
				Pallet::<T>::grant_key(job, &other, cairn_inference::seal::KeyRole::Referee, now)
					.map_err(|_| BenchmarkError::Stop("grant refused"))?;
				parties.push(other);
			}
		}
		let envelopes: Vec<_> =
			parties.iter().take(n as usize).map(|p| (p.clone(), envelope())).collect();
		let envelopes: frame_support::BoundedVec<_, _> =
			envelopes.try_into().map_err(|_| BenchmarkError::Stop("too many envelopes"))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(who), job, envelopes);

		let delivered =
			KeyGrants::<T>::iter_prefix(job).filter(|(_, grant)| grant.envelope.is_some()).count();
		assert_eq!(delivered as u32, n);
		Ok(())
	}

	/// The attestation completing a majority of a `k`-provider sealed job whose outputs all
	/// differ by hash: the others attested that every answer agrees with theirs, the last does
	/// now; `k` receipts and attestations read, `k` providers paid; the smallest lineage's
	/// royalties.
	#[benchmark]
	fn attest_agreement(k: Linear<2, MAX_REDUNDANCY>) -> Result<(), BenchmarkError> {
		let (job, providers) = delivered_sealed_job::<T>(k)?;
		answer_sealed::<T>(job, &providers, 10, |i| [i as u8 + 1; 32])?;
		let others = |party: &T::AccountId| {
			let others: Vec<T::AccountId> =
				providers.iter().filter(|p| *p != party).cloned().collect();
			BoundedVec::truncate_from(others)
		};
		for party in providers.iter().skip(1) {
			AgreementAttestations::<T>::insert(job, party, others(party));
		}
		let first = providers.first().ok_or(BenchmarkError::Stop("no provider"))?.clone();
		let agreeing = others(&first);

		#[extrinsic_call]
		_(RawOrigin::Signed(first), job, agreeing);

		assert!(Jobs::<T>::get(job).is_some_and(|j| j.status == JobStatus::Completed));
		Ok(())
	}

	/// A `k`-provider sealed job due with outputs all differing by hash, no majority and the
	/// last attestation missing: `k` receipts and attestations read (twice), the agreement
	/// window opened and the deadline moved.
	#[benchmark]
	fn open_agreement_window(k: Linear<2, MAX_REDUNDANCY>) -> Result<(), BenchmarkError> {
		let (job, providers) = delivered_sealed_job::<T>(k)?;
		answer_sealed::<T>(job, &providers, 10, |i| [i as u8 + 1; 32])?;
		for party in providers.iter().take(k as usize - 1) {
			AgreementAttestations::<T>::insert(job, party, BoundedVec::new());
		}

		#[block]
		{
			Pallet::<T>::settle_due(job);
		}

		assert!(AgreementWindows::<T>::contains_key(job));
		assert!(Jobs::<T>::get(job).is_some_and(|j| j.status == JobStatus::Open));
		Ok(())
	}

	/// The last commitment of a `k`-provider job due within the reveal window: `k` parties
	/// checked for commitments, the reveal phase opened and the deadline moved.
	#[benchmark]
	fn commit_receipt(k: Linear<2, MAX_REDUNDANCY>) -> Result<(), BenchmarkError> {
		for seed in 0..k {
			T::BenchmarkHelper::provider(seed, PRICE.into());
		}
		let model = T::BenchmarkHelper::model(1, 1, MIN_WEIGHED_ANCESTORS, 0);
		let (job, _) = open_job_of::<T>(model, 1, k)?;
		let providers = assigned::<T>(job)?;
		for provider in providers.iter().take(k as usize - 1) {
			Pallet::<T>::do_commit_receipt(provider.clone(), job, [1; 32])
				.map_err(|_| BenchmarkError::Stop("setup commitment refused"))?;
		}
		let deadline = Jobs::<T>::get(job).ok_or(BenchmarkError::Stop("no job"))?.deadline_at;
		frame_system::Pallet::<T>::set_block_number(deadline);
		let last = providers.last().ok_or(BenchmarkError::Stop("no provider"))?.clone();

		#[extrinsic_call]
		_(RawOrigin::Signed(last), job, [2; 32]);

		assert!(RevealPhases::<T>::contains_key(job));
		assert!(Jobs::<T>::get(job).is_some_and(|j| j.deadline_at > deadline));
		Ok(())
	}

	/// A `k`-provider job due with every party committed and none revealed: `k` parties
	/// checked, the reveal window opened and the deadline moved.
	#[benchmark]
	fn open_reveal_window(k: Linear<2, MAX_REDUNDANCY>) -> Result<(), BenchmarkError> {
		for seed in 0..k {
			T::BenchmarkHelper::provider(seed, PRICE.into());
		}
		let model = T::BenchmarkHelper::model(1, 1, MIN_WEIGHED_ANCESTORS, 0);
		let (job, _) = open_job_of::<T>(model, 1, k)?;
		let now = frame_system::Pallet::<T>::block_number();
		for provider in assigned::<T>(job)? {
			let commitment = ReceiptCommitment { digest: [1; 32], committed_at: now };
			ReceiptCommitments::<T>::insert(job, provider, commitment);
		}
		let deadline = Jobs::<T>::get(job).ok_or(BenchmarkError::Stop("no job"))?.deadline_at;
		frame_system::Pallet::<T>::set_block_number(deadline.saturating_add(One::one()));

		#[block]
		{
			Pallet::<T>::settle_due(job);
		}

		assert!(RevealPhases::<T>::contains_key(job));
		assert!(Jobs::<T>::get(job).is_some_and(|j| j.deadline_at > deadline));
		Ok(())
	}

	/// The sealed receipt completing a `k`-provider sealed job (`k` of 2 or more): all `k`
	/// output hashes compared, `k` providers paid; the smallest lineage's royalties.
	#[benchmark]
	fn submit_sealed_receipt(k: Linear<2, MAX_REDUNDANCY>) -> Result<(), BenchmarkError> {
		let (job, last, output_hash) = sealed_job_but_one_receipt::<T>(k)?;
		committed::<T>(job, &last, &output_hash, &Commitment::of(&[output_hash]));

		#[extrinsic_call]
		_(
			RawOrigin::Signed(last),
			job,
			output_hash,
			sealed_output(),
			Commitment::of(&[output_hash]),
			ExecutionProvider::Cpu,
			Default::default(),
			1,
			SALT,
		);

		assert!(Jobs::<T>::get(job).is_some_and(|j| j.status == JobStatus::Completed));
		Ok(())
	}

	/// The sealed receipt of a one-provider sealed job: the provider paid, the smallest
	/// lineage's royalties, the audit fee charged and the audit draw queued.
	#[benchmark]
	fn submit_single_sealed_receipt() -> Result<(), BenchmarkError> {
		let (job, last, output_hash) = sealed_job_but_one_receipt::<T>(1)?;

		#[extrinsic_call]
		submit_sealed_receipt(
			RawOrigin::Signed(last),
			job,
			output_hash,
			sealed_output(),
			Commitment::of(&[output_hash]),
			ExecutionProvider::Cpu,
			Default::default(),
			1,
			SALT,
		);

		assert!(Jobs::<T>::get(job).is_some_and(|j| j.status == JobStatus::Completed));
		Ok(())
	}

	/// The last of a five-provider sealed job's providers reports its input unusable: the job's
	/// settlement is brought forward.
	#[benchmark]
	fn report_unusable() -> Result<(), BenchmarkError> {
		keyed_providers::<T>(0, MAX_REDUNDANCY)?;
		let model = T::BenchmarkHelper::model(1, OUTPUT_LEN, MIN_WEIGHED_ANCESTORS, 0);
		let (job, who) = open_sealed_job::<T>(model, MAX_REDUNDANCY)?;
		let providers = assigned::<T>(job)?;
		deliver_to::<T>(&who, job, &providers)?;
		let reason = cairn_inference::seal::UnusableReason::CannotDecrypt;
		for provider in providers.iter().take(providers.len() - 1) {
			Pallet::<T>::do_report_unusable(provider, job, reason)
				.map_err(|_| BenchmarkError::Stop("setup report refused"))?;
		}
		let last = providers.last().ok_or(BenchmarkError::Stop("no provider"))?.clone();

		#[extrinsic_call]
		_(RawOrigin::Signed(last), job, reason);

		// Settled in the next block (the harness may have moved to block 1 after the setup).
		let now = frame_system::Pallet::<T>::block_number();
		assert!(Jobs::<T>::get(job).is_some_and(|j| j.deadline_at == now));
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
