//! The JSON the provenance RPC answers with: hex hashes, SS58 accounts, decimal-string balances,
//! camelCase fields and enums as strings, converted from the runtime's records.

use cairn_inference::{Dim, TensorSpec};
use cairn_runtime::{AccountId, Balance, BlockNumber, Hash};
use pallet_data_licensing::{AllowedUses, LicenseStatus};
use pallet_model_provenance::{
	DataPurpose, DerivativePolicy, EdgeKind, LineageEdge, LineageProblem, LineageStatus,
	ModelFormat, ModelId, ModelStatus,
};
use serde::Serialize;
use sp_core::crypto::Ss58Codec;

use super::chain::{BlockRef, DatasetOf, EvaluationOf, LicenseOf, ModelOf, ReceiptOf};

/// `0x`-prefixed lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
	sp_core::bytes::to_hex(bytes, false)
}

/// Parses `0x` followed by exactly 64 hex digits.
pub fn parse_hash(text: &str) -> Option<[u8; 32]> {
	text.starts_with("0x").then(|| cairn_inference::store::from_hex(text)).flatten()
}

pub use cairn_inference::fetch::cid_text;

/// An account in SS58 form (the runtime's prefix 42).
pub fn account(who: &AccountId) -> String {
	who.to_ss58check()
}

/// UTF-8 text of on-chain bytes (invalid sequences replaced).
pub fn text(bytes: &[u8]) -> String {
	String::from_utf8_lossy(bytes).into_owned()
}

/// A balance as a decimal string (it may exceed what a JSON number holds exactly).
pub fn balance(amount: Balance) -> String {
	amount.to_string()
}

/// The block an answer was read at.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BlockView {
	/// Block hash.
	pub hash: String,
	/// Block number.
	pub number: BlockNumber,
}

impl From<BlockRef> for BlockView {
	fn from(block: BlockRef) -> Self {
		BlockView { hash: hex(block.hash.as_bytes()), number: block.number }
	}
}

/// `"fineTunedFrom"`, `"mergedFrom"`, ...
pub fn edge_kind(kind: EdgeKind) -> &'static str {
	match kind {
		EdgeKind::FineTunedFrom => "fineTunedFrom",
		EdgeKind::MergedFrom => "mergedFrom",
		EdgeKind::QuantizedFrom => "quantizedFrom",
		EdgeKind::DistilledFrom => "distilledFrom",
		EdgeKind::AdapterOf => "adapterOf",
		EdgeKind::ConvertedFrom => "convertedFrom",
	}
}

/// `"training"`, `"fineTuning"` or `"evaluation"`.
pub fn purpose(purpose: DataPurpose) -> &'static str {
	match purpose {
		DataPurpose::Training => "training",
		DataPurpose::FineTuning => "fineTuning",
		DataPurpose::Evaluation => "evaluation",
	}
}

/// `"valid"`, `"notYetValid"`, `"expired"`, `"revoked"` or `"unknown"`.
pub fn license_status(status: LicenseStatus) -> &'static str {
	match status {
		LicenseStatus::Valid { .. } => "valid",
		LicenseStatus::NotYetValid => "notYetValid",
		LicenseStatus::Expired => "expired",
		LicenseStatus::Revoked => "revoked",
		LicenseStatus::Unknown => "unknown",
	}
}

/// The uses a license allows, by name (`training`, `fineTuning`, `evaluation`, `inference`,
/// `commercial`).
pub fn allowed_uses(uses: &AllowedUses) -> Vec<&'static str> {
	[
		(uses.training, "training"),
		(uses.fine_tuning, "fineTuning"),
		(uses.evaluation, "evaluation"),
		(uses.inference, "inference"),
		(uses.commercial, "commercial"),
	]
	.into_iter()
	.filter_map(|(allowed, name)| allowed.then_some(name))
	.collect()
}

/// A model file.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FileView {
	/// SHA-256 of the file.
	pub sha256: String,
	/// IPFS CIDv1 in text form, if published.
	pub cid: Option<String>,
	/// Size in bytes.
	pub size_bytes: u64,
}

/// A tensor a model takes or produces.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TensorView {
	/// Name.
	pub name: String,
	/// `f32`, `f16`, `i64`, `i32`, `u8` or `bool`.
	pub element_type: &'static str,
	/// Dimensions; `null` for a dynamic one.
	pub shape: Vec<Option<u64>>,
}

