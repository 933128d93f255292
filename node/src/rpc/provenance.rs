//! `provenance_*` JSON-RPC methods: models, lineage, upstream datasets with license status,
//! evaluations, receipts and an OpenLineage export, each as of any block whose state the node
//! keeps, in human-readable JSON. Documented with curl examples in `docs/rpc.md`.
//!
//! Parameters may be positional (in the documented order) or named (an object). Lists come in
//! pages of at most [`MAX_PAGE_SIZE`] with an opaque `nextCursor` that pins later pages to the
//! block of the first, so pages always fit together.

pub mod chain;
pub mod openlineage;
pub mod views;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use codec::{Decode, Encode};
use jsonrpsee::{
	types::{ErrorObjectOwned, Params},
	RpcModule,
};
use pallet_model_provenance::{Direction, ModelId};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{Map, Value};

use chain::{BlockRef, ChainError, ProvenanceChain};
use views::{
	hex, parse_hash, BlockView, DatasetView, EdgeView, EvaluationView, LicenseView, ModelView,
	ReceiptView, StatusView, UpstreamView,
};

/// The most entries one page holds (and the default page size).
pub const MAX_PAGE_SIZE: u32 = 100;

/// The deepest lineage a query walks: the runtime's bound on parent chains.
pub const MAX_LINEAGE_DEPTH: u32 = 64;

/// The error codes of the provenance RPC (besides JSON-RPC's own, e.g. `-32602` for parameters
/// that do not parse).
pub mod code {
	/// Invalid parameters: missing, of the wrong type, unknown, or too many.
	pub const INVALID_PARAMS: i32 = -32602;
	/// No block with the given hash is known.
	pub const UNKNOWN_BLOCK: i32 = -32010;
	/// The block is known but this node no longer keeps its state (run an archive node,
	/// `--state-pruning archive`, to query any block).
	pub const PRUNED_STATE: i32 = -32011;
	/// A hash parameter is not `0x` and 64 hex digits.
	pub const MALFORMED_HASH: i32 = -32020;
	/// A cursor that is not one this RPC issued, or issued for another query or block.
	pub const INVALID_CURSOR: i32 = -32021;
	/// `maxDepth` over [`super::MAX_LINEAGE_DEPTH`].
	pub const DEPTH_OVER_MAXIMUM: i32 = -32022;
	/// `pageSize` zero or over [`super::MAX_PAGE_SIZE`].
	pub const PAGE_SIZE_OUT_OF_RANGE: i32 = -32023;
	/// No model with that id or file hash at that block.
	pub const UNKNOWN_MODEL: i32 = -32030;
	/// The runtime failed to answer (a node or runtime fault, not the request's).
	pub const RUNTIME_FAILED: i32 = -32040;
}

/// Why a provenance request was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum ProvenanceError {
	/// The parameters do not parse.
	InvalidParams(String),
	/// No block with this hash.
	UnknownBlock(String),
	/// The block's state is pruned.
	PrunedState(BlockRef),
	/// A hash parameter is malformed.
	MalformedHash {
		/// Which parameter.
		param: &'static str,
	},
	/// The cursor is not valid for this request.
	InvalidCursor(&'static str),
	/// The depth asked for is over the maximum.
	DepthOverMaximum(u32),
	/// The page size is zero or over the maximum.
	PageSizeOutOfRange(u32),
	/// No such model.
	UnknownModel(String, BlockRef),
	/// The runtime call failed.
	RuntimeFailed(String),
}

impl From<ChainError> for ProvenanceError {
	fn from(error: ChainError) -> Self {
		match error {
			ChainError::UnknownBlock(hash) => {
				ProvenanceError::UnknownBlock(views::hash_text(&hash))
			},
			ChainError::PrunedState(block) => ProvenanceError::PrunedState(block),
			ChainError::Runtime(message) => ProvenanceError::RuntimeFailed(message),
		}
	}
}

