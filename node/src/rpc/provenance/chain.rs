//! Where the provenance RPC reads from: a block's state through the runtime APIs, behind a trait
//! so the JSON-RPC layer is tested against real runtime logic without a running node.

use std::{marker::PhantomData, sync::Arc};

use cairn_runtime::{opaque::Block, AccountId, Balance, BlockNumber, Hash, RuntimeCall};
use codec::{Decode, Encode};
use pallet_data_licensing::{runtime_api::DataLicensingApi, DatasetId, LicenseId, LicenseStatus};
use pallet_model_provenance::{
	runtime_api::ProvenanceApi, Direction, EvaluationId, LineageEdge, LineagePage, ModelHash,
	ModelId, ReceiptId, UpstreamDataset,
};
use sc_client_api::{Backend, BlockBackend};
use sp_api::{ApiError, ProvideRuntimeApi};
use sp_blockchain::HeaderBackend;

/// A model record as the runtime stores it.
pub type ModelOf = pallet_model_provenance::Model<AccountId, Balance, BlockNumber>;
/// A dataset record.
pub type DatasetOf = pallet_data_licensing::Dataset<AccountId, Balance, BlockNumber>;
/// A license record.
pub type LicenseOf = pallet_data_licensing::License<AccountId, Balance, BlockNumber>;
/// An evaluation record.
pub type EvaluationOf = pallet_model_provenance::Evaluation<AccountId, Balance, BlockNumber>;
/// An inference receipt record.
pub type ReceiptOf = pallet_inference::Receipt<AccountId, BlockNumber>;

/// A block whose state answers a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockRef {
	/// Its hash.
	pub hash: Hash,
	/// Its number.
	pub number: BlockNumber,
}

/// Why the chain could not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainError {
	/// No block with this hash is known.
	UnknownBlock(Hash),
	/// The block is known but its state was pruned.
	PrunedState(BlockRef),
	/// The runtime API call failed.
	Runtime(String),
}

impl From<ApiError> for ChainError {
	fn from(error: ApiError) -> Self {
		ChainError::Runtime(error.to_string())
	}
}

/// What a chain answers, at a block whose state is available.
pub trait ProvenanceChain: Send + Sync + 'static {
	/// The hash of block 0.
	fn genesis_hash(&self) -> Hash;
	/// The best block.
	fn best(&self) -> BlockRef;
	/// The block with `hash`, if known and its state kept.
	fn block(&self, hash: Hash) -> Result<BlockRef, ChainError>;
	/// The hash of the canonical block `number`, if there is one.
	fn hash_of(&self, number: BlockNumber) -> Option<Hash>;
	/// The timestamp (ms since the Unix epoch) set by the canonical block `number`, if it has one
	/// and its body is kept.
	fn block_time(&self, number: BlockNumber) -> Option<u64>;
	/// `ProvenanceApi::model`.
	fn model(&self, at: BlockRef, model: ModelId) -> Result<Option<ModelOf>, ChainError>;
	/// `ProvenanceApi::model_by_hash`.
	fn model_by_hash(&self, at: BlockRef, sha256: ModelHash)
		-> Result<Option<ModelId>, ChainError>;
	/// `ProvenanceApi::lineage`.
	fn lineage(
		&self,
		at: BlockRef,
		model: ModelId,
		direction: Direction,
		max_depth: u32,
		start: u32,
		limit: u32,
	) -> Result<Vec<LineageEdge>, ChainError>;
	/// `ProvenanceApi::lineage_page`.
	fn lineage_page(
		&self,
		at: BlockRef,
		model: ModelId,
		direction: Direction,
		max_depth: u32,
		start: u32,
		limit: u32,
	) -> Result<Option<LineagePage>, ChainError>;
	/// `ProvenanceApi::upstream_datasets`, as of `at` itself.
	fn upstream_datasets(
		&self,
		at: BlockRef,
		model: ModelId,
	) -> Result<Option<Vec<UpstreamDataset>>, ChainError>;
	/// `ProvenanceApi::evaluations`.
	fn evaluations(
		&self,
		at: BlockRef,
		model: ModelId,
		start_after: Option<EvaluationId>,
		limit: u32,
	) -> Result<Vec<(EvaluationId, EvaluationOf)>, ChainError>;
	/// `ProvenanceApi::receipts`.
	fn receipts(
		&self,
		at: BlockRef,
		model: ModelId,
		start_after: Option<ReceiptId>,
		limit: u32,
	) -> Result<Vec<(ReceiptId, ReceiptOf)>, ChainError>;
	/// `DataLicensingApi::dataset`.
	fn dataset(&self, at: BlockRef, dataset: DatasetId) -> Result<Option<DatasetOf>, ChainError>;
	/// `DataLicensingApi::license`.
	fn license(&self, at: BlockRef, license: LicenseId) -> Result<Option<LicenseOf>, ChainError>;
	/// `DataLicensingApi::license_status`, as of `at` itself.
	fn license_status(&self, at: BlockRef, license: LicenseId)
		-> Result<LicenseStatus, ChainError>;
}

/// The node's client and database, read through the runtime APIs.
pub struct ClientChain<C, B> {
	client: Arc<C>,
	backend: Arc<B>,
	_block: PhantomData<Block>,
}