impl From<&TensorSpec> for TensorView {
	fn from(spec: &TensorSpec) -> Self {
		TensorView {
			name: text(&spec.name),
			element_type: crate::inference::element_name(spec.element_type),
			shape: spec
				.shape
				.iter()
				.map(|dim| match dim {
					Dim::Fixed(size) => Some(*size),
					Dim::Dynamic => None,
				})
				.collect(),
		}
	}
}

/// What a model takes and produces.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct InterfaceView {
	/// `onnx`.
	pub format: &'static str,
	/// ONNX operator set.
	pub opset: u32,
	/// Inputs.
	pub inputs: Vec<TensorView>,
	/// Outputs.
	pub outputs: Vec<TensorView>,
}

/// The owner's terms.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TermsView {
	/// Least the owner receives per paid job (planck, decimal string).
	pub price_floor: String,
	/// Royalty on every paid job of the model and its derivatives, basis points.
	pub royalty_bps: u16,
	/// `open`, `conversionsOnly` or `ownerOnly`.
	pub derivatives: &'static str,
	/// Dataset whose `inference` license a requester needs, if any.
	pub required_license: Option<u64>,
}

/// A parent of a model.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ParentView {
	/// The parent model.
	pub parent: ModelId,
	/// How the model was made from it.
	pub kind: &'static str,
}

/// A dataset a model's registrant used.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DataUseView {
	/// The dataset.
	pub dataset: u64,
	/// The license it was used under.
	pub license: u64,
	/// `training`, `fineTuning` or `evaluation`.
	pub purpose: &'static str,
}

/// A model's life-cycle state.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum ModelStatusView {
	/// In use.
	Active,
	/// Superseded.
	Deprecated {
		/// Block of deprecation.
		at: BlockNumber,
		/// The model to use instead.
		successor: Option<ModelId>,
	},
	/// Withdrawn.
	Revoked {
		/// Block of revocation.
		at: BlockNumber,
		/// Why.
		reason: String,
	},
}

impl From<&ModelStatus<BlockNumber>> for ModelStatusView {
	fn from(status: &ModelStatus<BlockNumber>) -> Self {
		match status {
			ModelStatus::Active => ModelStatusView::Active,
			ModelStatus::Deprecated { at, successor } => {
				ModelStatusView::Deprecated { at: *at, successor: *successor }
			},
			ModelStatus::Revoked { at, reason } => {
				ModelStatusView::Revoked { at: *at, reason: text(reason) }
			},
		}
	}
}

/// A registered model.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ModelView {
	/// Model id.
	pub id: ModelId,
	/// Owner (SS58).
	pub owner: String,
	/// Name.
	pub name: String,
	/// The file.
	pub file: FileView,
	/// Format, opset and tensors.
	pub interface: InterfaceView,
	/// The owner's terms.
	pub terms: TermsView,
	/// Parents with edge kinds.
	pub parents: Vec<ParentView>,
	/// Datasets used, with licenses and purposes.
	pub data: Vec<DataUseView>,
	/// Longest parent chain above it.
	pub depth: u32,
	/// Life-cycle state.
	pub status: ModelStatusView,
	/// Block of registration.
	pub registered_at: BlockNumber,
	/// Deposit held (planck, decimal string).
	pub deposit: String,
}

impl ModelView {
	/// The view of model `id`'s record.
	pub fn new(id: ModelId, model: &ModelOf) -> Self {
		ModelView {
			id,
			owner: account(&model.owner),
			name: text(&model.name),
			file: FileView {
				sha256: hex(&model.file.sha256),
				cid: model.file.cid.as_ref().map(|cid| cid_text(cid)),
				size_bytes: model.file.size_bytes,
			},
			interface: InterfaceView {
				format: match model.interface.format {
					ModelFormat::Onnx => "onnx",
				},
				opset: model.interface.opset,
				inputs: model.interface.io.inputs.iter().map(Into::into).collect(),
				outputs: model.interface.io.outputs.iter().map(Into::into).collect(),
			},
			terms: TermsView {
				price_floor: balance(model.terms.price_floor),
				royalty_bps: model.terms.royalty_bps,
				derivatives: match model.terms.derivatives {
					DerivativePolicy::Open => "open",
					DerivativePolicy::ConversionsOnly => "conversionsOnly",
					DerivativePolicy::OwnerOnly => "ownerOnly",
				},
				required_license: model.terms.required_license,
			},
			parents: model
				.parents
				.iter()
				.map(|edge| ParentView { parent: edge.parent, kind: edge_kind(edge.kind) })
				.collect(),
			data: model
				.data
				.iter()
				.map(|used| DataUseView {
					dataset: used.dataset,
					license: used.license,
					purpose: purpose(used.purpose),
				})
				.collect(),
			depth: model.depth,
			status: (&model.status).into(),
			registered_at: model.registered_at,
			deposit: balance(model.deposit),
		}
	}
}

