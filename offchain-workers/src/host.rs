//! Host functions: the runtime's offchain worker calls these; the node answers them with the
//! engine registered as an externalities extension.
//!
//! Every cairn-node provides these functions, so the runtime instantiates everywhere, but the node
//! registers the engine only for offchain workers: called anywhere else (block import, RPC state
//! calls) they return [`InferenceError::NoInferenceContext`].

use crate::{
	checkpoints::CheckpointedOutput,
	seal::{
		BlobRef, BlobState, EncryptionPublicKey, PeerAgreement, SealedComparison, SealedRunRequest,
		SealedRunStatus,
	},
	types::{
		Capabilities, ExecutionProvider, FetchStatus, InferenceError, InferenceOutput, ModelHash,
		ModelSource, TensorSet,
	},
};
use alloc::vec::Vec;
#[cfg(feature = "std")]
use sp_externalities::ExternalitiesExt;
use sp_runtime_interface::{
	pass_by::{
		AllocateAndReturnByCodec, PassFatPointerAndDecode, PassFatPointerAndRead,
		PassPointerAndReadCopy,
	},
	runtime_interface,
};

/// A native inference engine, as the host functions see it.
#[cfg(feature = "std")]
pub trait Engine: Send + Sync {
	/// Runs a model from the store on a canonical tensor set, on the first execution provider
	/// in the node's preference order that accepts it.
	fn run(&self, model: &ModelHash, input: &TensorSet) -> Result<InferenceOutput, InferenceError>;
	/// Runs a model on exactly `provider`, with no fallback. By default: [`Engine::run`], refused
	/// with `ExecutionProviderUnavailable` when another provider ran it.
	fn run_on(
		&self,
		model: &ModelHash,
		input: &TensorSet,
		provider: ExecutionProvider,
	) -> Result<InferenceOutput, InferenceError> {
		self.run(model, input).and_then(|output| {
			if output.execution_provider == provider {
				Ok(output)
			} else {
				Err(InferenceError::ExecutionProviderUnavailable)
			}
		})
	}
	/// Runs a model on exactly `provider` and commits to its checkpoints (see
	/// [`crate::checkpoints`]). By default the model is one segment: its only leaf is the
	/// output hash.
	fn run_checkpointed_on(
		&self,
		model: &ModelHash,
		input: &TensorSet,
		provider: ExecutionProvider,
	) -> Result<CheckpointedOutput, InferenceError> {
		let output = self.run_on(model, input, provider)?;
		let leaves = alloc::vec![output.output_hash]
			.try_into()
			.map_err(|_| InferenceError::UnsupportedModelIo)?;
		Ok(CheckpointedOutput { output, leaves })
	}
	/// The tensor of checkpoint `index` of [`Engine::run_checkpointed_on`]'s run, as a
	/// one-tensor set. By default there are no checkpoints: `NoSuchSegment`.
	fn checkpoint_on(
		&self,
		_model: &ModelHash,
		_input: &TensorSet,
		_index: u32,
		_provider: ExecutionProvider,
	) -> Result<TensorSet, InferenceError> {
		Err(InferenceError::NoSuchSegment)
	}
	/// Runs segment `segment` of a model alone on exactly `provider`, from `input` (the
	/// checkpoint before it; the model's input for segment 0). By default the model is one
	/// segment.
	fn run_segment_on(
		&self,
		model: &ModelHash,
		segment: u32,
		input: &TensorSet,
		provider: ExecutionProvider,
	) -> Result<InferenceOutput, InferenceError> {
		match segment {
			0 => self.run_on(model, input, provider),
			_ => Err(InferenceError::NoSuchSegment),
		}
	}
	/// What this engine can do now.
	fn capabilities(&self) -> Capabilities;
	/// Whether the model store holds the model (not yet verified: that happens at first load).
	fn has_model(&self, model: &ModelHash) -> bool;
	/// Where the model stands for a job that needs it by `source.needed_by`: stored, or being
	/// fetched from its registered sources (a download started if none is under way). Never
	/// blocks on the network. By default an engine fetches nothing.
	fn request_model(&self, source: &ModelSource) -> FetchStatus {
		if self.has_model(&source.sha256) {
			FetchStatus::Stored
		} else {
			FetchStatus::Disabled
		}
	}
}

