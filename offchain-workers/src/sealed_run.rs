//! Running a sealed job on the node: fetch the input blob, open the content key with the node's
//! encryption key, open and check the input, run the model checkpointed, seal the outputs to the
//! requester and keep them in the blob store. The plaintext input and outputs exist only in this
//! node's memory; the offchain worker gets hashes, the run's record and the sealed outputs.

use crate::{
	host::{Engine, SealKeys},
	seal::{
		derive_output_key, open_blob, seal_blob, unwrap_key, wrap_key, BlobContext, BlobKind,
		BlobRef, BlobState, ContentKey, EncryptionPublicKey, KeyContext, KeyEnvelope, KeyRole,
		OutputKeyContext, PeerAgreement, SealedAnswer, SealedComparison, SealedOutput,
		SealedRunOutput, SealedRunRequest, SealedRunStatus, UnusableReason,
	},
	types::{InferenceError, ModelHash, TensorSet},
};
use codec::Encode;
use zeroize::Zeroizing;

/// The node's blobs as a sealed run uses them.
pub trait BlobAccess: Send + Sync {
	/// The bytes of a stored blob, verified by hash.
	fn get(&self, blob: &BlobRef) -> Option<Vec<u8>>;
	/// Where the blob stands: stored, or being fetched from peers (a fetch starts in the
	/// background when none is under way), or failed. Never blocks on the network.
	fn request(&self, blob: &BlobRef) -> BlobState;
	/// Keeps bytes this node made (sealed outputs) in the store; returns their hash.
	///
	/// # Errors
	/// [`InferenceError::BlobStoreUnavailable`] when the store refuses them.
	fn put(&self, bytes: &[u8]) -> Result<crate::seal::BlobHash, InferenceError>;
}

/// Runs the sealed job of `request` with this node's engine, keys and blobs. The input must be
/// stored already (see [`BlobAccess::request`]); a missing one reads as
/// [`UnusableReason::BlobUnavailable`].
///
/// # Errors
/// The engine's errors for a run that failed on this node's side (the model missing, the
/// runtime unavailable, a time-out), and [`InferenceError::BlobStoreUnavailable`] or
/// [`InferenceError::KeystoreUnavailable`] when the outputs cannot be sealed and kept; a
/// problem with what the requester sent is an [`SealedRunStatus::Unusable`] status instead.
pub fn run_sealed(
	engine: &dyn Engine,
	keys: &dyn SealKeys,
	blobs: &dyn BlobAccess,
	request: &SealedRunRequest,
) -> Result<SealedRunStatus, InferenceError> {
	let opening = std::time::Instant::now();
	let (input_key, input) = match open_input(keys, blobs, request) {
		Ok(opened) => opened,
		Err(reason) => return Ok(SealedRunStatus::Unusable(reason)),
	};
	let opened = opening.elapsed();
	let run = match engine.run_checkpointed_on(&request.model, &input, request.execution_provider) {
		Ok(run) => run,
		Err(
			InferenceError::UnknownInput
			| InferenceError::MissingInput
			| InferenceError::InputTypeMismatch
			| InferenceError::InputShapeMismatch
			| InferenceError::InputTooLarge,
		) => return Ok(SealedRunStatus::Unusable(UnusableReason::InputMismatch)),
		Err(other) => return Err(other),
	};
	let sealing = std::time::Instant::now();
	let sealed = seal_outputs(blobs, request, &input_key, &run.output.outputs)?;
	log::info!(
		target: "cairn::sealed",
		"job {}: sealed input of {} bytes opened in {} µs, outputs sealed in {} µs",
		request.job,
		request.input.blob.size_bytes,
		opened.as_micros(),
		sealing.elapsed().as_micros()
	);
	Ok(SealedRunStatus::Done(Box::new(SealedRunOutput {
		output_hash: run.output.output_hash,
		leaves: run.leaves,
		execution_provider: run.output.execution_provider,
		runtime_version: run.output.runtime_version,
		elapsed_micros: run.output.elapsed_micros,
		sealed,
	})))
}

/// The content key delivered in `envelope` to this node's `key`, for `context`.
fn open_content_key(
	keys: &dyn SealKeys,
	key: &EncryptionPublicKey,
	envelope: &KeyEnvelope,
	context: &KeyContext,
) -> Result<Zeroizing<ContentKey>, UnusableReason> {
	let secret = keys.secret(key).ok_or(UnusableReason::CannotDecrypt)?;
	unwrap_key(&secret, envelope, context).map_err(|_| UnusableReason::CannotDecrypt)
}