impl From<ProvenanceError> for ErrorObjectOwned {
	fn from(error: ProvenanceError) -> Self {
		use serde_json::json;
		let (code, message, data) = match error {
			ProvenanceError::InvalidParams(why) => {
				(code::INVALID_PARAMS, format!("invalid params: {why}"), None)
			},
			ProvenanceError::UnknownBlock(hash) => {
				(code::UNKNOWN_BLOCK, format!("unknown block {hash}"), Some(json!({ "at": hash })))
			},
			ProvenanceError::PrunedState(block) => (
				code::PRUNED_STATE,
				format!(
					"the state of block {} ({}) is pruned on this node",
					block.number,
					views::hash_text(&block.hash)
				),
				Some(json!({ "at": BlockView::from(block) })),
			),
			ProvenanceError::MalformedHash { param } => (
				code::MALFORMED_HASH,
				format!("malformed hash in `{param}`: expected 0x and 64 hex digits"),
				Some(json!({ "param": param })),
			),
			ProvenanceError::InvalidCursor(why) => {
				(code::INVALID_CURSOR, format!("invalid cursor: {why}"), None)
			},
			ProvenanceError::DepthOverMaximum(depth) => (
				code::DEPTH_OVER_MAXIMUM,
				format!("maxDepth {depth} is over the maximum {MAX_LINEAGE_DEPTH}"),
				Some(json!({ "maximum": MAX_LINEAGE_DEPTH })),
			),
			ProvenanceError::PageSizeOutOfRange(size) => (
				code::PAGE_SIZE_OUT_OF_RANGE,
				format!("pageSize {size} is not between 1 and {MAX_PAGE_SIZE}"),
				Some(json!({ "maximum": MAX_PAGE_SIZE })),
			),
			ProvenanceError::UnknownModel(which, block) => (
				code::UNKNOWN_MODEL,
				format!("unknown model {which} at block {}", block.number),
				Some(json!({ "at": BlockView::from(block) })),
			),
			ProvenanceError::RuntimeFailed(why) => {
				(code::RUNTIME_FAILED, format!("runtime call failed: {why}"), None)
			},
		};
		ErrorObjectOwned::owned(code, message, data)
	}
}

/// Reads a method's parameters, positional (in the order of `names`) or named, into `T`.
fn parse<T: DeserializeOwned>(params: &Params, names: &[&str]) -> Result<T, ProvenanceError> {
	let invalid = |why: String| ProvenanceError::InvalidParams(why);
	let value: Value = match params.as_str() {
		None => Value::Null,
		Some(raw) => serde_json::from_str(raw).map_err(|e| invalid(e.to_string()))?,
	};
	let object = match value {
		Value::Null => Map::new(),
		Value::Object(object) => object,
		Value::Array(values) => {
			if values.len() > names.len() {
				return Err(invalid(format!(
					"expected at most {} parameters ({}), got {}",
					names.len(),
					names.join(", "),
					values.len()
				)));
			}
			names.iter().map(|name| name.to_string()).zip(values).collect()
		},
		_ => return Err(invalid("expected an array or an object".into())),
	};
	serde_json::from_value(Value::Object(object)).map_err(|e| invalid(e.to_string()))
}

/// Which way a lineage query walks, as the RPC names it.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub enum DirectionParam {
	/// Toward parents (the default).
	#[default]
	Ancestors,
	/// Toward children.
	Descendants,
}

impl From<DirectionParam> for Direction {
	fn from(direction: DirectionParam) -> Self {
		match direction {
			DirectionParam::Ancestors => Direction::Ancestors,
			DirectionParam::Descendants => Direction::Descendants,
		}
	}
}

/// `model` and an optional `at`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ModelParams {
	model: ModelId,
	at: Option<String>,
}

/// `sha256` and an optional `at`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ModelByHashParams {
	sha256: String,
	at: Option<String>,
}

/// The parameters of `provenance_lineage`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LineageParams {
	model: ModelId,
	direction: Option<DirectionParam>,
	max_depth: Option<u32>,
	page_size: Option<u32>,
	cursor: Option<String>,
	at: Option<String>,
}