/// One lineage edge.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EdgeView {
	/// The derived model.
	pub child: ModelId,
	/// The model it was made from.
	pub parent: ModelId,
	/// How.
	pub kind: &'static str,
	/// Steps from the queried model to the edge's far end.
	pub distance: u32,
}

impl From<&LineageEdge> for EdgeView {
	fn from(edge: &LineageEdge) -> Self {
		EdgeView {
			child: edge.child,
			parent: edge.parent,
			kind: edge_kind(edge.kind),
			distance: edge.distance,
		}
	}
}

/// A problem with a lineage.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(tag = "problem", rename_all = "camelCase")]
pub enum ProblemView {
	/// The model itself is revoked.
	Revoked,
	/// An ancestor is revoked.
	AncestorRevoked {
		/// The ancestor.
		model: ModelId,
	},
	/// An upstream license is not valid.
	LicenseInvalid {
		/// The license.
		license: u64,
	},
	/// An upstream license does not allow the use asked about.
	UseNotAllowed {
		/// The license.
		license: u64,
	},
}

/// The standing of a lineage at a block.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StatusView {
	/// No problem anywhere upstream.
	pub clean: bool,
	/// Every problem, each once.
	pub problems: Vec<ProblemView>,
}

impl StatusView {
	/// The view of a known model's status; `None` for [`LineageStatus::UnknownModel`].
	pub fn new(status: &LineageStatus) -> Option<Self> {
		let problems = match status {
			LineageStatus::Clean => Vec::new(),
			LineageStatus::Problems(problems) => problems
				.iter()
				.map(|problem| match problem {
					LineageProblem::Revoked => ProblemView::Revoked,
					LineageProblem::AncestorRevoked(model) => {
						ProblemView::AncestorRevoked { model: *model }
					},
					LineageProblem::LicenseInvalid(license) => {
						ProblemView::LicenseInvalid { license: *license }
					},
					LineageProblem::UseNotAllowed(license) => {
						ProblemView::UseNotAllowed { license: *license }
					},
				})
				.collect(),
			LineageStatus::UnknownModel => return None,
		};
		Some(StatusView { clean: problems.is_empty(), problems })
	}
}

/// A dataset.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DatasetView {
	/// Dataset id.
	pub id: u64,
	/// Owner (SS58).
	pub owner: String,
	/// Name.
	pub name: String,
	/// SHA-256 of the content.
	pub content_hash: String,
	/// IPFS CIDv1 in text form, if published.
	pub cid: Option<String>,
	/// Size in bytes.
	pub size_bytes: u64,
	/// Sells no more licenses.
	pub retired: bool,
	/// Block of registration.
	pub registered_at: BlockNumber,
}

impl DatasetView {
	/// The view of dataset `id`'s record.
	pub fn new(id: u64, dataset: &DatasetOf) -> Self {
		DatasetView {
			id,
			owner: account(&dataset.owner),
			name: text(&dataset.name),
			content_hash: hex(&dataset.content_hash),
			cid: dataset.cid.as_ref().map(|cid| cid_text(cid)),
			size_bytes: dataset.size_bytes,
			retired: dataset.retired,
			registered_at: dataset.registered_at,
		}
	}
}

/// A revocation of a license.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RevocationView {
	/// Block of revocation.
	pub at: BlockNumber,
	/// Why.
	pub reason: String,
}