#[cfg(feature = "std")]
sp_externalities::decl_extension! {
	/// The node's inference engine, registered for offchain workers.
	pub struct InferenceExt(std::sync::Arc<dyn Engine>);
}

#[cfg(feature = "std")]
impl InferenceExt {
	/// Wraps an engine for registration.
	pub fn new(engine: std::sync::Arc<dyn Engine>) -> Self {
		InferenceExt(engine)
	}
}

/// What the node knows of the chain beyond the block an offchain worker runs at.
#[cfg(feature = "std")]
pub trait ChainTip: Send + Sync {
	/// The highest block number the node has imported, or has seen its peers announce, or is
	/// about to import.
	fn best_known(&self) -> u64;
}

#[cfg(feature = "std")]
sp_externalities::decl_extension! {
	/// The node's view of the chain's tip, registered for offchain workers.
	pub struct ChainTipExt(std::sync::Arc<dyn ChainTip>);
}

#[cfg(feature = "std")]
impl ChainTipExt {
	/// Wraps a chain-tip view for registration.
	pub fn new(tip: std::sync::Arc<dyn ChainTip>) -> Self {
		ChainTipExt(tip)
	}
}

/// The node's X25519 encryption keys, whose secrets stay in its keystore: what sealed jobs'
/// content keys are wrapped to.
#[cfg(feature = "std")]
pub trait SealKeys: Send + Sync {
	/// The public keys of every encryption key in the keystore, in no particular order.
	fn public_keys(&self) -> Result<Vec<EncryptionPublicKey>, InferenceError>;
	/// Generates a new encryption key in the keystore; returns its public key.
	fn generate(&self) -> Result<EncryptionPublicKey, InferenceError>;
	/// The secret of the encryption key with this public key, if the keystore holds it.
	fn secret(&self, public: &EncryptionPublicKey) -> Option<x25519_dalek::StaticSecret>;
}

#[cfg(feature = "std")]
sp_externalities::decl_extension! {
	/// The node's encryption keys, registered for offchain workers.
	pub struct SealKeysExt(std::sync::Arc<dyn SealKeys>);
}

#[cfg(feature = "std")]
impl SealKeysExt {
	/// Wraps a key service for registration.
	pub fn new(keys: std::sync::Arc<dyn SealKeys>) -> Self {
		SealKeysExt(keys)
	}
}

#[cfg(feature = "std")]
sp_externalities::decl_extension! {
	/// The node's blob store of sealed job data and its fetcher from peers, registered for
	/// offchain workers.
	pub struct BlobAccessExt(std::sync::Arc<dyn crate::sealed_run::BlobAccess>);
}

#[cfg(feature = "std")]
impl BlobAccessExt {
	/// Wraps a blob service for registration.
	pub fn new(blobs: std::sync::Arc<dyn crate::sealed_run::BlobAccess>) -> Self {
		BlobAccessExt(blobs)
	}
}

/// The node's encryption keys and blobs, as the sealed host functions use them.
#[cfg(feature = "std")]
type SealedAccess =
	(std::sync::Arc<dyn SealKeys>, std::sync::Arc<dyn crate::sealed_run::BlobAccess>);