/// The parameters of a paginated list of a model's records.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PageParams {
	model: ModelId,
	page_size: Option<u32>,
	cursor: Option<String>,
	at: Option<String>,
}

/// Positional parameter names of each method.
const MODEL_PARAMS: &[&str] = &["model", "at"];
const MODEL_BY_HASH_PARAMS: &[&str] = &["sha256", "at"];
const LINEAGE_PARAMS: &[&str] = &["model", "direction", "maxDepth", "pageSize", "cursor", "at"];
const PAGE_PARAMS: &[&str] = &["model", "pageSize", "cursor", "at"];

/// What a cursor continues.
#[derive(Encode, Decode, Clone, Copy, Debug, PartialEq, Eq)]
enum Listing {
	/// A lineage walk, with its direction (0 ancestors, 1 descendants) and depth.
	Lineage { descendants: bool, max_depth: u32 },
	/// Evaluations.
	Evaluations,
	/// Receipts.
	Receipts,
}

/// Where the next page starts: the query, the block the first page was read at and a position
/// (an offset into a lineage walk, or the last id returned). Sent as opaque hex.
#[derive(Encode, Decode, Clone, Copy, Debug, PartialEq, Eq)]
struct Cursor {
	listing: Listing,
	model: ModelId,
	block: [u8; 32],
	position: u64,
}

impl Cursor {
	fn text(&self) -> String {
		hex(&self.encode())
	}

	fn parse(text: &str) -> Option<Self> {
		if !text.starts_with("0x") {
			return None;
		}
		let bytes = sp_core::bytes::from_hex(text).ok()?;
		let mut input = &bytes[..];
		let cursor = Cursor::decode(&mut input).ok()?;
		input.is_empty().then_some(cursor)
	}
}

/// The answer of `provenance_model` and `provenance_modelByHash`.
#[derive(Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ModelAnswer {
	/// The block read.
	pub at: BlockView,
	/// The model.
	#[serde(flatten)]
	pub model: ModelView,
}

/// The answer of `provenance_lineage`.
#[derive(Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct LineageAnswer {
	/// The block read.
	pub at: BlockView,
	/// The model asked about.
	pub model: ModelId,
	/// `ancestors` or `descendants`.
	pub direction: DirectionParam,
	/// The depth walked.
	pub max_depth: u32,
	/// This page's edges, breadth first.
	pub edges: Vec<EdgeView>,
	/// The standing of the model's lineage at the block: revocations and invalid licenses.
	pub status: StatusView,
	/// Cursor of the next page; `null` on the last.
	pub next_cursor: Option<String>,
}

/// The answer of `provenance_datasets`.
#[derive(Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct DatasetsAnswer {
	/// The block read.
	pub at: BlockView,
	/// The model asked about.
	pub model: ModelId,
	/// Every dataset that shaped its weights (its own and its ancestors'), with the license
	/// used and its status at the block.
	pub datasets: Vec<UpstreamView>,
}

/// The answer of `provenance_evaluations`.
#[derive(Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct EvaluationsAnswer {
	/// The block read.
	pub at: BlockView,
	/// The model asked about.
	pub model: ModelId,
	/// This page's evaluations.
	pub evaluations: Vec<EvaluationView>,
	/// Cursor of the next page; `null` on the last.
	pub next_cursor: Option<String>,
}

/// The answer of `provenance_receipts`.
#[derive(Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptsAnswer {
	/// The block read.
	pub at: BlockView,
	/// The model asked about.
	pub model: ModelId,
	/// This page's receipts of the model's file.
	pub receipts: Vec<ReceiptView>,
	/// Cursor of the next page; `null` on the last.
	pub next_cursor: Option<String>,
}

/// The provenance RPC over a chain.
pub struct Provenance<Ch> {
	chain: Arc<Ch>,
}

impl<Ch: ProvenanceChain> Provenance<Ch> {
	/// The RPC reading `chain`.
	pub fn new(chain: Arc<Ch>) -> Self {
		Self { chain }
	}

