//! The node's JSON-RPC methods beyond Substrate's defaults: account nonces, fee queries and
//! the researcher queries of [`provenance`].

pub mod blobs;
pub mod provenance;

use std::sync::Arc;

use cairn_runtime::{opaque::Block, AccountId, Balance, Nonce};
use jsonrpsee::RpcModule;
use sc_client_api::BlockBackend;
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};

/// What the RPC methods need from the node.
pub struct FullDeps<C, P, B> {
	/// The client.
	pub client: Arc<C>,
	/// The transaction pool.
	pub pool: Arc<P>,
	/// The database backend (which blocks' state is kept).
	pub backend: Arc<B>,
	/// The node's blob store of sealed job data, filled from peers on demand.
	pub blobs: Arc<crate::blobs::Blobs>,
}

/// The RPC module with Cairn's methods: `system_accountNextIndex`, `payment_*`, `blob_*`,
/// `provenance_*`.
pub fn create_full<C, P, B>(
	deps: FullDeps<C, P, B>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ HeaderMetadata<Block, Error = BlockChainError>
		+ BlockBackend<Block>
		+ Send
		+ Sync
		+ 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>
		+ pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>
		+ BlockBuilder<Block>
		+ provenance::chain::ProvenanceRuntimeApis
		+ pallet_inference::runtime_api::InferenceApi<
			Block,
			AccountId,
			Balance,
			cairn_runtime::BlockNumber,
		>,
	P: TransactionPool + 'static,
	B: sc_client_api::Backend<Block> + Send + Sync + 'static,
{
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool, backend, blobs } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	let genesis: [u8; 32] = client.info().genesis_hash.into();
	let quotas = Arc::new(blobs::ChainQuotas::new(client.clone()));
	module.merge(blobs::module(blobs, quotas, genesis)?)?;
	let chain = provenance::chain::ClientChain::new(client, backend);
	module.merge(provenance::Provenance::new(Arc::new(chain)).into_rpc())?;

	Ok(module)
}
