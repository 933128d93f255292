//! Data types of model provenance.

use cairn_inference::ModelIo;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use pallet_data_licensing::{Cid, DatasetId, LicenseId, LicenseStatus, LicenseUse};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};

/// Identifier of a model (assigned in registration order, so parents always have smaller ids).
pub type ModelId = u64;

/// Identifier of an evaluation (assigned in attestation order).
pub type EvaluationId = u64;

/// Identifier of an inference receipt, as the inference pallet numbers them.
pub type ReceiptId = u64;

/// SHA-256 of a model file: exactly what the node's model store verifies before loading it.
pub type ModelHash = cairn_inference::ModelHash;

/// The longest model name, in bytes (UTF-8).
pub type MaxNameLength = ConstU32<128>;

/// The longest metric name, in bytes (UTF-8), e.g. `top1_accuracy`.
pub type MaxMetricLength = ConstU32<64>;

/// The longest revocation reason, in bytes (UTF-8).
pub type MaxReasonLength = ConstU32<128>;

/// The most receipts one evaluation cites.
pub type MaxEvaluationReceipts = ConstU32<16>;

/// The most parents a model lists.
pub type MaxParents = ConstU32<8>;

/// The most datasets a model lists.
pub type MaxDataUses = ConstU32<16>;

/// The most ancestors a model has, each counted once.
pub type MaxAncestors = ConstU32<128>;

/// The most licenses of weight-shaping data in a model's lineage, each counted once.
pub type MaxUpstreamLicenses = ConstU32<64>;

/// A model's name.
pub type ModelName = BoundedVec<u8, MaxNameLength>;

/// An evaluation metric's name.
pub type MetricName = BoundedVec<u8, MaxMetricLength>;

/// A revocation reason.
pub type RevocationReason = BoundedVec<u8, MaxReasonLength>;

/// The file a model record names.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
pub struct ModelFile {
	/// SHA-256 of the file's bytes.
	pub sha256: ModelHash,
	/// IPFS CIDv1 (binary) of the file, if published.
	pub cid: Option<Cid>,
	/// Size of the file in bytes (more than zero).
	pub size_bytes: u64,
}

/// Where else a model's file can be fetched besides its CID: `http://`, `https://` or
/// `ipfs://` URIs, tried in order after the fetching node's gateways.
pub type ModelUris = BoundedVec<cairn_inference::ModelUri, ConstU32<{ cairn_inference::MAX_URIS }>>;

/// A model's registered URIs and the deposit they hold.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct ModelSources<Balance> {
	/// The URIs, in the order nodes try them.
	pub uris: ModelUris,
	/// The deposit held from the model's owner for them.
	pub deposit: Balance,
}

/// Whether `uri` is one a node can fetch: UTF-8 `http://`, `https://` or `ipfs://` followed by
/// something, without spaces or control characters.
pub fn is_fetchable_uri(uri: &[u8]) -> bool {
	let Ok(text) = core::str::from_utf8(uri) else { return false };
	let rest =
		["http://", "https://", "ipfs://"].iter().find_map(|scheme| text.strip_prefix(scheme));
	rest.is_some_and(|rest| !rest.is_empty())
		&& text.chars().all(|c| !c.is_whitespace() && !c.is_control())
}

/// A model file format.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
pub enum ModelFormat {
	/// ONNX, run by ONNX Runtime.
	#[codec(index = 0)]
	Onnx,
}

/// What a model takes and produces: its format, operator set and tensors.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
pub struct ModelInterface {
	/// File format.
	pub format: ModelFormat,
	/// The ONNX default-domain operator set version the model needs (1 or more).
	pub opset: u32,
	/// Inputs and outputs with element types and shapes (dynamic dimensions marked).
	pub io: ModelIo,
}

/// Who may register models derived from a model.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
pub enum DerivativePolicy {
	/// Anyone, with any edge.
	#[codec(index = 0)]
	Open,
	/// Anyone, but only format conversions and quantizations (the weights stay the owner's).
	#[codec(index = 1)]
	ConversionsOnly,
	/// Only the model's owner.
	#[codec(index = 2)]
	OwnerOnly,
}