	/// The block named by `at`, or the best block.
	fn resolve(&self, at: Option<&str>) -> Result<BlockRef, ProvenanceError> {
		match at {
			None => Ok(self.chain.best()),
			Some(text) => {
				let hash =
					parse_hash(text).ok_or(ProvenanceError::MalformedHash { param: "at" })?;
				Ok(self.chain.block(hash.into())?)
			},
		}
	}

	/// The block and starting position of a page: the cursor's, checked against the request,
	/// or `at`'s and the start.
	fn page_start(
		&self,
		listing: Listing,
		model: ModelId,
		cursor: Option<&str>,
		at: Option<&str>,
	) -> Result<(BlockRef, Option<u64>), ProvenanceError> {
		let Some(text) = cursor else { return Ok((self.resolve(at)?, None)) };
		let cursor = Cursor::parse(text)
			.ok_or(ProvenanceError::InvalidCursor("not a cursor this RPC issued"))?;
		if cursor.listing != listing || cursor.model != model {
			return Err(ProvenanceError::InvalidCursor("issued for another query"));
		}
		if let Some(at) = at {
			let hash = parse_hash(at).ok_or(ProvenanceError::MalformedHash { param: "at" })?;
			if hash != cursor.block {
				return Err(ProvenanceError::InvalidCursor("issued for another block than `at`"));
			}
		}
		Ok((self.chain.block(cursor.block.into())?, Some(cursor.position)))
	}

	/// The model `id` at `block`, or `UnknownModel`.
	fn known_model(&self, block: BlockRef, id: ModelId) -> Result<chain::ModelOf, ProvenanceError> {
		self.chain
			.model(block, id)?
			.ok_or_else(|| ProvenanceError::UnknownModel(id.to_string(), block))
	}

	/// `provenance_model`: the model with that id.
	pub fn model(&self, model: ModelId, at: Option<&str>) -> Result<ModelAnswer, ProvenanceError> {
		let block = self.resolve(at)?;
		let record = self.known_model(block, model)?;
		Ok(ModelAnswer { at: block.into(), model: ModelView::new(model, &record) })
	}

	/// `provenance_modelByHash`: the model whose file has that SHA-256.
	pub fn model_by_hash(
		&self,
		sha256: &str,
		at: Option<&str>,
	) -> Result<ModelAnswer, ProvenanceError> {
		let hash = parse_hash(sha256).ok_or(ProvenanceError::MalformedHash { param: "sha256" })?;
		let block = self.resolve(at)?;
		let unknown = || ProvenanceError::UnknownModel(format!("with file hash {sha256}"), block);
		let id = self.chain.model_by_hash(block, hash)?.ok_or_else(unknown)?;
		let record = self.chain.model(block, id)?.ok_or_else(unknown)?;
		Ok(ModelAnswer { at: block.into(), model: ModelView::new(id, &record) })
	}

	/// `provenance_lineage`: a page of the model's ancestors or descendants with edge kinds, and
	/// the standing of its lineage.
	#[allow(clippy::too_many_arguments)]
	pub fn lineage(
		&self,
		model: ModelId,
		direction: DirectionParam,
		max_depth: Option<u32>,
		page_size: Option<u32>,
		cursor: Option<&str>,
		at: Option<&str>,
	) -> Result<LineageAnswer, ProvenanceError> {
		let max_depth = max_depth.unwrap_or(MAX_LINEAGE_DEPTH);
		if max_depth > MAX_LINEAGE_DEPTH {
			return Err(ProvenanceError::DepthOverMaximum(max_depth));
		}
		let page = page_size_of(page_size)?;
		let listing =
			Listing::Lineage { descendants: direction == DirectionParam::Descendants, max_depth };
		let (block, position) = self.page_start(listing, model, cursor, at)?;
		let start = u32::try_from(position.unwrap_or(0))
			.map_err(|_| ProvenanceError::InvalidCursor("position out of range"))?;
		let found = self
			.chain
			.lineage_page(block, model, direction.into(), max_depth, start, page + 1)?
			.ok_or_else(|| ProvenanceError::UnknownModel(model.to_string(), block))?;
		let status = StatusView::new(&found.status)
			.ok_or_else(|| ProvenanceError::UnknownModel(model.to_string(), block))?;
		let mut edges = found.edges;
		let next_cursor = (edges.len() > page as usize).then(|| {
			edges.truncate(page as usize);
			Cursor {
				listing,
				model,
				block: block.hash.into(),
				position: u64::from(start) + u64::from(page),
			}
			.text()
		});
		Ok(LineageAnswer {
			at: block.into(),
			model,
			direction,
			max_depth,
			edges: edges.iter().map(Into::into).collect(),
			status,
			next_cursor,
		})
	}