/// The content key of `request`'s input and the input, opened and checked against its
/// plaintext hash.
fn open_input(
	keys: &dyn SealKeys,
	blobs: &dyn BlobAccess,
	request: &SealedRunRequest,
) -> Result<(Zeroizing<ContentKey>, TensorSet), UnusableReason> {
	let blob = blobs.get(&request.input.blob).ok_or(UnusableReason::BlobUnavailable)?;
	if blob.len() as u64 != u64::from(request.input.blob.size_bytes) {
		return Err(UnusableReason::BlobHashMismatch);
	}
	let content_key = open_content_key(keys, &request.key, &request.envelope, &request.context)?;
	let context = BlobContext {
		kind: BlobKind::Input,
		model: request.model,
		plaintext_hash: request.input.plaintext_hash,
	};
	let plaintext =
		open_blob(&content_key, &blob, &context).map_err(|_| UnusableReason::CannotDecrypt)?;
	let input =
		TensorSet::decode_canonical(&plaintext).map_err(|_| UnusableReason::InputMismatch)?;
	if input.hash() != request.input.plaintext_hash {
		return Err(UnusableReason::InputMismatch);
	}
	Ok((content_key, input))
}

/// Seals `outputs` under the content key derived from the input's for this party (so every
/// holder of the input key can compare them), wraps that key to the requester's output key,
/// and keeps the blob in the store.
fn seal_outputs(
	blobs: &dyn BlobAccess,
	request: &SealedRunRequest,
	input_key: &ContentKey,
	outputs: &TensorSet,
) -> Result<SealedOutput, InferenceError> {
	let content_key = derive_output_key(
		input_key,
		&OutputKeyContext {
			job: request.job,
			model: request.model,
			party: request.context.recipient,
		},
	);
	let context = BlobContext {
		kind: BlobKind::Output,
		model: request.model,
		plaintext_hash: outputs.hash(),
	};
	let blob = seal_blob(&content_key, &outputs.encode(), &context)
		.map_err(|_| InferenceError::KeystoreUnavailable)?;
	let envelope = wrap_key(
		&request.input.output_key,
		&content_key,
		&KeyContext {
			job: request.job,
			model: request.model,
			recipient: request.requester,
			key_epoch: 0,
			role: KeyRole::Requester,
		},
	)
	.map_err(|_| InferenceError::KeystoreUnavailable)?;
	let size = u32::try_from(blob.len()).map_err(|_| InferenceError::OutputTooLarge)?;
	let hash = blobs.put(&blob)?;
	Ok(SealedOutput { blob: BlobRef { sha256: hash, size_bytes: size }, envelope })
}

/// The outputs of `answer` to job `job` of `model`, opened with the key derived from the input's
/// content key and checked against the answer's output hash; `Err` says how the answer compares
/// when they cannot be had.
fn open_answer(
	blobs: &dyn BlobAccess,
	input_key: &ContentKey,
	job: u64,
	model: ModelHash,
	answer: &SealedAnswer,
) -> Result<TensorSet, PeerAgreement> {
	let blob = match blobs.request(&answer.blob) {
		BlobState::Stored => blobs.get(&answer.blob).ok_or(PeerAgreement::Pending)?,
		BlobState::Fetching => return Err(PeerAgreement::Pending),
		BlobState::Failed(UnusableReason::BlobUnavailable) => {
			return Err(PeerAgreement::Unavailable)
		},
		BlobState::Failed(_) => return Err(PeerAgreement::Disagrees),
	};
	let key = derive_output_key(input_key, &OutputKeyContext { job, model, party: answer.party });
	let context = BlobContext { kind: BlobKind::Output, model, plaintext_hash: answer.output_hash };
	let plaintext = open_blob(&key, &blob, &context).map_err(|_| PeerAgreement::Disagrees)?;
	let outputs = TensorSet::decode_canonical(&plaintext).map_err(|_| PeerAgreement::Disagrees)?;
	if outputs.hash() != answer.output_hash {
		return Err(PeerAgreement::Disagrees);
	}
	Ok(outputs)
}

