//! `blob_*` JSON-RPC methods: the client's door to the node's data plane for sealed jobs
//! ([`crate::blobs`]). Any node can serve as a gateway: a builder with only polkadot.js uploads
//! its sealed input here and reads sealed outputs back, whichever node holds them.
//!
//! - `blob_put(data, owner, signature)`: stores `data` (hex), uploaded by account `owner` (SS58
//!   or hex) within its on-chain blob quota; `signature` is `owner`'s sr25519 signature of
//!   [`put_payload`] (raw, or wrapped in `<Bytes>…</Bytes>` as browser wallets sign). Returns
//!   `{ hash, size }`.
//! - `blob_get(hash)`: the blob's bytes as hex, from this node or, when it lacks them, from a
//!   connected peer (verified by hash). Returns `{ hash, data }`.
//!
//! Errors carry the codes in [`code`] and a message that says what to change.

use std::sync::Arc;

use cairn_inference::{blobs::BlobError, seal::BlobHash};
use codec::Encode;
use jsonrpsee::{types::ErrorObjectOwned, RpcModule};
use serde_json::{json, Value};
use sp_core::{crypto::Ss58Codec, sr25519, Pair};

use crate::{
	blobs::{Blobs, FetchFailure},
	rpc::provenance::views::{hex, parse_hash},
};
use cairn_runtime::{opaque::Block, AccountId, Balance, BlockNumber};

/// Domain tag of the message an uploader signs.
pub const PUT_DOMAIN: &[u8] = b"cairn/blob-put/v1";

/// The error codes of the blob RPC (besides JSON-RPC's own).
pub mod code {
	/// Invalid parameters: missing, of the wrong type, or not hex.
	pub const INVALID_PARAMS: i32 = -32602;
	/// The blob is larger than this node takes.
	pub const TOO_LARGE: i32 = -32060;
	/// The node's blob budget is full.
	pub const OVER_BUDGET: i32 = -32061;
	/// The uploader's quota is full (raise it with `inference.setBlobQuota`).
	pub const OVER_QUOTA: i32 = -32062;
	/// The signature is not the owner's signature of the upload.
	pub const BAD_SIGNATURE: i32 = -32063;
	/// Neither this node nor a connected peer holds the blob.
	pub const NOT_FOUND: i32 = -32064;
	/// The node could not read or write its store, or ask the chain.
	pub const NODE_FAILED: i32 = -32065;
}

/// The message the owner of an upload signs: SCALE of (`PUT_DOMAIN`, genesis hash, blob hash).
pub fn put_payload(genesis: &[u8; 32], blob: &BlobHash) -> Vec<u8> {
	(PUT_DOMAIN, genesis, blob).encode()
}

/// An account's blob quota in bytes, as the chain says at its best block.
pub trait Quotas: Send + Sync {
	/// The quota of `owner`, or why it could not be read.
	fn quota(&self, owner: &[u8; 32]) -> Result<u64, String>;
}

/// Quotas read from the chain's best block through `InferenceApi::blob_quota`.
pub struct ChainQuotas<C> {
	client: Arc<C>,
}

impl<C> ChainQuotas<C> {
	/// Quotas as `client`'s best block says.
	pub fn new(client: Arc<C>) -> Self {
		ChainQuotas { client }
	}
}

impl<C> Quotas for ChainQuotas<C>
where
	C: sp_api::ProvideRuntimeApi<Block> + sp_blockchain::HeaderBackend<Block> + Send + Sync,
	C::Api: pallet_inference::runtime_api::InferenceApi<Block, AccountId, Balance, BlockNumber>,
{
	fn quota(&self, owner: &[u8; 32]) -> Result<u64, String> {
		use pallet_inference::runtime_api::InferenceApi;
		let best = self.client.info().best_hash;
		self.client
			.runtime_api()
			.blob_quota(best, AccountId::from(*owner))
			.map_err(|error| format!("the runtime did not answer the quota: {error}"))
	}
}

fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

fn invalid(message: impl Into<String>) -> ErrorObjectOwned {
	error(code::INVALID_PARAMS, message)
}

fn unhex(param: &str, text: &str) -> Result<Vec<u8>, ErrorObjectOwned> {
	text.starts_with("0x")
		.then(|| sp_core::bytes::from_hex(text).ok())
		.flatten()
		.ok_or_else(|| invalid(format!("{param}: not 0x hex")))
}