	/// `provenance_datasets`: every dataset upstream of the model, with its license's status.
	pub fn datasets(
		&self,
		model: ModelId,
		at: Option<&str>,
	) -> Result<DatasetsAnswer, ProvenanceError> {
		let block = self.resolve(at)?;
		let upstream = self
			.chain
			.upstream_datasets(block, model)?
			.ok_or_else(|| ProvenanceError::UnknownModel(model.to_string(), block))?;
		let mut datasets = Vec::with_capacity(upstream.len());
		for entry in upstream {
			datasets.push(UpstreamView {
				dataset: self
					.chain
					.dataset(block, entry.dataset)?
					.map(|d| DatasetView::new(entry.dataset, &d)),
				license: self
					.chain
					.license(block, entry.license)?
					.map(|l| LicenseView::new(entry.license, &l)),
				dataset_id: entry.dataset,
				license_id: entry.license,
				status: views::license_status(entry.status),
			});
		}
		Ok(DatasetsAnswer { at: block.into(), model, datasets })
	}

	/// A page of a model's records listed by id (`listing`), read by `fetch(block, after,
	/// limit)`: the block, the page and the cursor of the next page.
	#[allow(clippy::type_complexity)]
	fn id_page<T>(
		&self,
		listing: Listing,
		model: ModelId,
		page_size: Option<u32>,
		cursor: Option<&str>,
		at: Option<&str>,
		fetch: impl FnOnce(BlockRef, Option<u64>, u32) -> Result<Vec<(u64, T)>, ChainError>,
	) -> Result<(BlockRef, Vec<(u64, T)>, Option<String>), ProvenanceError> {
		let page = page_size_of(page_size)?;
		let (block, start_after) = self.page_start(listing, model, cursor, at)?;
		self.known_model(block, model)?;
		let mut found = fetch(block, start_after, page + 1)?;
		let next_cursor = next_after(&mut found, page, |last| Cursor {
			listing,
			model,
			block: block.hash.into(),
			position: last,
		});
		Ok((block, found, next_cursor))
	}

	/// `provenance_evaluations`: a page of the model's evaluations.
	pub fn evaluations(
		&self,
		model: ModelId,
		page_size: Option<u32>,
		cursor: Option<&str>,
		at: Option<&str>,
	) -> Result<EvaluationsAnswer, ProvenanceError> {
		let (block, found, next_cursor) =
			self.id_page(Listing::Evaluations, model, page_size, cursor, at, |block, after, n| {
				self.chain.evaluations(block, model, after, n)
			})?;
		Ok(EvaluationsAnswer {
			at: block.into(),
			model,
			evaluations: found.iter().map(|(id, e)| EvaluationView::new(*id, e)).collect(),
			next_cursor,
		})
	}

	/// `provenance_receipts`: a page of the inference receipts of the model's file.
	pub fn receipts(
		&self,
		model: ModelId,
		page_size: Option<u32>,
		cursor: Option<&str>,
		at: Option<&str>,
	) -> Result<ReceiptsAnswer, ProvenanceError> {
		let (block, found, next_cursor) =
			self.id_page(Listing::Receipts, model, page_size, cursor, at, |block, after, n| {
				self.chain.receipts(block, model, after, n)
			})?;
		Ok(ReceiptsAnswer {
			at: block.into(),
			model,
			receipts: found.iter().map(|(id, r)| ReceiptView::new(*id, r)).collect(),
			next_cursor,
		})
	}