/// Compares this party's sealed outputs of a job with each peer's under the job's tolerance
/// raised to each element type's floor ([`crate::outputs_agree_floored`]: the offchain worker
/// asks only about answers not held to bit-exact agreement, which equal hashes decide), opening
/// every blob with the key derived from the job's input content key; a peer's blob
/// still being fetched (a fetch starts in the background) reads as
/// [`PeerAgreement::Pending`]. Never blocks on the network. The plaintexts stay on the
/// node's native side: the offchain worker gets only the verdicts.
///
/// # Errors
/// [`InferenceError::KeystoreUnavailable`] when the content key does not open with this node's
/// key, [`InferenceError::BlobStoreUnavailable`] when this party's own outputs cannot be read.
pub fn compare_sealed(
	keys: &dyn SealKeys,
	blobs: &dyn BlobAccess,
	comparison: &SealedComparison,
) -> Result<Vec<PeerAgreement>, InferenceError> {
	let input_key =
		open_content_key(keys, &comparison.key, &comparison.envelope, &comparison.context)
			.map_err(|_| InferenceError::KeystoreUnavailable)?;
	let (job, model) = (comparison.job, comparison.model);
	let own = open_answer(blobs, &input_key, job, model, &comparison.own)
		.map_err(|_| InferenceError::BlobStoreUnavailable)?;
	Ok(comparison
		.peers
		.iter()
		.map(|peer| {
			if peer.output_hash == comparison.own.output_hash {
				return PeerAgreement::Agrees;
			}
			match open_answer(blobs, &input_key, job, model, peer) {
				Ok(theirs) => {
					match crate::outputs_agree_floored(&own, &theirs, &comparison.tolerance) {
						Ok(()) => PeerAgreement::Agrees,
						Err(_) => PeerAgreement::Disagrees,
					}
				},
				Err(verdict) => verdict,
			}
		})
		.collect())
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{
		seal::{public_key, BlobHash, EncryptionPublicKey, KeyEnvelope, SealedInput},
		types::{Capabilities, ExecutionProvider, InferenceOutput, ModelHash, Tensor},
	};
	use parking_lot::Mutex;
	use std::collections::HashMap;
	use x25519_dalek::StaticSecret;

	const MODEL: ModelHash = [7; 32];
	const REQUESTER: [u8; 32] = [3; 32];
	const PROVIDER: [u8; 32] = [4; 32];

	/// Doubles `x` into `y`, then adds `.0` to every element (zero: exact).
	struct Doubler(f32);

	impl Engine for Doubler {
		fn run(
			&self,
			_model: &ModelHash,
			input: &TensorSet,
		) -> Result<InferenceOutput, InferenceError> {
			let x = input
				.get("x")
				.and_then(|t| t.float_values())
				.ok_or(InferenceError::MissingInput)?;
			let y: Vec<f32> = x.iter().map(|v| (*v * 2.0) as f32 + self.0).collect();
			let outputs = TensorSet::new(vec![Tensor::from_f32("y", &[1, y.len() as u64], &y)?])?;
			Ok(InferenceOutput {
				output_hash: outputs.hash(),
				outputs,
				execution_provider: ExecutionProvider::Cpu,
				runtime_version: b"test".to_vec().try_into().unwrap(),
				elapsed_micros: 1,
			})
		}

		fn capabilities(&self) -> Capabilities {
			unimplemented!("not asked")
		}

		fn has_model(&self, _model: &ModelHash) -> bool {
			true
		}
	}

	struct Keys(StaticSecret);

	impl SealKeys for Keys {
		fn public_keys(&self) -> Result<Vec<EncryptionPublicKey>, InferenceError> {
			Ok(vec![public_key(&self.0)])
		}
		fn generate(&self) -> Result<EncryptionPublicKey, InferenceError> {
			Err(InferenceError::KeystoreUnavailable)
		}
		fn secret(&self, public: &EncryptionPublicKey) -> Option<StaticSecret> {
			(*public == public_key(&self.0)).then(|| self.0.clone())
		}
	}

	#[derive(Default)]
	struct Blobs(Mutex<HashMap<BlobHash, Vec<u8>>>);

	impl BlobAccess for Blobs {
		fn get(&self, blob: &BlobRef) -> Option<Vec<u8>> {
			self.0.lock().get(&blob.sha256).cloned()
		}
		fn request(&self, blob: &BlobRef) -> BlobState {
			if self.0.lock().contains_key(&blob.sha256) {
				BlobState::Stored
			} else {
				BlobState::Failed(UnusableReason::BlobUnavailable)
			}
		}
		fn put(&self, bytes: &[u8]) -> Result<BlobHash, InferenceError> {
			let hash = crate::seal::blob_hash(bytes);
			self.0.lock().insert(hash, bytes.to_vec());
			Ok(hash)
		}
	}

	fn provider_context(job: u64) -> KeyContext {
		KeyContext { job, model: MODEL, recipient: PROVIDER, key_epoch: 1, role: KeyRole::Provider }
	}

	/// A sealed request of job 1 for `input`, its blob in `blobs`, its key wrapped to `keys`;
	/// returns it and the requester's output secret.
	fn sealed_request(
		blobs: &Blobs,
		keys: &Keys,
		input: &TensorSet,
	) -> (SealedRunRequest, StaticSecret) {
		let content_key = crate::seal::new_content_key().unwrap();
		let context =
			BlobContext { kind: BlobKind::Input, model: MODEL, plaintext_hash: input.hash() };
		let blob = seal_blob(&content_key, &input.encode(), &context).unwrap();
		let hash = blobs.put(&blob).unwrap();
		let key = public_key(&keys.0);
		let envelope = wrap_key(&key, &content_key, &provider_context(1)).unwrap();
		let output_secret = StaticSecret::from([9u8; 32]);
		let request = SealedRunRequest {
			job: 1,
			model: MODEL,
			input: SealedInput {
				plaintext_hash: input.hash(),
				blob: BlobRef { sha256: hash, size_bytes: blob.len() as u32 },
				output_key: public_key(&output_secret),
			},
			key,
			envelope,
			context: provider_context(1),
			requester: REQUESTER,
			execution_provider: ExecutionProvider::Cpu,
		};
		(request, output_secret)
	}

	fn x() -> TensorSet {
		TensorSet::new(vec![Tensor::from_f32("x", &[1, 2], &[1.5, -2.0]).unwrap()]).unwrap()
	}

	#[test]
	fn a_sealed_run_seals_outputs_only_the_requester_opens() {
		let (blobs, keys) = (Blobs::default(), Keys(StaticSecret::from([5u8; 32])));
		let (request, output_secret) = sealed_request(&blobs, &keys, &x());
		let SealedRunStatus::Done(done) =
			run_sealed(&Doubler(0.0), &keys, &blobs, &request).unwrap()
		else {
			panic!("the run completes")
		};
		let expected = Doubler(0.0).run(&MODEL, &x()).unwrap();
		assert_eq!(done.output_hash, expected.output_hash);
		assert_eq!(done.leaves.to_vec(), vec![expected.output_hash]);

		let blob = blobs.get(&done.sealed.blob).expect("the output blob is stored");
		assert_eq!(blob.len() as u32, done.sealed.blob.size_bytes);
		let requester_context = KeyContext {
			job: 1,
			model: MODEL,
			recipient: REQUESTER,
			key_epoch: 0,
			role: KeyRole::Requester,
		};
		let content_key =
			unwrap_key(&output_secret, &done.sealed.envelope, &requester_context).unwrap();
		let output_context =
			BlobContext { kind: BlobKind::Output, model: MODEL, plaintext_hash: done.output_hash };
		let plaintext = open_blob(&content_key, &blob, &output_context).unwrap();
		assert_eq!(TensorSet::decode_canonical(&plaintext).unwrap(), expected.outputs);
		// The provider's key opens nothing of the outputs.
		assert!(unwrap_key(&keys.0, &done.sealed.envelope, &requester_context).is_err());
	}

	#[test]
	fn what_the_requester_sent_wrong_is_named() {
		let keys = Keys(StaticSecret::from([5u8; 32]));
		let unusable = |request: &SealedRunRequest, blobs: &Blobs| match run_sealed(
			&Doubler(0.0),
			&keys,
			blobs,
			request,
		)
		.unwrap()
		{
			SealedRunStatus::Unusable(reason) => reason,
			other => panic!("unexpected {other:?}"),
		};
		// No blob.
		let blobs = Blobs::default();
		let (request, _) = sealed_request(&blobs, &keys, &x());
		assert_eq!(unusable(&request, &Blobs::default()), UnusableReason::BlobUnavailable);
		// A size other than the request's.
		let mut wrong_size = request.clone();
		wrong_size.input.blob.size_bytes += 1;
		assert_eq!(unusable(&wrong_size, &blobs), UnusableReason::BlobHashMismatch);
		// An envelope for another job, and one for a key this node lacks.
		let mut other_job = request.clone();
		other_job.context = provider_context(2);
		assert_eq!(unusable(&other_job, &blobs), UnusableReason::CannotDecrypt);
		let mut other_key = request.clone();
		other_key.key = [8; 32];
		assert_eq!(unusable(&other_key, &blobs), UnusableReason::CannotDecrypt);
		let mut bad_envelope = request.clone();
		bad_envelope.envelope = KeyEnvelope { sealed_key: [0; 48], ..request.envelope.clone() };
		assert_eq!(unusable(&bad_envelope, &blobs), UnusableReason::CannotDecrypt);
		// A plaintext hash other than the blob's (the blob's associated data binds it).
		let mut other_hash = request.clone();
		other_hash.input.plaintext_hash = [1; 32];
		assert_eq!(unusable(&other_hash, &blobs), UnusableReason::CannotDecrypt);
		// An input the model does not take.
		let wrong_name =
			TensorSet::new(vec![Tensor::from_f32("z", &[1, 1], &[1.0]).unwrap()]).unwrap();
		let (request, _) = sealed_request(&blobs, &keys, &wrong_name);
		assert_eq!(unusable(&request, &blobs), UnusableReason::InputMismatch);
	}

	/// Runs `request` for `party` (its envelope made for it) with `engine`; its sealed answer.
	fn answer_as(
		engine: &dyn Engine,
		keys: &Keys,
		blobs: &Blobs,
		request: &SealedRunRequest,
		content_key: &ContentKey,
		party: [u8; 32],
	) -> SealedAnswer {
		let mut request = request.clone();
		request.context.recipient = party;
		request.envelope = wrap_key(&request.key, content_key, &request.context).unwrap();
		let SealedRunStatus::Done(done) = run_sealed(engine, keys, blobs, &request).unwrap() else {
			panic!("the run completes")
		};
		SealedAnswer { party, output_hash: done.output_hash, blob: done.sealed.blob }
	}

	#[test]
	fn holders_of_the_input_key_compare_sealed_outputs_under_the_tolerance() {
		let (blobs, keys) = (Blobs::default(), Keys(StaticSecret::from([5u8; 32])));
		let content_key = [0x11; 32];
		let context =
			BlobContext { kind: BlobKind::Input, model: MODEL, plaintext_hash: x().hash() };
		let blob = seal_blob(&content_key, &x().encode(), &context).unwrap();
		let (mut request, _) = sealed_request(&blobs, &keys, &x());
		request.input.blob =
			BlobRef { sha256: blobs.put(&blob).unwrap(), size_bytes: blob.len() as u32 };
		let run = |engine: &dyn Engine, party| {
			answer_as(engine, &keys, &blobs, &request, &content_key, party)
		};
		let exact = run(&Doubler(0.0), [4; 32]);
		let close = run(&Doubler(1e-6), [5; 32]);
		let far = run(&Doubler(0.5), [6; 32]);
		assert_ne!(exact.output_hash, close.output_hash);
		let missing = SealedAnswer {
			party: [7; 32],
			blob: BlobRef { sha256: [9; 32], size_bytes: 64 },
			..close.clone()
		};
		// Another party's answer under its blob: sealed under the wrong derived key.
		let mislabelled = SealedAnswer { party: [8; 32], ..close.clone() };
		let comparison = SealedComparison {
			job: 1,
			model: MODEL,
			key: request.key,
			envelope: wrap_key(&request.key, &content_key, &provider_context(1)).unwrap(),
			context: provider_context(1),
			own: exact,
			peers: vec![close, far, missing, mislabelled],
			tolerance: crate::Tolerance { absolute_nano: 10_000, relative_nano: 0 },
		};
		// `own` names the exact run under another party's derived key, which sealed nothing:
		// the comparison cannot read it.
		let comparison = SealedComparison {
			own: SealedAnswer { party: [2; 32], ..comparison.own.clone() },
			..comparison
		};
		assert_eq!(
			compare_sealed(&keys, &blobs, &comparison),
			Err(InferenceError::BlobStoreUnavailable)
		);
		let comparison = SealedComparison {
			own: SealedAnswer { party: [4; 32], ..comparison.own },
			..comparison
		};
		assert_eq!(
			compare_sealed(&keys, &blobs, &comparison).unwrap(),
			vec![
				PeerAgreement::Agrees,
				PeerAgreement::Disagrees,
				PeerAgreement::Unavailable,
				PeerAgreement::Disagrees
			]
		);
		// A node without the content key compares nothing.
		let stranger = Keys(StaticSecret::from([6u8; 32]));
		assert_eq!(
			compare_sealed(&stranger, &blobs, &comparison),
			Err(InferenceError::KeystoreUnavailable)
		);
	}
}
