//! What the benchmarks set up: providers, models, jobs in every state, audits.

use super::*;

/// Each benchmark provider's price: large enough that every royalty share is paid.
pub(super) const PRICE: u32 = 1_000_000_000;

/// The salt of every benchmark receipt's commitment.
pub(super) const SALT: CommitmentSalt = [5; 32];

/// Commits `party` to a receipt of `job` with `output_hash` and `checkpoints` (salted with
/// [`SALT`]) and opens the job's reveal phase, as every party having committed does: what a
/// redundant job's receipt needs before it is revealed. Nothing for a one-provider job.
pub(super) fn committed<T: Config>(
	job: JobId,
	party: &T::AccountId,
	output_hash: &TensorSetHash,
	checkpoints: &Commitment,
) {
	if !Jobs::<T>::get(job).is_some_and(|record| Pallet::<T>::commits(&record)) {
		return;
	}
	let now = frame_system::Pallet::<T>::block_number();
	let digest = receipt_commitment(job, party, output_hash, checkpoints, &SALT);
	ReceiptCommitments::<T>::insert(job, party, ReceiptCommitment { digest, committed_at: now });
	RevealPhases::<T>::insert(job, now);
}

/// Elements of the largest f32 input that fits [`MAX_INLINE_INPUT_BYTES`] encoded.
pub(super) const INPUT_LEN: u32 = (MAX_INLINE_INPUT_BYTES - 512) / 4;
/// Elements of the largest f32 output that fits [`MAX_OUTPUT_BYTES`] encoded.
pub(super) const OUTPUT_LEN: u32 = (MAX_OUTPUT_BYTES - 512) / 4;

/// The most ancestors a model has.
pub(super) fn max_ancestors() -> u32 {
	<MaxAncestors as Get<u32>>::get()
}

/// The most upstream licenses a model has.
pub(super) fn max_licenses() -> u32 {
	<MaxUpstreamLicenses as Get<u32>>::get()
}

/// A model with the largest lineage and an interface of `input_len` and `output_len` elements.
pub(super) fn deepest_model<T: Config>(input_len: u32, output_len: u32) -> ModelId {
	T::BenchmarkHelper::model(input_len, output_len, max_ancestors(), max_licenses())
}

/// The most elements of a one-tensor f32 set named `name` whose encoding fits `bytes`
/// (at least one).
pub(super) fn elements_within(name: &str, bytes: u32) -> u32 {
	let overhead = tensors(name, 1, 1.0, 0.0).encoded_size() as u32 - 4;
	let mut len = (bytes.saturating_sub(overhead) / 4).max(1);
	while len > 1 && tensors(name, len, 1.0, 0.0).encoded_size() as u32 > bytes {
		len -= 1;
	}
	len
}

/// An f32 tensor set of one tensor `name` with `len` elements, each `value` plus its index
/// times `step`.
pub(super) fn tensors(name: &str, len: u32, value: f32, step: f32) -> TensorSet {
	let values: Vec<f32> = (0..len).map(|i| value + i as f32 * step).collect();
	let tensor = Tensor::from_f32(name, &[1, len.into()], &values)
		.or_else(|_| Tensor::from_f32(name, &[1], &[value]))
		.expect("a one-element tensor is valid");
	TensorSet::new(vec![tensor]).expect("one tensor is canonical")
}

/// A funded requester.
pub(super) fn requester<T: Config>() -> T::AccountId {
	let who: T::AccountId = account("requester", 0, 0);
	let _ = T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 4u32.into());
	who
}