/// The encryption keys and blobs registered with `ext`.
///
/// # Errors
/// [`InferenceError::KeystoreUnavailable`] or [`InferenceError::BlobStoreUnavailable`] when
/// either is not registered (outside an offchain worker).
#[cfg(feature = "std")]
fn sealed_access(
	mut ext: &mut dyn sp_externalities::Externalities,
) -> Result<SealedAccess, InferenceError> {
	let keys = match ext.extension::<SealKeysExt>() {
		Some(SealKeysExt(keys)) => keys.clone(),
		None => return Err(InferenceError::KeystoreUnavailable),
	};
	let blobs = match ext.extension::<BlobAccessExt>() {
		Some(BlobAccessExt(blobs)) => blobs.clone(),
		None => return Err(InferenceError::BlobStoreUnavailable),
	};
	Ok((keys, blobs))
}

/// ONNX model inference for offchain workers.
#[runtime_interface]
pub trait Inference {
	/// Runs the model with this SHA-256 on a SCALE-encoded canonical [`TensorSet`].
	fn run(
		&mut self,
		model: PassPointerAndReadCopy<ModelHash, 32>,
		input: PassFatPointerAndRead<&[u8]>,
	) -> AllocateAndReturnByCodec<Result<InferenceOutput, InferenceError>> {
		let engine = match self.extension::<InferenceExt>() {
			Some(InferenceExt(engine)) => engine.clone(),
			None => return Err(InferenceError::NoInferenceContext),
		};
		let input = TensorSet::decode_canonical(input)?;
		engine.run(&model, &input)
	}

	/// Runs the model with this SHA-256 on a SCALE-encoded canonical [`TensorSet`] on exactly
	/// this execution provider (what a job requires): never falls back to another.
	fn run_on(
		&mut self,
		model: PassPointerAndReadCopy<ModelHash, 32>,
		input: PassFatPointerAndRead<&[u8]>,
		provider: PassFatPointerAndDecode<ExecutionProvider>,
	) -> AllocateAndReturnByCodec<Result<InferenceOutput, InferenceError>> {
		let engine = match self.extension::<InferenceExt>() {
			Some(InferenceExt(engine)) => engine.clone(),
			None => return Err(InferenceError::NoInferenceContext),
		};
		let input = TensorSet::decode_canonical(input)?;
		engine.run_on(&model, &input, provider)
	}

	/// Runs the model with this SHA-256 on a SCALE-encoded canonical [`TensorSet`] on exactly
	/// this execution provider, committing to its checkpoints: what a receipt or an audit
	/// reports.
	fn run_checkpointed(
		&mut self,
		model: PassPointerAndReadCopy<ModelHash, 32>,
		input: PassFatPointerAndRead<&[u8]>,
		provider: PassFatPointerAndDecode<ExecutionProvider>,
	) -> AllocateAndReturnByCodec<Result<CheckpointedOutput, InferenceError>> {
		let engine = match self.extension::<InferenceExt>() {
			Some(InferenceExt(engine)) => engine.clone(),
			None => return Err(InferenceError::NoInferenceContext),
		};
		let input = TensorSet::decode_canonical(input)?;
		engine.run_checkpointed_on(&model, &input, provider)
	}

	/// The tensor of checkpoint `index` of the checkpointed run of this model on this
	/// SCALE-encoded input, as a one-tensor [`TensorSet`]: what a dispute's party reveals.
	fn checkpoint(
		&mut self,
		model: PassPointerAndReadCopy<ModelHash, 32>,
		input: PassFatPointerAndRead<&[u8]>,
		index: u32,
		provider: PassFatPointerAndDecode<ExecutionProvider>,
	) -> AllocateAndReturnByCodec<Result<TensorSet, InferenceError>> {
		let engine = match self.extension::<InferenceExt>() {
			Some(InferenceExt(engine)) => engine.clone(),
			None => return Err(InferenceError::NoInferenceContext),
		};
		let input = TensorSet::decode_canonical(input)?;
		engine.checkpoint_on(&model, &input, index, provider)
	}

