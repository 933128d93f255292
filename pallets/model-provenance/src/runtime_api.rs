//! The `ProvenanceApi` runtime API: models, lineage, upstream data and royalties for researchers
//! and wallets. Each query reads the state of the block it is called at; `at` arguments name the
//! block whose license and revocation status to report (`None` for that same block).

use crate::{
	Direction, EdgeKind, Evaluation, EvaluationId, LineageEdge, LineagePage, LineageStatus, Model,
	ModelHash, ModelId, ReceiptId, RoyaltyRecipient, UpstreamDataset,
};
use alloc::vec::Vec;
use codec::Codec;

sp_api::decl_runtime_apis! {
	/// Queries of model provenance.
	pub trait ProvenanceApi<AccountId, Balance, BlockNumber, Receipt>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
		Receipt: Codec,
	{
		/// The model with id `model`.
		fn model(model: ModelId) -> Option<Model<AccountId, Balance, BlockNumber>>;

		/// The id of the model whose file has SHA-256 `sha256`.
		fn model_by_hash(sha256: ModelHash) -> Option<ModelId>;

		/// The edges from `model` toward its ancestors or descendants, breadth first, at most
		/// `max_depth` steps: the page of at most `limit` (capped at 256) edges from position
		/// `start` of that walk.
		fn lineage(
			model: ModelId,
			direction: Direction,
			max_depth: u32,
			start: u32,
			limit: u32,
		) -> Vec<LineageEdge>;

		/// The same page as `lineage` with the standing of `model`'s lineage at this block, in
		/// one pass (what the `provenance_lineage` RPC answers); `None` for an unknown model.
		fn lineage_page(
			model: ModelId,
			direction: Direction,
			max_depth: u32,
			start: u32,
			limit: u32,
		) -> Option<LineagePage>;

		/// Up to `limit` (capped at 256) children of `model` with edge kinds, after `start_after`.
		fn children(model: ModelId, start_after: Option<ModelId>, limit: u32) -> Vec<(ModelId, EdgeKind)>;

		/// The datasets that shaped `model`'s weights, with licenses and their status at `at`.
		fn upstream_datasets(model: ModelId, at: Option<BlockNumber>) -> Option<Vec<UpstreamDataset>>;

		/// The standing of `model`'s lineage at `at`: clean, or every problem upstream.
		fn lineage_status(model: ModelId, at: Option<BlockNumber>) -> LineageStatus;

		/// Who is owed royalties on an inference of `model`, each once, with basis points.
		fn royalty_recipients(model: ModelId) -> Vec<RoyaltyRecipient<AccountId>>;

		/// Up to `limit` (capped at 256) evaluations of `model`, after `start_after`.
		fn evaluations(
			model: ModelId,
			start_after: Option<EvaluationId>,
			limit: u32,
		) -> Vec<(EvaluationId, Evaluation<AccountId, Balance, BlockNumber>)>;

		/// Up to `limit` (capped at 256) inference receipts of `model`'s file, after
		/// `start_after`, with their records.
		fn receipts(model: ModelId, start_after: Option<ReceiptId>, limit: u32) -> Vec<(ReceiptId, Receipt)>;
	}
}