/// The spec of a benchmark job: a fee covering any price, redundancy `k`, a tolerance.
pub(super) fn spec<T: Config>(k: u32) -> JobSpecOf<T> {
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
pub(super) fn open_job<T: Config>(model: ModelId) -> Result<(JobId, T::AccountId), BenchmarkError> {
	open_job_of::<T>(model, INPUT_LEN, MAX_REDUNDANCY)
}

/// Requests a `k`-provider job with an input of `input_len` elements; returns it.
pub(super) fn open_job_of<T: Config>(
	model: ModelId,
	input_len: u32,
	k: u32,
) -> Result<(JobId, T::AccountId), BenchmarkError> {
	let who = requester::<T>();
	let id = Pallet::<T>::do_request_job(
		who.clone(),
		model,
		tensors("x", input_len, 1.0, 0.5).into(),
		spec::<T>(k),
	)
	.map_err(|_| BenchmarkError::Stop("setup job refused"))?;
	Ok((id.0, who))
}

/// Submits receipts for the first `count` of `providers` for `job`, the outputs of the `i`-th
/// `1.0 + group(i)` plus `i · 1e-7` (agreeing within a group only under the tolerance).
pub(super) fn answer_as<T: Config>(
	job: JobId,
	providers: &[T::AccountId],
	count: usize,
	group: impl Fn(usize) -> f32,
) -> Result<(), BenchmarkError> {
	answer_with::<T>(job, providers, count, OUTPUT_LEN, group)
}

/// [`answer_as`] with outputs of `output_len` elements.
pub(super) fn answer_with<T: Config>(
	job: JobId,
	providers: &[T::AccountId],
	count: usize,
	output_len: u32,
	group: impl Fn(usize) -> f32,
) -> Result<(), BenchmarkError> {
	for (i, provider) in providers.iter().take(count).enumerate() {
		let outputs = tensors("y", output_len, 1.0 + group(i) + i as f32 * 1e-7, 0.25);
		committed::<T>(job, provider, &outputs.hash(), &Commitment::of(&[outputs.hash()]));
		Pallet::<T>::do_submit_receipt(
			provider.clone(),
			job,
			outputs.hash(),
			ReceiptOutput::Inline(outputs.encode().try_into().unwrap_or_default()),
			Commitment::of(&[outputs.hash()]),
			ExecutionProvider::Cpu,
			Default::default(),
			1,
			SALT,
		)
		.map_err(|_| BenchmarkError::Stop("setup receipt refused"))?;
	}
	Ok(())
}

/// An X25519 public key distinct by `seed` (none of small order).
pub(super) fn encryption_key(seed: u32) -> cairn_inference::seal::EncryptionPublicKey {
	let mut key = [9u8; 32];
	key[..4].copy_from_slice(&seed.to_le_bytes());
	key
}

/// Registers providers `from..to` at [`PRICE`], each with an encryption key; returns those the
/// registry took (a chain's genesis providers may leave no room for the last).
pub(super) fn keyed_providers<T: Config>(
	from: u32,
	to: u32,
) -> Result<Vec<T::AccountId>, BenchmarkError> {
	Ok((from..to)
		.filter_map(|seed| {
			let who = T::BenchmarkHelper::provider(seed, PRICE.into());
			T::Providers::set_encryption_key(&who, encryption_key(seed)).ok().map(|_| who)
		})
		.collect())
}

/// A sealed input (what the chain sees of one: hashes, a size, the output key).
pub(super) fn sealed_input() -> cairn_inference::seal::SealedInput {
	cairn_inference::seal::SealedInput {
		plaintext_hash: [1; 32],
		blob: cairn_inference::seal::BlobRef { sha256: [2; 32], size_bytes: 602_160 },
		output_key: encryption_key(u32::MAX),
	}
}

/// How many CPU providers the genesis state already registers (the dev chain has some).
pub(super) fn registered_cpu_providers<T: Config>() -> u32 {
	<T::Providers as pallet_compute_registry::ProviderInspect<_>>::providers_offering(
		ExecutionProvider::Cpu,
	)
	.len() as u32
}

/// One provider chosen for a CPU job on a one-mebibyte model among every registered one (with
/// an encryption key when `sealed`): whether one was, and how many were scanned.
pub(super) fn scan<T: Config>(sealed: bool) -> (bool, u32) {
	let (chosen, scanned) = Pallet::<T>::choose(
		b"cairn/assign",
		0,
		ExecutionProvider::Cpu,
		1,
		13,
		PRICE.into(),
		1,
		&[],
		sealed,
	);
	(chosen.is_some(), scanned)
}

/// Requests a sealed `k`-provider job on `model`; returns it and its requester.
pub(super) fn open_sealed_job<T: Config>(
	model: ModelId,
	k: u32,
) -> Result<(JobId, T::AccountId), BenchmarkError> {
	let who = requester::<T>();
	let (id, _) = Pallet::<T>::do_request_job(
		who.clone(),
		model,
		JobInput::Sealed(sealed_input()),
		spec::<T>(k),
	)
	.map_err(|_| BenchmarkError::Stop("setup sealed job refused"))?;
	Ok((id, who))
}

/// An envelope (its bytes do not matter to the chain, which cannot open it).
pub(super) fn envelope() -> cairn_inference::seal::KeyEnvelope {
	cairn_inference::seal::KeyEnvelope { ephemeral: [3; 32], nonce: [4; 12], sealed_key: [5; 48] }
}

/// Delivers `job`'s key to each of `parties` as its requester `who`.
pub(super) fn deliver_to<T: Config>(
	who: &T::AccountId,
	job: JobId,
	parties: &[T::AccountId],
) -> Result<(), BenchmarkError> {
	let envelopes: Vec<_> = parties.iter().map(|p| (p.clone(), envelope())).collect();
	let envelopes = envelopes.try_into().map_err(|_| BenchmarkError::Stop("too many envelopes"))?;
	Pallet::<T>::do_deliver_keys(who, job, envelopes)
		.map_err(|_| BenchmarkError::Stop("setup delivery refused"))
}

/// Sealed outputs (a blob on the provider's node and its key wrapped to the requester).
pub(super) fn sealed_output() -> cairn_inference::seal::SealedOutput {
	sealed_output_of(6)
}

/// Sealed outputs in a blob distinct by `seed`.
pub(super) fn sealed_output_of(seed: u8) -> cairn_inference::seal::SealedOutput {
	cairn_inference::seal::SealedOutput {
		blob: cairn_inference::seal::BlobRef { sha256: [seed; 32], size_bytes: 4_096 },
		envelope: envelope(),
	}
}

/// Sealed receipts of `parties` for `job`, the `i`-th with output hash `hash(i)` and an output
/// blob of its own.
pub(super) fn answer_sealed<T: Config>(
	job: JobId,
	parties: &[T::AccountId],
	first_blob: u8,
	hash: impl Fn(usize) -> TensorSetHash,
) -> Result<(), BenchmarkError> {
	for (i, party) in parties.iter().enumerate() {
		let output_hash = hash(i);
		committed::<T>(job, party, &output_hash, &Commitment::of(&[output_hash]));
		Pallet::<T>::do_submit_receipt(
			party.clone(),
			job,
			output_hash,
			ReceiptOutput::Sealed(sealed_output_of(first_blob.saturating_add(i as u8))),
			Commitment::of(&[output_hash]),
			ExecutionProvider::Cpu,
			Default::default(),
			1,
			SALT,
		)
		.map_err(|_| BenchmarkError::Stop("setup sealed receipt refused"))?;
	}
	Ok(())
}

/// The assigned providers of `job`.
pub(super) fn assigned<T: Config>(job: JobId) -> Result<Vec<T::AccountId>, BenchmarkError> {
	let job = Jobs::<T>::get(job).ok_or(BenchmarkError::Stop("no job"))?;
	Ok(job.assigned.iter().map(|a| a.provider.clone()).collect())
}

/// The referees of `job`.
pub(super) fn referees<T: Config>(job: JobId) -> Result<Vec<T::AccountId>, BenchmarkError> {
	let job = Jobs::<T>::get(job).ok_or(BenchmarkError::Stop("no job"))?;
	Ok(job.referees.iter().map(|a| a.provider.clone()).collect())
}

/// Submits receipts for the first `count` assigned providers of `job`, all agreeing only under
/// the tolerance.
pub(super) fn answer<T: Config>(job: JobId, count: usize) -> Result<(), BenchmarkError> {
	answer_as::<T>(job, &assigned::<T>(job)?, count, |_| 0.0)
}

/// Answers all five providers of `job` in groups {0, 1}, {2, 3}, {4} (each pair agreeing only
/// under the tolerance, so that every comparison reads whole outputs, and no majority).
pub(super) fn answer_split<T: Config>(job: JobId) -> Result<(), BenchmarkError> {
	answer_as::<T>(job, &assigned::<T>(job)?, MAX_REDUNDANCY as usize, |i| (i / 2) as f32)
}

/// A five-provider job in dispute whose referees all answered alike (the reference), ready to be
/// resolved.
pub(super) fn answered_dispute<T: Config>() -> Result<JobId, BenchmarkError> {
	for seed in 0..MAX_REDUNDANCY + MAX_REFEREES {
		T::BenchmarkHelper::provider(seed, PRICE.into());
	}
	let model = deepest_model::<T>(INPUT_LEN, OUTPUT_LEN);
	let job = disputed_job::<T>(model)?;
	let referees = referees::<T>(job)?;
	answer_as::<T>(job, &referees, referees.len(), |_| 0.0)?;
	Ok(job)
}

/// A five-provider job in dispute, with all referees assigned and no referee answer yet.
pub(super) fn disputed_job<T: Config>(model: ModelId) -> Result<JobId, BenchmarkError> {
	let (job, _) = open_job::<T>(model)?;
	answer_split::<T>(job)?;
	Pallet::<T>::settle_due(job);
	let record = Jobs::<T>::get(job).ok_or(BenchmarkError::Stop("no job"))?;
	if record.status != JobStatus::Disputed {
		return Err(BenchmarkError::Stop("setup dispute not opened"));
	}
	Ok(job)
}

/// A model with `a` ancestors and `l` upstream licenses and a funded requester holding a fee of
/// a hundred prices.
pub(super) fn lineage_setup<T: Config>(
	a: u32,
	l: u32,
) -> Result<(ModelId, T::AccountId), BenchmarkError> {
	let model = T::BenchmarkHelper::model(1, 1, a, l);
	let who = requester::<T>();
	let held = BalanceOf::<T>::from(PRICE).saturating_mul(100u32.into());
	T::Currency::hold(&HoldReason::JobFee.into(), &who, held)
		.map_err(|_| BenchmarkError::Stop("cannot hold"))?;
	Ok((model, who))
}

/// What a request does with a lineage: checks it for `who` and quotes its royalties on one
/// price; the number of royalty recipients.
pub(super) fn check_and_quote<T: Config>(
	who: &T::AccountId,
	model: ModelId,
) -> Result<u32, BenchmarkError> {
	let now = frame_system::Pallet::<T>::block_number();
	Pallet::<T>::check_model(who, model, &spec::<T>(1), now)
		.map_err(|_| BenchmarkError::Stop("lineage refused"))?;
	Ok(Pallet::<T>::royalty_shares(model, PRICE.into()).len() as u32)
}

/// Checks that `paid` is all the royalties owed on one price for `model`, to `recipients`.
pub(super) fn check_royalties_paid<T: Config>(
	model: ModelId,
	paid: BalanceOf<T>,
	recipients: u32,
) -> Result<(), BenchmarkError> {
	let owed = Pallet::<T>::royalty_shares(model, PRICE.into());
	let total = owed.iter().fold(BalanceOf::<T>::zero(), |sum, (_, x)| sum.saturating_add(*x));
	if owed.len() as u32 != recipients || paid != total {
		return Err(BenchmarkError::Stop("royalties not paid in full"));
	}
	Ok(())
}

/// The price of the providers of the audit benchmarks: low enough to audit and referee.
pub(super) fn audit_price<T: Config>() -> BalanceOf<T> {
	T::AuditReward::get().min(T::RefereeReward::get())
}

/// The most leaves, filled from `seed`, with `shared` as the second (the checkpoint a segment
/// input starts from) when given, and `output` last.
pub(super) fn leaves(seed: u8, shared: Option<TensorSetHash>, output: TensorSetHash) -> Leaves {
	let mut all: Vec<TensorSetHash> =
		(0..MAX_LEAVES - 1).map(|i| [seed.wrapping_add(i as u8); 32]).collect();
	all[0] = [0xa0; 32];
	if let Some(shared) = shared {
		all[1] = shared;
	}
	all.push(output);
	all.try_into().unwrap_or_default()
}

/// What an audit benchmark's parties ran: the provider's outputs and leaves, and the auditor's.
pub(super) struct AuditSetup<T: Config> {
	pub(super) job: JobId,
	pub(super) provider: T::AccountId,
	pub(super) auditor: T::AccountId,
	pub(super) auditor_outputs: TensorSet,
	pub(super) auditor_leaves: Leaves,
	pub(super) provider_leaves: Leaves,
}

/// A single-provider job on a model with outputs of `output_len` elements, answered with the
/// commitment of leaves sharing their second with `shared`, drawn for audit among `p`
/// providers (all priced at [`audit_price`]); the auditor's outputs agree with the receipt's
/// only under the tolerance when `agreeing`, otherwise not at all. A funded audit pot.
pub(super) fn audited_job<T: Config>(
	p: u32,
	output_len: u32,
	shared: Option<TensorSetHash>,
	agreeing: bool,
) -> Result<AuditSetup<T>, BenchmarkError> {
	for seed in 0..p {
		T::BenchmarkHelper::provider(seed, audit_price::<T>());
	}
	let _ = T::Currency::set_balance(
		&Pallet::<T>::audit_pot(),
		BalanceOf::<T>::max_value() / 1_000u32.into(),
	);
	let model = T::BenchmarkHelper::model(1, output_len, MIN_WEIGHED_ANCESTORS, 0);
	let (job, _) = open_job_of::<T>(model, 1, 1)?;
	let input = JobInputs::<T>::get(job).ok_or(BenchmarkError::Stop("no input"))?;
	let provider = assigned::<T>(job)?.pop().ok_or(BenchmarkError::Stop("no provider"))?;
	let outputs = tensors("y", output_len, 1.0, 0.25);
	let provider_leaves = leaves(0, shared, outputs.hash());
	Pallet::<T>::do_submit_receipt(
		provider.clone(),
		job,
		outputs.hash(),
		ReceiptOutput::Inline(outputs.encode().try_into().unwrap_or_default()),
		Commitment::of(&provider_leaves),
		ExecutionProvider::Cpu,
		Default::default(),
		1,
		SALT,
	)
	.map_err(|_| BenchmarkError::Stop("setup receipt refused"))?;
	let receipt = Jobs::<T>::get(job)
		.and_then(|j| j.assigned.first().and_then(|a| a.receipt))
		.ok_or(BenchmarkError::Stop("no receipt"))?;
	JobInputs::<T>::insert(job, input);
	let auditor = draw_auditor::<T>(job, &provider, receipt)?;
	let auditor_outputs = if agreeing {
		tensors("y", output_len, 1.0 + 1e-7, 0.25)
	} else {
		tensors("y", output_len, 9.0, 0.25)
	};
	let auditor_leaves = leaves(0x40, shared, auditor_outputs.hash());
	Ok(AuditSetup { job, provider, auditor, auditor_outputs, auditor_leaves, provider_leaves })
}

/// Opens the audit of `job`, answered by `provider`'s `receipt`, as a draw auditing it would;
/// returns the auditor.
pub(super) fn draw_auditor<T: Config>(
	job: JobId,
	provider: &T::AccountId,
	receipt: ReceiptId,
) -> Result<T::AccountId, BenchmarkError> {
	let audit = Audit {
		provider: provider.clone(),
		receipt,
		auditor: None,
		answer: None,
		divergence: None,
		stage: AuditStage::AwaitingDraw,
		deadline: frame_system::Pallet::<T>::block_number(),
	};
	Pallet::<T>::open_audit(job, audit);
	Audits::<T>::get(job).and_then(|a| a.auditor).ok_or(BenchmarkError::Stop("no auditor drawn"))
}

/// A sealed single-provider job answered by a sealed receipt with output hash `output`, drawn
/// for audit among `p` providers with encryption keys (all priced at [`audit_price`]), the
/// auditor granted the content key; a funded audit pot. Returns the job, its requester and the
/// auditor.
pub(super) fn sealed_audited_job<T: Config>(
	p: u32,
	output: TensorSetHash,
) -> Result<(JobId, T::AccountId, T::AccountId), BenchmarkError> {
	for seed in 0..p {
		let who = T::BenchmarkHelper::provider(seed, audit_price::<T>());
		// A chain's genesis providers may leave the registry no room for the last.
		let _ = T::Providers::set_encryption_key(&who, encryption_key(seed));
	}
	let _ = T::Currency::set_balance(
		&Pallet::<T>::audit_pot(),
		BalanceOf::<T>::max_value() / 1_000u32.into(),
	);
	let model = T::BenchmarkHelper::model(1, OUTPUT_LEN, MIN_WEIGHED_ANCESTORS, 0);
	let (job, who) = open_sealed_job::<T>(model, 1)?;
	let provider = assigned::<T>(job)?.pop().ok_or(BenchmarkError::Stop("no provider"))?;
	deliver_to::<T>(&who, job, core::slice::from_ref(&provider))?;
	answer_sealed::<T>(job, core::slice::from_ref(&provider), 6, |_| output)?;
	let receipt = Jobs::<T>::get(job)
		.and_then(|j| j.assigned.first().and_then(|a| a.receipt))
		.ok_or(BenchmarkError::Stop("no receipt"))?;
	let auditor = draw_auditor::<T>(job, &provider, receipt)?;
	Ok((job, who, auditor))
}

/// Submits the auditor's result of `setup`.
pub(super) fn answer_audit<T: Config>(setup: &AuditSetup<T>) -> Result<(), BenchmarkError> {
	Pallet::<T>::do_submit_audit(
		setup.auditor.clone(),
		setup.job,
		setup.auditor_outputs.hash(),
		crate::audit::AuditOutputs::Inline(
			setup.auditor_outputs.encode().try_into().unwrap_or_default(),
		),
		Commitment::of(&setup.auditor_leaves),
		ExecutionProvider::Cpu,
		Default::default(),
		1,
	)
	.map_err(|_| BenchmarkError::Stop("setup audit refused"))
}

/// [`audited_job`] in dispute with both parties' leaves revealed (diverging at the third),
/// among `p` providers, its referee assigned.
pub(super) fn refereed_job<T: Config>(
	p: u32,
	shared: TensorSetHash,
) -> Result<AuditSetup<T>, BenchmarkError> {
	let setup = audited_job::<T>(p, 1, Some(shared), false)?;
	answer_audit::<T>(&setup)?;
	for (who, leaves) in
		[(&setup.provider, &setup.provider_leaves), (&setup.auditor, &setup.auditor_leaves)]
	{
		Pallet::<T>::do_reveal_checkpoints(who.clone(), setup.job, leaves.clone())
			.map_err(|_| BenchmarkError::Stop("setup reveal refused"))?;
	}
	match Audits::<T>::get(setup.job).map(|a| a.stage) {
		Some(AuditStage::Refereeing { task: RefereeTask::Segment(2), .. }) => Ok(setup),
		_ => Err(BenchmarkError::Stop("setup referee not assigned")),
	}
}

/// The referee of the audit of `job`.
pub(super) fn referee_of<T: Config>(job: JobId) -> Result<T::AccountId, BenchmarkError> {
	match Audits::<T>::get(job).map(|a| a.stage) {
		Some(AuditStage::Refereeing { referee, .. }) => Ok(referee),
		_ => Err(BenchmarkError::Stop("no referee")),
	}
}

/// The verdict of the closed audit of `job`.
pub(super) fn verdict_of<T: Config>(job: JobId) -> Option<AuditVerdict> {
	match Audits::<T>::get(job)?.stage {
		AuditStage::Closed(verdict) => Some(verdict),
		_ => None,
	}
}

/// A `k`-provider sealed job on a model of the smallest weighed lineage (`k` providers with keys
/// registered), its key delivered to each: the job and its providers.
pub(super) fn delivered_sealed_job<T: Config>(
	k: u32,
) -> Result<(JobId, Vec<T::AccountId>), BenchmarkError> {
	keyed_providers::<T>(0, k)?;
	let model = T::BenchmarkHelper::model(1, OUTPUT_LEN, MIN_WEIGHED_ANCESTORS, 0);
	let (job, who) = open_sealed_job::<T>(model, k)?;
	let providers = assigned::<T>(job)?;
	deliver_to::<T>(&who, job, &providers)?;
	Ok((job, providers))
}

/// A `k`-provider sealed job on a model of the smallest weighed lineage, its key delivered, every
/// provider but the last answered with the same output hash: the job, the last provider and
/// that hash.
pub(super) fn sealed_job_but_one_receipt<T: Config>(
	k: u32,
) -> Result<(JobId, T::AccountId, TensorSetHash), BenchmarkError> {
	let (job, providers) = delivered_sealed_job::<T>(k)?;
	let output_hash = [7; 32];
	for provider in providers.iter().take(k as usize - 1) {
		committed::<T>(job, provider, &output_hash, &Commitment::of(&[output_hash]));
		Pallet::<T>::do_submit_receipt(
			provider.clone(),
			job,
			output_hash,
			ReceiptOutput::Sealed(sealed_output()),
			Commitment::of(&[output_hash]),
			ExecutionProvider::Cpu,
			Default::default(),
			1,
			SALT,
		)
		.map_err(|_| BenchmarkError::Stop("setup receipt refused"))?;
	}
	let last = providers.last().ok_or(BenchmarkError::Stop("no provider"))?.clone();
	Ok((job, last, output_hash))
}