impl<C, B> ClientChain<C, B> {
	/// Reads through `client`; `backend` tells whether a block's state is kept.
	pub fn new(client: Arc<C>, backend: Arc<B>) -> Self {
		Self { client, backend, _block: PhantomData }
	}
}

/// The runtime APIs the provenance RPC calls.
pub trait ProvenanceRuntimeApis:
	ProvenanceApi<Block, AccountId, Balance, BlockNumber, ReceiptOf>
	+ DataLicensingApi<Block, AccountId, Balance, BlockNumber>
{
}

impl<T> ProvenanceRuntimeApis for T where
	T: ProvenanceApi<Block, AccountId, Balance, BlockNumber, ReceiptOf>
		+ DataLicensingApi<Block, AccountId, Balance, BlockNumber>
{
}

impl<C, B> ProvenanceChain for ClientChain<C, B>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ BlockBackend<Block>
		+ Send
		+ Sync
		+ 'static,
	C::Api: ProvenanceRuntimeApis,
	B: Backend<Block> + Send + Sync + 'static,
{
	fn genesis_hash(&self) -> Hash {
		self.client.info().genesis_hash
	}

	fn best(&self) -> BlockRef {
		let info = self.client.info();
		BlockRef { hash: info.best_hash, number: info.best_number }
	}

	fn block(&self, hash: Hash) -> Result<BlockRef, ChainError> {
		let number = self
			.client
			.number(hash)
			.map_err(|e| ChainError::Runtime(e.to_string()))?
			.ok_or(ChainError::UnknownBlock(hash))?;
		let block = BlockRef { hash, number };
		if !self.backend.have_state_at(hash, number) {
			return Err(ChainError::PrunedState(block));
		}
		Ok(block)
	}

	fn hash_of(&self, number: BlockNumber) -> Option<Hash> {
		self.client.hash(number).ok().flatten()
	}

	fn block_time(&self, number: BlockNumber) -> Option<u64> {
		let body = self.client.block_body(self.hash_of(number)?).ok().flatten()?;
		body.iter().find_map(|opaque| {
			let extrinsic =
				cairn_runtime::UncheckedExtrinsic::decode(&mut &opaque.encode()[..]).ok()?;
			match extrinsic.function {
				RuntimeCall::Timestamp(cairn_runtime::TimestampCall::set { now }) => Some(now),
				_ => None,
			}
		})
	}

	fn model(&self, at: BlockRef, model: ModelId) -> Result<Option<ModelOf>, ChainError> {
		Ok(self.client.runtime_api().model(at.hash, model)?)
	}

	fn model_by_hash(
		&self,
		at: BlockRef,
		sha256: ModelHash,
	) -> Result<Option<ModelId>, ChainError> {
		Ok(self.client.runtime_api().model_by_hash(at.hash, sha256)?)
	}

	fn lineage(
		&self,
		at: BlockRef,
		model: ModelId,
		direction: Direction,
		max_depth: u32,
		start: u32,
		limit: u32,
	) -> Result<Vec<LineageEdge>, ChainError> {
		Ok(self.client.runtime_api().lineage(at.hash, model, direction, max_depth, start, limit)?)
	}

	fn lineage_page(
		&self,
		at: BlockRef,
		model: ModelId,
		direction: Direction,
		max_depth: u32,
		start: u32,
		limit: u32,
	) -> Result<Option<LineagePage>, ChainError> {
		Ok(self
			.client
			.runtime_api()
			.lineage_page(at.hash, model, direction, max_depth, start, limit)?)
	}

	fn upstream_datasets(
		&self,
		at: BlockRef,
		model: ModelId,
	) -> Result<Option<Vec<UpstreamDataset>>, ChainError> {
		Ok(self.client.runtime_api().upstream_datasets(at.hash, model, None)?)
	}

	fn evaluations(
		&self,
		at: BlockRef,
		model: ModelId,
		start_after: Option<EvaluationId>,
		limit: u32,
	) -> Result<Vec<(EvaluationId, EvaluationOf)>, ChainError> {
		Ok(self.client.runtime_api().evaluations(at.hash, model, start_after, limit)?)
	}

	fn receipts(
		&self,
		at: BlockRef,
		model: ModelId,
		start_after: Option<ReceiptId>,
		limit: u32,
	) -> Result<Vec<(ReceiptId, ReceiptOf)>, ChainError> {
		Ok(self.client.runtime_api().receipts(at.hash, model, start_after, limit)?)
	}

	fn dataset(&self, at: BlockRef, dataset: DatasetId) -> Result<Option<DatasetOf>, ChainError> {
		Ok(self.client.runtime_api().dataset(at.hash, dataset)?)
	}

	fn license(&self, at: BlockRef, license: LicenseId) -> Result<Option<LicenseOf>, ChainError> {
		Ok(self.client.runtime_api().license(at.hash, license)?)
	}

	fn license_status(
		&self,
		at: BlockRef,
		license: LicenseId,
	) -> Result<LicenseStatus, ChainError> {
		Ok(self.client.runtime_api().license_status(at.hash, license, at.number)?)
	}
}