/// The named or positional parameter `name` (at `position`) as a string.
fn param(params: &Value, position: usize, name: &str) -> Result<String, ErrorObjectOwned> {
	let value = match params {
		Value::Array(items) => items.get(position),
		Value::Object(map) => map.get(name),
		_ => None,
	};
	value
		.and_then(Value::as_str)
		.map(str::to_owned)
		.ok_or_else(|| invalid(format!("{name}: a string is required")))
}

fn account(text: &str) -> Result<[u8; 32], ErrorObjectOwned> {
	if text.starts_with("0x") {
		return unhex("owner", text)?
			.try_into()
			.map_err(|_| invalid("owner: 32 bytes of hex or an SS58 address"));
	}
	sr25519::Public::from_ss58check(text)
		.map(|public| public.0)
		.map_err(|_| invalid("owner: 32 bytes of hex or an SS58 address"))
}

/// Whether `signature` is `owner`'s signature of `message`, raw or wrapped in `<Bytes>`.
fn signed_by(owner: &[u8; 32], message: &[u8], signature: &[u8]) -> bool {
	let Ok(signature) = sr25519::Signature::try_from(signature) else { return false };
	let public = sr25519::Public::from_raw(*owner);
	let wrapped = [b"<Bytes>".as_slice(), message, b"</Bytes>"].concat();
	sr25519::Pair::verify(&signature, message, &public)
		|| sr25519::Pair::verify(&signature, &wrapped, &public)
}

/// The RPC module of `blobs`, for the chain with `genesis`, with quotas from `quotas`.
pub fn module(
	blobs: Arc<Blobs>,
	quotas: Arc<dyn Quotas>,
	genesis: [u8; 32],
) -> Result<RpcModule<()>, jsonrpsee::core::RegisterMethodError> {
	let mut module = RpcModule::new(());
	let put_blobs = blobs.clone();
	module.register_blocking_method("blob_put", move |params, _, _| {
		let params: Value = params.parse().map_err(|_| invalid("parameters must be JSON"))?;
		let data = unhex("data", &param(&params, 0, "data")?)?;
		let owner = account(&param(&params, 1, "owner")?)?;
		let signature = unhex("signature", &param(&params, 2, "signature")?)?;
		let store = put_blobs.store();
		if data.len() as u64 > store.max_blob() {
			return Err(error(
				code::TOO_LARGE,
				format!("the blob is {} bytes, over this node's limit of {}", data.len(), store.max_blob()),
			));
		}
		let hash = cairn_inference::seal::blob_hash(&data);
		if !signed_by(&owner, &put_payload(&genesis, &hash), &signature) {
			return Err(error(
				code::BAD_SIGNATURE,
				"signature: not the owner's sr25519 signature of (\"cairn/blob-put/v1\", genesis hash, blob hash)",
			));
		}
		let quota = quotas.quota(&owner).map_err(|why| error(code::NODE_FAILED, why))?;
		match store.put(&data, Some((owner, quota))) {
			Ok(hash) => Ok::<_, ErrorObjectOwned>(json!({ "hash": hex(&hash), "size": data.len() })),
			Err(BlobError::TooLarge { size, limit }) => Err(error(
				code::TOO_LARGE,
				format!("the blob is {size} bytes, over this node's limit of {limit}"),
			)),
			Err(BlobError::OverBudget { size, free }) => Err(error(
				code::OVER_BUDGET,
				format!("this node's blob store has {free} bytes free, too few for {size}"),
			)),
			Err(BlobError::OverQuota { size, used, quota }) => Err(error(
				code::OVER_QUOTA,
				format!(
					"the owner stores {used} of its {quota} quota bytes here, too many to add {size}: raise the quota with inference.setBlobQuota"
				),
			)),
			Err(other) => Err(error(code::NODE_FAILED, other.to_string())),
		}
	})?;
	module.register_async_method("blob_get", move |params, _, _| {
		let blobs = blobs.clone();
		async move {
			let params: Value = params.parse().map_err(|_| invalid("parameters must be JSON"))?;
			let hash: BlobHash = parse_hash(&param(&params, 0, "hash")?)
				.ok_or_else(|| invalid("hash: 0x and 32 bytes of hex"))?;
			let max = blobs.store().max_blob();
			match blobs.fetch(hash, max).await {
				Ok(data) => {
					Ok::<_, ErrorObjectOwned>(json!({ "hash": hex(&hash), "data": hex(&data) }))
				},
				Err(FetchFailure::Store(error)) => {
					Err(self::error(code::NODE_FAILED, error.to_string()))
				},
				Err(failure) => {
					Err(error(code::NOT_FOUND, format!("blob {}: {failure}", hex(&hash))))
				},
			}
		}
	})?;
	Ok(module)
}