	/// Runs segment `segment` of this model alone on exactly this execution provider, from a
	/// SCALE-encoded canonical [`TensorSet`] (the checkpoint before the segment; the model's
	/// input for segment 0): what a dispute's referee runs.
	fn run_segment(
		&mut self,
		model: PassPointerAndReadCopy<ModelHash, 32>,
		segment: u32,
		input: PassFatPointerAndRead<&[u8]>,
		provider: PassFatPointerAndDecode<ExecutionProvider>,
	) -> AllocateAndReturnByCodec<Result<InferenceOutput, InferenceError>> {
		let engine = match self.extension::<InferenceExt>() {
			Some(InferenceExt(engine)) => engine.clone(),
			None => return Err(InferenceError::NoInferenceContext),
		};
		let input = TensorSet::decode_canonical(input)?;
		engine.run_segment_on(&model, segment, &input, provider)
	}

	/// Reports ONNX Runtime's availability and version, the execution providers and the models
	/// in the store.
	fn capabilities(&mut self) -> AllocateAndReturnByCodec<Result<Capabilities, InferenceError>> {
		match self.extension::<InferenceExt>() {
			Some(InferenceExt(engine)) => Ok(engine.capabilities()),
			None => Err(InferenceError::NoInferenceContext),
		}
	}

	/// The highest block number the node has imported, seen announced by a peer or queued for
	/// import; `None` where the node registers no chain-tip view. An offchain worker running at
	/// a lower block runs on old state (the node is catching up) and leaves its jobs to the run
	/// at the tip.
	fn chain_tip(&mut self) -> AllocateAndReturnByCodec<Option<u64>> {
		self.extension::<ChainTipExt>().map(|ChainTipExt(tip)| tip.best_known())
	}

	/// Where the registered model `source` describes stands on this node: in the store, or
	/// being fetched (a download starts in the background when none is under way), or failed.
	/// The offchain worker asks for every model its open jobs need, each run: a model stays
	/// protected from store eviction until the block `source.needed_by`.
	fn request_model(
		&mut self,
		source: PassFatPointerAndDecode<ModelSource>,
	) -> AllocateAndReturnByCodec<Result<FetchStatus, InferenceError>> {
		match self.extension::<InferenceExt>() {
			Some(InferenceExt(engine)) => Ok(engine.request_model(&source)),
			None => Err(InferenceError::NoInferenceContext),
		}
	}

	/// The X25519 public keys of this node's encryption keys (their secrets never leave the
	/// node): a provider's offchain worker publishes one of them in the compute registry.
	fn encryption_keys(
		&mut self,
	) -> AllocateAndReturnByCodec<Result<Vec<EncryptionPublicKey>, InferenceError>> {
		match self.extension::<SealKeysExt>() {
			Some(SealKeysExt(keys)) => keys.public_keys(),
			None => Err(InferenceError::NoInferenceContext),
		}
	}

	/// Generates a new encryption key in this node's keystore and returns its X25519 public
	/// key: a rotation.
	fn new_encryption_key(
		&mut self,
	) -> AllocateAndReturnByCodec<Result<EncryptionPublicKey, InferenceError>> {
		match self.extension::<SealKeysExt>() {
			Some(SealKeysExt(keys)) => keys.generate(),
			None => Err(InferenceError::NoInferenceContext),
		}
	}

	/// Where a sealed job's input blob stands on this node: stored, being fetched from peers (a
	/// fetch starts in the background when none is under way), or failed. Never blocks on the
	/// network.
	fn request_blob(
		&mut self,
		blob: PassFatPointerAndDecode<BlobRef>,
	) -> AllocateAndReturnByCodec<Result<BlobState, InferenceError>> {
		match self.extension::<BlobAccessExt>() {
			Some(BlobAccessExt(blobs)) => Ok(blobs.request(&blob)),
			None => Err(InferenceError::NoInferenceContext),
		}
	}