	/// `provenance_exportOpenLineage`: the model's lineage as OpenLineage run events.
	pub fn export_open_lineage(
		&self,
		model: ModelId,
		at: Option<&str>,
	) -> Result<Vec<Value>, ProvenanceError> {
		let block = self.resolve(at)?;
		openlineage::export(&*self.chain, block, model)
	}

	/// The JSON-RPC module with every `provenance_*` method.
	pub fn into_rpc(self) -> RpcModule<Self> {
		let mut module = RpcModule::new(self);
		let registered = [
			module
				.register_method("provenance_model", |params, rpc, _| {
					let p: ModelParams = parse(&params, MODEL_PARAMS)?;
					rpc.model(p.model, p.at.as_deref()).map_err(ErrorObjectOwned::from)
				})
				.map(|_| ()),
			module
				.register_method("provenance_modelByHash", |params, rpc, _| {
					let p: ModelByHashParams = parse(&params, MODEL_BY_HASH_PARAMS)?;
					rpc.model_by_hash(&p.sha256, p.at.as_deref()).map_err(ErrorObjectOwned::from)
				})
				.map(|_| ()),
			module
				.register_method("provenance_lineage", |params, rpc, _| {
					let p: LineageParams = parse(&params, LINEAGE_PARAMS)?;
					rpc.lineage(
						p.model,
						p.direction.unwrap_or_default(),
						p.max_depth,
						p.page_size,
						p.cursor.as_deref(),
						p.at.as_deref(),
					)
					.map_err(ErrorObjectOwned::from)
				})
				.map(|_| ()),
			module
				.register_method("provenance_datasets", |params, rpc, _| {
					let p: ModelParams = parse(&params, MODEL_PARAMS)?;
					rpc.datasets(p.model, p.at.as_deref()).map_err(ErrorObjectOwned::from)
				})
				.map(|_| ()),
			module
				.register_method("provenance_evaluations", |params, rpc, _| {
					let p: PageParams = parse(&params, PAGE_PARAMS)?;
					rpc.evaluations(p.model, p.page_size, p.cursor.as_deref(), p.at.as_deref())
						.map_err(ErrorObjectOwned::from)
				})
				.map(|_| ()),
			module
				.register_method("provenance_receipts", |params, rpc, _| {
					let p: PageParams = parse(&params, PAGE_PARAMS)?;
					rpc.receipts(p.model, p.page_size, p.cursor.as_deref(), p.at.as_deref())
						.map_err(ErrorObjectOwned::from)
				})
				.map(|_| ()),
			module
				.register_method("provenance_exportOpenLineage", |params, rpc, _| {
					let p: ModelParams = parse(&params, MODEL_PARAMS)?;
					rpc.export_open_lineage(p.model, p.at.as_deref())
						.map_err(ErrorObjectOwned::from)
				})
				.map(|_| ()),
		];
		for result in registered {
			// The names are constants and distinct: registering cannot fail.
			result.expect("provenance RPC method names are distinct");
		}
		module
	}
}

/// A requested page size, checked; the maximum when not given.
fn page_size_of(page_size: Option<u32>) -> Result<u32, ProvenanceError> {
	match page_size.unwrap_or(MAX_PAGE_SIZE) {
		size @ 1..=MAX_PAGE_SIZE => Ok(size),
		size => Err(ProvenanceError::PageSizeOutOfRange(size)),
	}
}

/// Cuts `found` (asked for `page + 1` entries) to `page` and, if there were more, returns the
/// cursor after its last id.
fn next_after<T>(
	found: &mut Vec<(u64, T)>,
	page: u32,
	cursor: impl FnOnce(u64) -> Cursor,
) -> Option<String> {
	if found.len() <= page as usize {
		return None;
	}
	found.truncate(page as usize);
	found.last().map(|(last, _)| cursor(*last).text())
}