/// The owner's terms for inference with, and derivatives of, a model. Fixed at registration:
/// derivatives were registered under them.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
pub struct InferenceTerms<Balance> {
	/// The least the owner receives from each paid inference job (zero for none).
	pub price_floor: Balance,
	/// The owner's royalty on each paid inference job of this model and of every model derived
	/// from it, in basis points of each paid job's fee (at most 10 000).
	pub royalty_bps: u16,
	/// Who may register derivatives.
	pub derivatives: DerivativePolicy,
	/// A dataset a requester must hold a valid `Inference` license of to run the model, if any.
	pub required_license: Option<DatasetId>,
}

/// How a model was made from a parent.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
pub enum EdgeKind {
	/// Further training of the parent's weights (at most one such parent).
	#[codec(index = 0)]
	FineTunedFrom,
	/// Weights merged from two or more parents (all listed with this kind).
	#[codec(index = 1)]
	MergedFrom,
	/// The parent's weights at lower precision (at most one such parent).
	#[codec(index = 2)]
	QuantizedFrom,
	/// Trained to imitate the parent, a teacher (several teachers allowed).
	#[codec(index = 3)]
	DistilledFrom,
	/// An adapter (e.g. LoRA) applied on the parent, its base (at most one such parent).
	#[codec(index = 4)]
	AdapterOf,
	/// The parent in another format or opset, same weights (at most one such parent).
	#[codec(index = 5)]
	ConvertedFrom,
}

impl EdgeKind {
	/// Whether a model lists at most one parent of this kind.
	pub fn is_single_parent(&self) -> bool {
		matches!(
			self,
			EdgeKind::FineTunedFrom
				| EdgeKind::QuantizedFrom
				| EdgeKind::AdapterOf
				| EdgeKind::ConvertedFrom
		)
	}

	/// Whether the edge keeps the parent's weights, changing only their form: what a
	/// [`DerivativePolicy::ConversionsOnly`] parent allows.
	pub fn is_conversion(&self) -> bool {
		matches!(self, EdgeKind::QuantizedFrom | EdgeKind::ConvertedFrom)
	}
}

/// One parent of a model.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
pub struct ParentEdge {
	/// The parent model.
	pub parent: ModelId,
	/// How this model was made from it.
	pub kind: EdgeKind,
}

/// What a dataset was used for in making a model.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
pub enum DataPurpose {
	/// Training (needs a license allowing `Training`).
	#[codec(index = 0)]
	Training,
	/// Fine-tuning (needs a license allowing `FineTuning`).
	#[codec(index = 1)]
	FineTuning,
	/// Evaluation during development (needs a license allowing `Evaluation`).
	#[codec(index = 2)]
	Evaluation,
}

impl DataPurpose {
	/// The license use this purpose needs.
	pub fn license_use(&self) -> LicenseUse {
		match self {
			DataPurpose::Training => LicenseUse::Training,
			DataPurpose::FineTuning => LicenseUse::FineTuning,
			DataPurpose::Evaluation => LicenseUse::Evaluation,
		}
	}

	/// Whether data used this way shapes the weights (and so counts upstream of derivatives).
	pub fn shapes_weights(&self) -> bool {
		!matches!(self, DataPurpose::Evaluation)
	}
}

/// A dataset used in making a model, under a license of the registrant.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
pub struct DataUse {
	/// The dataset.
	pub dataset: DatasetId,
	/// The registrant's license of it.
	pub license: LicenseId,
	/// What it was used for.
	pub purpose: DataPurpose,
}

/// The parents a model lists.
pub type Parents = BoundedVec<ParentEdge, MaxParents>;

/// The datasets a model lists.
pub type DataUses = BoundedVec<DataUse, MaxDataUses>;

/// The life-cycle state of a model.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum ModelStatus<BlockNumber> {
	/// In use.
	#[codec(index = 0)]
	Active,
	/// Superseded: still runs and accepts derivatives, but its owner points elsewhere.
	#[codec(index = 1)]
	Deprecated {
		/// When.
		at: BlockNumber,
		/// The model to use instead, if any.
		successor: Option<ModelId>,
	},
	/// Withdrawn by its owner: no jobs, no derivatives; descendants report it upstream.
	#[codec(index = 2)]
	Revoked {
		/// When.
		at: BlockNumber,
		/// Why (UTF-8).
		reason: RevocationReason,
	},
}