/// A license and its terms.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LicenseView {
	/// License id.
	pub id: u64,
	/// The dataset.
	pub dataset: u64,
	/// The offer it was bought from.
	pub offer: u32,
	/// Holder (SS58).
	pub holder: String,
	/// SPDX identifier of the terms.
	pub spdx: String,
	/// Allowed uses.
	pub allowed_uses: Vec<&'static str>,
	/// Dataset owner's royalty on inference of models trained on it, basis points.
	pub royalty_bps: u16,
	/// Price paid (planck, decimal string).
	pub price: String,
	/// First valid block.
	pub start: BlockNumber,
	/// Block it expires at, if it does.
	pub expiry: Option<BlockNumber>,
	/// Its revocation, if revoked.
	pub revoked: Option<RevocationView>,
}

impl LicenseView {
	/// The view of license `id`'s record.
	pub fn new(id: u64, license: &LicenseOf) -> Self {
		LicenseView {
			id,
			dataset: license.dataset,
			offer: license.offer,
			holder: account(&license.holder),
			spdx: text(&license.terms.spdx),
			allowed_uses: allowed_uses(&license.terms.allowed_uses),
			royalty_bps: license.terms.royalty_bps,
			price: balance(license.terms.price),
			start: license.start,
			expiry: license.expiry,
			revoked: license
				.revoked
				.as_ref()
				.map(|(at, reason)| RevocationView { at: *at, reason: text(reason) }),
		}
	}
}

/// A dataset upstream of a model, with its license's status at the block asked about.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UpstreamView {
	/// The dataset (`null` if removed).
	pub dataset: Option<DatasetView>,
	/// The license (`null` if removed).
	pub license: Option<LicenseView>,
	/// Dataset id.
	pub dataset_id: u64,
	/// License id.
	pub license_id: u64,
	/// `valid`, `notYetValid`, `expired`, `revoked` or `unknown`.
	pub status: &'static str,
}

/// An evaluation.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EvaluationView {
	/// Evaluation id.
	pub id: u64,
	/// Evaluator (SS58).
	pub evaluator: String,
	/// The evaluation dataset.
	pub dataset: u64,
	/// The evaluator's license of it.
	pub license: u64,
	/// Metric name.
	pub metric: String,
	/// Value in millionths (exact).
	pub value_micro: i64,
	/// Value (`valueMicro / 1e6`).
	pub value: f64,
	/// Receipts the result was computed from.
	pub receipts: Vec<u64>,
	/// Block of attestation.
	pub attested_at: BlockNumber,
}

impl EvaluationView {
	/// The view of evaluation `id`.
	pub fn new(id: u64, evaluation: &EvaluationOf) -> Self {
		EvaluationView {
			id,
			evaluator: account(&evaluation.evaluator),
			dataset: evaluation.dataset,
			license: evaluation.license,
			metric: text(&evaluation.metric),
			value_micro: evaluation.value_micro,
			value: evaluation.value_micro as f64 / 1e6,
			receipts: evaluation.receipts.to_vec(),
			attested_at: evaluation.at,
		}
	}
}

/// An inference receipt.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptView {
	/// Receipt id.
	pub id: u64,
	/// The job.
	pub job: u64,
	/// Provider that signed it (SS58).
	pub provider: String,
	/// SHA-256 of the model file that ran.
	pub model_hash: String,
	/// SHA-256 of the canonical input.
	pub input_hash: String,
	/// SHA-256 of the canonical outputs.
	pub output_hash: String,
	/// Execution provider (`cpu`, `cuda`, ...).
	pub execution_provider: &'static str,
	/// ONNX Runtime version.
	pub runtime_version: String,
	/// Reported run time, microseconds.
	pub elapsed_micros: u64,
	/// Block of submission.
	pub submitted_at: BlockNumber,
}

impl ReceiptView {
	/// The view of receipt `id`.
	pub fn new(id: u64, receipt: &ReceiptOf) -> Self {
		ReceiptView {
			id,
			job: receipt.job,
			provider: account(&receipt.provider),
			model_hash: hex(&receipt.model_hash),
			input_hash: hex(&receipt.input_hash),
			output_hash: hex(&receipt.output_hash),
			execution_provider: receipt.execution_provider.name(),
			runtime_version: text(&receipt.runtime_version),
			elapsed_micros: receipt.elapsed_micros,
			submitted_at: receipt.submitted_at,
		}
	}
}

/// The hash of `block` as the views print it.
pub fn hash_text(hash: &Hash) -> String {
	hex(hash.as_bytes())
}