	/// Runs a sealed job whose input blob is stored: opens the content key with this node's
	/// encryption key, opens and checks the input, runs the model checkpointed on exactly the
	/// request's execution provider, seals the outputs to the requester and stores them. The
	/// plaintext never leaves the node's native side; a problem with what the requester sent
	/// is reported as [`SealedRunStatus::Unusable`].
	fn run_sealed(
		&mut self,
		request: PassFatPointerAndDecode<SealedRunRequest>,
	) -> AllocateAndReturnByCodec<Result<SealedRunStatus, InferenceError>> {
		let engine = match self.extension::<InferenceExt>() {
			Some(InferenceExt(engine)) => engine.clone(),
			None => return Err(InferenceError::NoInferenceContext),
		};
		let (keys, blobs) = sealed_access(*self)?;
		crate::sealed_run::run_sealed(&*engine, &*keys, &*blobs, &request)
	}

	/// Compares this party's sealed outputs of a job with other parties' under the job's
	/// tolerance raised to each element type's floor (see [`crate::sealed_run::compare_sealed`]): only the verdicts leave the
	/// node's native side. A peer's blob not yet here is fetched in the background and reads
	/// as pending.
	fn compare_sealed(
		&mut self,
		comparison: PassFatPointerAndDecode<SealedComparison>,
	) -> AllocateAndReturnByCodec<Result<Vec<PeerAgreement>, InferenceError>> {
		let (keys, blobs) = sealed_access(*self)?;
		crate::sealed_run::compare_sealed(&*keys, &*blobs, &comparison)
	}

	/// Whether the model store holds the model with this SHA-256.
	fn has_model(
		&mut self,
		model: PassPointerAndReadCopy<ModelHash, 32>,
	) -> AllocateAndReturnByCodec<Result<bool, InferenceError>> {
		match self.extension::<InferenceExt>() {
			Some(InferenceExt(engine)) => Ok(engine.has_model(&model)),
			None => Err(InferenceError::NoInferenceContext),
		}
	}
}

/// Runs a model on a tensor set through the host function (runtime side convenience), on the
/// node's preferred execution provider.
pub fn run_model(model: &ModelHash, input: &TensorSet) -> Result<InferenceOutput, InferenceError> {
	let encoded: Vec<u8> = codec::Encode::encode(input);
	inference::run(*model, &encoded)
}

/// Runs a model on a tensor set on exactly `provider` through the host function (runtime side
/// convenience): what an offchain worker runs a job with.
pub fn run_model_on(
	model: &ModelHash,
	input: &TensorSet,
	provider: ExecutionProvider,
) -> Result<InferenceOutput, InferenceError> {
	let encoded: Vec<u8> = codec::Encode::encode(input);
	inference::run_on(*model, &encoded, provider)
}

/// Runs a model on a tensor set on exactly `provider`, committing to its checkpoints, through
/// the host function (runtime side convenience): what a receipt or an audit reports.
pub fn run_model_checkpointed(
	model: &ModelHash,
	input: &TensorSet,
	provider: ExecutionProvider,
) -> Result<CheckpointedOutput, InferenceError> {
	let encoded: Vec<u8> = codec::Encode::encode(input);
	inference::run_checkpointed(*model, &encoded, provider)
}

/// The tensor of checkpoint `index` of a model's checkpointed run on a tensor set, through the
/// host function (runtime side convenience): what a dispute's party reveals.
pub fn model_checkpoint(
	model: &ModelHash,
	input: &TensorSet,
	index: u32,
	provider: ExecutionProvider,
) -> Result<TensorSet, InferenceError> {
	let encoded: Vec<u8> = codec::Encode::encode(input);
	inference::checkpoint(*model, &encoded, index, provider)
}

/// Runs one segment of a model alone on exactly `provider` through the host function (runtime
/// side convenience): what a dispute's referee runs.
pub fn run_model_segment(
	model: &ModelHash,
	segment: u32,
	input: &TensorSet,
	provider: ExecutionProvider,
) -> Result<InferenceOutput, InferenceError> {
	let encoded: Vec<u8> = codec::Encode::encode(input);
	inference::run_segment(*model, segment, &encoded, provider)
}