/// A registered model.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Model<AccountId, Balance, BlockNumber> {
	/// The registrant, who receives royalties and may deprecate or revoke it.
	pub owner: AccountId,
	/// The file: SHA-256, CID, size.
	pub file: ModelFile,
	/// Human-readable name (UTF-8).
	pub name: ModelName,
	/// Format, opset and tensors.
	pub interface: ModelInterface,
	/// The owner's inference and derivative terms.
	pub terms: InferenceTerms<Balance>,
	/// The parents, with how this model was made from each.
	pub parents: Parents,
	/// Datasets used in making it, with the licenses they were used under.
	pub data: DataUses,
	/// Length of the longest parent chain above it (0 for a model without parents).
	pub depth: u32,
	/// Life-cycle state.
	pub status: ModelStatus<BlockNumber>,
	/// Block of registration (its licenses were checked valid at this block).
	pub registered_at: BlockNumber,
	/// The deposit held from the owner.
	pub deposit: Balance,
}

/// An ancestor model and what it is owed: kept with each model so lineage checks and royalties
/// need no walk of the graph.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Ancestor<AccountId> {
	/// The ancestor.
	pub model: ModelId,
	/// Its owner.
	pub owner: AccountId,
	/// Its owner's royalty in basis points.
	pub royalty_bps: u16,
	/// Its own parent edges: with these an ancestor lineage is read from one record, not one
	/// per ancestor.
	pub parents: Parents,
}

/// Everything upstream of a model, each entry once: every ancestor (all parents' parents, to
/// the roots) with its parent edges, and every license of weight-shaping data used by the model
/// or an ancestor. Computed once at registration from the parents' own upstream sets.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Upstream<AccountId> {
	/// Every ancestor, nearest first.
	pub ancestors: BoundedVec<Ancestor<AccountId>, MaxAncestors>,
	/// Every license of training or fine-tuning data in the lineage, with its dataset.
	pub licenses: BoundedVec<(DatasetId, LicenseId), MaxUpstreamLicenses>,
}

impl<AccountId> Default for Upstream<AccountId> {
	fn default() -> Self {
		Self { ancestors: BoundedVec::new(), licenses: BoundedVec::new() }
	}
}

/// Ids covered by one entry of the revocation index: model ids per chunk, and chunks per group
/// of its summary.
pub const REVOCATION_SPAN: u64 = 1024;

/// A model's place in the revocation index (see [`RevocationBits::index_position`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct IndexPosition {
	/// The [`RevokedModels`](crate::RevokedModels) entry holding the model's bit.
	pub chunk: u64,
	/// The model's bit in that entry.
	pub offset: u64,
	/// The [`RevokedChunks`](crate::RevokedChunks) entry summarizing the chunk.
	pub group: u64,
	/// The chunk's bit in that summary.
	pub chunk_offset: u64,
}

/// One bit for each of [`REVOCATION_SPAN`] consecutive ids: an entry of the revocation index.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct RevocationBits(pub [u8; (REVOCATION_SPAN / 8) as usize]);

impl Default for RevocationBits {
	fn default() -> Self {
		Self([0; (REVOCATION_SPAN / 8) as usize])
	}
}

impl RevocationBits {
	/// The entry covering `id` and `id`'s bit in it.
	pub fn locate(id: u64) -> (u64, u64) {
		(id / REVOCATION_SPAN, id % REVOCATION_SPAN)
	}

	/// Where model `model` sits in the two-level revocation index: its chunk and bit there, the
	/// chunk's group and the chunk's bit in the group's summary.
	pub fn index_position(model: ModelId) -> IndexPosition {
		let (chunk, offset) = Self::locate(model);
		let (group, chunk_offset) = Self::locate(chunk);
		IndexPosition { chunk, offset, group, chunk_offset }
	}

	/// The offsets of the set bits, in increasing order.
	pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
		(0..REVOCATION_SPAN).filter(|offset| self.contains(*offset))
	}

	/// Whether bit `offset` (below [`REVOCATION_SPAN`]) is set.
	pub fn contains(&self, offset: u64) -> bool {
		self.0.get((offset / 8) as usize).is_some_and(|byte| byte & (1 << (offset % 8)) != 0)
	}

	/// Sets bit `offset` (below [`REVOCATION_SPAN`]).
	pub fn insert(&mut self, offset: u64) {
		if let Some(byte) = self.0.get_mut((offset / 8) as usize) {
			*byte |= 1 << (offset % 8);
		}
	}

	/// Whether no bit is set.
	pub fn is_empty(&self) -> bool {
		self.0.iter().all(|byte| *byte == 0)
	}
}

/// An evaluation result attested by an evaluator.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Evaluation<AccountId, Balance, BlockNumber> {
	/// Who attests it (and paid the deposit).
	pub evaluator: AccountId,
	/// The evaluation dataset.
	pub dataset: DatasetId,
	/// The evaluator's license of it, allowing `Evaluation`.
	pub license: LicenseId,
	/// The metric, e.g. `top1_accuracy`.
	pub metric: MetricName,
	/// The metric's value in millionths (e.g. 0.9312 is 931 200).
	pub value_micro: i64,
	/// Inference receipts of the model the result was computed from.
	pub receipts: BoundedVec<ReceiptId, MaxEvaluationReceipts>,
	/// Block of attestation.
	pub at: BlockNumber,
	/// The deposit held from the evaluator.
	pub deposit: Balance,
}

/// Which way a lineage query walks.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum Direction {
	/// Toward parents.
	#[codec(index = 0)]
	Ancestors,
	/// Toward children.
	#[codec(index = 1)]
	Descendants,
}

/// One edge found by a lineage query: `child` was made from `parent` by `kind`.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct LineageEdge {
	/// The derived model.
	pub child: ModelId,
	/// The model it was made from.
	pub parent: ModelId,
	/// How.
	pub kind: EdgeKind,
	/// Distance of the edge's far end from the queried model (1 for its own parents or
	/// children).
	pub distance: u32,
}

/// A dataset upstream of a model, with its license and the license's status at a block.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct UpstreamDataset {
	/// The dataset.
	pub dataset: DatasetId,
	/// The license it was used under.
	pub license: LicenseId,
	/// The license's status at the block asked about.
	pub status: LicenseStatus,
}

/// Why a model's lineage is not in good standing at a block.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum LineageProblem {
	/// The model itself is revoked.
	#[codec(index = 0)]
	Revoked,
	/// An ancestor is revoked.
	#[codec(index = 1)]
	AncestorRevoked(ModelId),
	/// A license of weight-shaping data upstream is no longer valid (expired, revoked or
	/// removed).
	#[codec(index = 2)]
	LicenseInvalid(LicenseId),
	/// An upstream license does not allow the use asked about.
	#[codec(index = 3)]
	UseNotAllowed(LicenseId),
}

/// The standing of a model's lineage at a block.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub enum LineageStatus {
	/// The model is not revoked, no ancestor is, and every upstream license is valid.
	#[codec(index = 0)]
	Clean,
	/// Something upstream is wrong; each problem listed once.
	#[codec(index = 1)]
	Problems(alloc::vec::Vec<LineageProblem>),
	/// No such model.
	#[codec(index = 2)]
	UnknownModel,
}

/// A page of a model's lineage with the lineage's standing, read in one pass.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct LineagePage {
	/// The page's edges, as [`crate::Pallet::lineage`] returns them.
	pub edges: alloc::vec::Vec<LineageEdge>,
	/// The standing of the model's lineage at the block read (never `UnknownModel`).
	pub status: LineageStatus,
}

/// Who is owed royalties on a model's inference and how much, each recipient once.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct RoyaltyRecipient<AccountId> {
	/// The recipient.
	pub account: AccountId,
	/// Their share of each paid job's fee in basis points, summed over what they are owed for.
	pub bps: u32,
}
