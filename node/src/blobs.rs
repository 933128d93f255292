//! The node's data plane for sealed jobs: a blob store (ciphertext by SHA-256) that clients
//! fill over JSON-RPC ([`crate::rpc::blobs`]) and that nodes read from each other over the
//! request-response protocol `/<genesis hash>/cairn/blob/1`. Nothing of it goes through blocks.
//!
//! A request is the 32-byte hash of a blob; the response is a SCALE-encoded [`BlobResponse`].
//! A node that lacks a blob asks its connected peers one after the other; the bytes are used
//! only when they hash to the blob's hash and are no larger than asked for.

use cairn_inference::{
	blobs::{BlobError, BlobStore},
	fetch::BlobDownloader,
	seal::{BlobHash, BlobLocation, BlobRef, BlobState, UnusableReason},
	sealed_run::BlobAccess,
	types::FetchFailure as ModelFetchFailure,
	InferenceError,
};
use cairn_runtime::opaque::Block;
use codec::{Decode, Encode};
use futures::StreamExt;
use sc_network::{
	request_responses::{IncomingRequest, OutgoingResponse},
	service::traits::NetworkRequest,
	IfDisconnected, ProtocolName,
};
use sc_network_sync::SyncingService;
use std::{sync::Arc, time::Duration};

/// Where and how much the node keeps of sealed job data.
#[derive(Debug, Clone, clap::Args)]
pub struct BlobParams {
	/// Directory of the blob store (sealed job data: ciphertext only, by SHA-256); created if
	/// missing. Defaults to `blobs` under the node's base path.
	#[arg(long, value_name = "DIR")]
	pub blob_store: Option<std::path::PathBuf>,

	/// Disk budget of the blob store in MiB: uploads and fetches past it are refused.
	#[arg(long, value_name = "MIB", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1 << 30))]
	pub blob_budget_mib: u64,

	/// Minutes a blob is kept, at least, after it was stored: an uploaded blob waits this long
	/// for the job that names it. After that the node removes it once no unpruned job names it
	/// (as input or as a receipt's outputs).
	#[arg(long, value_name = "MINUTES", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=10_080))]
	pub blob_grace_mins: u64,

	/// Largest blob the node stores, serves or fetches, in KiB.
	#[arg(long, value_name = "KIB", default_value_t = 8 << 10, value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
	pub blob_max_kib: u64,
}

impl BlobParams {
	/// Opens the blob store these options describe, under `base_path` unless `--blob-store`
	/// names a directory.
	pub fn open(&self, base_path: &std::path::Path) -> Result<BlobStore, String> {
		let dir = self.blob_store.clone().unwrap_or_else(|| base_path.join("blobs"));
		BlobStore::open(&dir, self.blob_budget_mib << 20, self.blob_max_kib << 10)
			.map_err(|error| format!("cannot open the blob store {}: {error}", dir.display()))
	}
}

/// How long a fetch may take, every peer asked included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// How long one peer has to answer a blob request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// The largest request: a blob hash, with room to spare.
pub const MAX_REQUEST_SIZE: u64 = 64;

/// What a response adds to the blob's bytes (its SCALE framing), with room to spare.
pub const RESPONSE_OVERHEAD: u64 = 64;

/// Requests from peers queued before new ones are refused.
pub const INBOUND_QUEUE: usize = 64;

/// The blob protocol's name on the chain with this genesis hash.
pub fn protocol_name(genesis: &[u8]) -> ProtocolName {
	let hex: String = genesis.iter().map(|byte| format!("{byte:02x}")).collect();
	format!("/{hex}/cairn/blob/1").into()
}

/// A node's answer to a blob request.
#[derive(Encode, Decode, Debug, PartialEq, Eq)]
pub enum BlobResponse {
	/// The blob's bytes.
	#[codec(index = 0)]
	Found(Vec<u8>),
	/// This node does not hold the blob.
	#[codec(index = 1)]
	NotFound,
}

/// Answers peers' blob requests from `store` until the network shuts down. A request that is
/// not a 32-byte hash is refused.
pub async fn serve(store: Arc<BlobStore>, requests: async_channel::Receiver<IncomingRequest>) {
	let mut requests = std::pin::pin!(requests);
	while let Some(request) = requests.next().await {
		let result = match BlobHash::try_from(request.payload.as_slice()) {
			Ok(hash) => Ok(match store.get(&hash) {
				Some(bytes) => BlobResponse::Found(bytes),
				None => BlobResponse::NotFound,
			}
			.encode()),
			Err(_) => Err(()),
		};
		let _ = request.pending_response.send(OutgoingResponse {
			result,
			reputation_changes: Vec::new(),
			sent_feedback: None,
		});
	}
}

/// Why a blob could not be had from peers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchFailure {
	/// No connected peer holds it.
	Unavailable,
	/// A peer sent bytes of another hash (and none sent the right ones).
	HashMismatch,
	/// A peer sent more bytes than the blob's size.
	TooLarge,
	/// The local store refused it (budget, or a disk error).
	Store(BlobError),
}

impl std::fmt::Display for FetchFailure {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			FetchFailure::Unavailable => write!(f, "no connected peer holds the blob"),
			FetchFailure::HashMismatch => write!(f, "peers sent bytes of another hash"),
			FetchFailure::TooLarge => write!(f, "a peer sent more bytes than the blob's size"),
			FetchFailure::Store(error) => write!(f, "{error}"),
		}
	}
}

/// Where a blob can be fetched besides peers: the locations the chain names for its hash.
pub type SourceLookup = Arc<dyn Fn(&BlobHash) -> Vec<BlobLocation> + Send + Sync>;

/// Blobs for this node: its store, filled on demand from peers and then from the locations
/// registered on chain.
pub struct Blobs {
	store: Arc<BlobStore>,
	network: Arc<dyn NetworkRequest + Send + Sync>,
	peers: Arc<SyncingService<Block>>,
	protocol: ProtocolName,
	sources: Option<(SourceLookup, BlobDownloader)>,
}

impl Blobs {
	/// Blobs in `store`, fetched from the peers `peers` knows over `network` with `protocol`.
	pub fn new(
		store: Arc<BlobStore>,
		network: Arc<dyn NetworkRequest + Send + Sync>,
		peers: Arc<SyncingService<Block>>,
		protocol: ProtocolName,
	) -> Self {
		Blobs { store, network, peers, protocol, sources: None }
	}

	/// Also fetches a blob no peer serves from the locations `lookup` names, with `downloader`.
	pub fn with_sources(mut self, lookup: SourceLookup, downloader: BlobDownloader) -> Self {
		self.sources = Some((lookup, downloader));
		self
	}

	/// The store.
	pub fn store(&self) -> &Arc<BlobStore> {
		&self.store
	}

	/// The blob, from the store, else from a connected peer, else from a location registered on
	/// chain (at most `size` bytes), verified by hash and kept in the store; peers are asked one
	/// after the other for at most [`FETCH_TIMEOUT`] in all, then each location's URLs once.
	///
	/// # Errors
	/// Why neither peers nor locations could give it ([`FetchFailure::Unavailable`] when none
	/// holds it or time ran out).
	pub async fn fetch(&self, hash: BlobHash, size: u64) -> Result<Vec<u8>, FetchFailure> {
		if let Some(bytes) = self.store.get(&hash) {
			return Ok(bytes);
		}
		let from_peers = match futures::future::select(
			Box::pin(self.fetch_from_peers(hash, size)),
			futures_timer::Delay::new(FETCH_TIMEOUT),
		)
		.await
		{
			futures::future::Either::Left((result, _)) => result,
			futures::future::Either::Right(_) => Err(FetchFailure::Unavailable),
		};
		match from_peers {
			Err(FetchFailure::Store(error)) => Err(FetchFailure::Store(error)),
			Err(failure) => {
				self.fetch_from_sources(hash, size).await.map_err(|f| f.unwrap_or(failure))
			},
			found => found,
		}
	}

	/// Downloads the blob from the locations registered on chain (on a thread of its own: the
	/// download blocks) and keeps it. `Err(None)` when there is no location.
	async fn fetch_from_sources(
		&self,
		hash: BlobHash,
		size: u64,
	) -> Result<Vec<u8>, Option<FetchFailure>> {
		let Some((lookup, downloader)) = &self.sources else { return Err(None) };
		let urls: Vec<String> =
			lookup(&hash).iter().flat_map(|location| downloader.urls(location)).collect();
		if urls.is_empty() {
			return Err(None);
		}
		let (sender, receiver) = futures::channel::oneshot::channel();
		let downloader = downloader.clone();
		std::thread::spawn(move || {
			let _ = sender.send(downloader.download_blob(&urls, &hash, size));
		});
		let bytes = match receiver.await {
			Ok(Ok(bytes)) => bytes,
			Ok(Err(ModelFetchFailure::HashMismatch | ModelFetchFailure::TooLarge)) => {
				return Err(Some(FetchFailure::HashMismatch))
			},
			_ => return Err(Some(FetchFailure::Unavailable)),
		};
		match self.store.put_expected(&hash, &bytes) {
			Ok(()) => {
				log::info!(
					target: "cairn::blobs",
					"blob {}: fetched {size} bytes from a registered location",
					sp_core::hexdisplay::HexDisplay::from(&hash)
				);
				Ok(bytes)
			},
			Err(BlobError::HashMismatch) => Err(Some(FetchFailure::HashMismatch)),
			Err(error) => Err(Some(FetchFailure::Store(error))),
		}
	}

	/// Asks each connected peer for the blob until one gives bytes of its hash.
	async fn fetch_from_peers(&self, hash: BlobHash, size: u64) -> Result<Vec<u8>, FetchFailure> {
		let mut failure = FetchFailure::Unavailable;
		let peers = self.peers.peers_info().await.unwrap_or_default();
		for (peer, _) in peers {
			let request = self.network.request(
				peer,
				self.protocol.clone(),
				hash.to_vec(),
				None,
				IfDisconnected::ImmediateError,
			);
			let answer = match futures::future::select(
				Box::pin(request),
				futures_timer::Delay::new(REQUEST_TIMEOUT),
			)
			.await
			{
				futures::future::Either::Left((Ok((bytes, _)), _)) => bytes,
				_ => continue,
			};
			let Ok(BlobResponse::Found(bytes)) = BlobResponse::decode(&mut &answer[..]) else {
				continue;
			};
			if bytes.len() as u64 > size {
				failure = FetchFailure::TooLarge;
				continue;
			}
			match self.store.put_expected(&hash, &bytes) {
				Ok(()) => return Ok(bytes),
				Err(BlobError::HashMismatch) => failure = FetchFailure::HashMismatch,
				Err(error) => return Err(FetchFailure::Store(error)),
			}
		}
		Err(failure)
	}
}

/// The locations registered for blob `hash` at the best block of `client`
/// (`InferenceApi::blob_sources`); none when the runtime cannot answer (an older runtime, or an
/// error).
pub fn registered_sources<C>(client: &C, hash: &BlobHash) -> Vec<BlobLocation>
where
	C: sp_api::ProvideRuntimeApi<Block> + sp_blockchain::HeaderBackend<Block>,
	C::Api: pallet_inference::runtime_api::InferenceApi<
		Block,
		cairn_runtime::AccountId,
		cairn_runtime::Balance,
		cairn_runtime::BlockNumber,
	>,
{
	use pallet_inference::runtime_api::InferenceApi;
	let best = client.info().best_hash;
	let api = client.runtime_api();
	match inference_api_version(&*api, best).is_some_and(|version| version >= 5) {
		true => api.blob_sources(best, *hash).unwrap_or_default(),
		false => Vec::new(),
	}
}

/// The version of `InferenceApi` the runtime at block `at` offers, if it offers one.
fn inference_api_version<Api>(
	api: &Api,
	at: <Block as sp_runtime::traits::Block>::Hash,
) -> Option<u32>
where
	Api: sp_api::ApiExt<Block>,
{
	api.api_version::<dyn pallet_inference::runtime_api::InferenceApi<
		Block,
		cairn_runtime::AccountId,
		cairn_runtime::Balance,
		cairn_runtime::BlockNumber,
	>>(at)
		.ok()
		.flatten()
}

/// How often the node removes blobs no job names any more.
pub const GARBAGE_INTERVAL: Duration = Duration::from_secs(60);

/// Removes, every [`GARBAGE_INTERVAL`], the blobs of `store` older than `grace` that no unpruned
/// job names at the best block of `client` (`InferenceApi::blob_in_use`); keeps everything while
/// the runtime cannot answer (an older runtime, or an error).
pub async fn collect_garbage<C>(store: Arc<BlobStore>, client: Arc<C>, grace: Duration)
where
	C: sp_api::ProvideRuntimeApi<Block> + sp_blockchain::HeaderBackend<Block> + Send + Sync,
	C::Api: pallet_inference::runtime_api::InferenceApi<
		Block,
		cairn_runtime::AccountId,
		cairn_runtime::Balance,
		cairn_runtime::BlockNumber,
	>,
{
	use pallet_inference::runtime_api::InferenceApi;
	loop {
		futures_timer::Delay::new(GARBAGE_INTERVAL).await;
		let best = client.info().best_hash;
		let api = client.runtime_api();
		if inference_api_version(&*api, best).is_none_or(|version| version < 4) {
			continue;
		}
		let (count, bytes) = store.collect_garbage(BlobStore::now(), grace.as_secs(), |hash| {
			api.blob_in_use(best, *hash).unwrap_or(true)
		});
		if count > 0 {
			log::info!(target: "cairn::blobs", "removed {count} blobs ({bytes} bytes) no job names any more");
		}
	}
}

/// Fetches from peers a sealed input gets before the node gives up on it (and its provider
/// reports it unavailable); one starts at most per offchain worker run, so per block.
pub const FETCH_ATTEMPTS: u32 = 3;

/// Where a background fetch of a sealed input stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FetchRecord {
	/// Under way; this many started so far.
	Running(u32),
	/// The last of `attempts` failed; `reason` is what the requester is answerable for, `None`
	/// for this node's own failure (its store refused the blob), which is retried.
	Failed { attempts: u32, reason: Option<UnusableReason> },
}

/// The node's blobs as its offchain workers see them: sealed inputs fetched from peers in the
/// background (never blocking a worker), sealed outputs kept for requesters to read.
pub struct WorkerBlobs {
	blobs: Arc<Blobs>,
	spawner: sc_service::SpawnTaskHandle,
	fetches: Arc<std::sync::Mutex<std::collections::HashMap<BlobHash, FetchRecord>>>,
}

impl WorkerBlobs {
	/// Blobs of `blobs`, fetching on tasks of `spawner`.
	pub fn new(blobs: Arc<Blobs>, spawner: sc_service::SpawnTaskHandle) -> Self {
		WorkerBlobs { blobs, spawner, fetches: Default::default() }
	}

	/// Starts fetch number `attempt` of `blob` on a task of its own.
	fn start(&self, blob: BlobRef, attempt: u32) {
		let (blobs, fetches) = (self.blobs.clone(), self.fetches.clone());
		self.spawner.spawn("cairn-blob-fetch", Some("cairn"), async move {
			let started = std::time::Instant::now();
			let result = blobs.fetch(blob.sha256, blob.size_bytes.into()).await;
			let record = match result {
				Ok(_) => {
					log::info!(
						target: "cairn::blobs",
						"sealed input {}: fetched {} bytes in {} µs",
						sp_core::hexdisplay::HexDisplay::from(&blob.sha256),
						blob.size_bytes,
						started.elapsed().as_micros()
					);
					None
				},
				Err(failure) => {
					log::warn!(
						target: "cairn::blobs",
						"sealed input {}: fetch {attempt} of {FETCH_ATTEMPTS} failed: {failure}",
						sp_core::hexdisplay::HexDisplay::from(&blob.sha256)
					);
					let reason = match failure {
						FetchFailure::Unavailable => Some(UnusableReason::BlobUnavailable),
						FetchFailure::HashMismatch | FetchFailure::TooLarge => {
							Some(UnusableReason::BlobHashMismatch)
						},
						FetchFailure::Store(_) => None,
					};
					Some(FetchRecord::Failed { attempts: attempt, reason })
				},
			};
			let mut fetches = fetches.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
			match record {
				Some(record) => fetches.insert(blob.sha256, record),
				None => fetches.remove(&blob.sha256),
			};
		});
	}
}

impl BlobAccess for WorkerBlobs {
	fn get(&self, blob: &BlobRef) -> Option<Vec<u8>> {
		self.blobs.store().get(&blob.sha256)
	}

	fn request(&self, blob: &BlobRef) -> BlobState {
		if self.blobs.store().contains(&blob.sha256) {
			return BlobState::Stored;
		}
		if u64::from(blob.size_bytes) > self.blobs.store().max_blob() {
			// Over this node's `--blob-max-kib`: no fetch would be kept.
			return BlobState::Failed(UnusableReason::BlobUnavailable);
		}
		let mut fetches = self.fetches.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		let attempt = match fetches.get(&blob.sha256).copied() {
			Some(FetchRecord::Running(_)) => return BlobState::Fetching,
			Some(FetchRecord::Failed { attempts, reason: Some(reason) })
				if attempts >= FETCH_ATTEMPTS =>
			{
				return BlobState::Failed(reason)
			},
			Some(FetchRecord::Failed { attempts, .. }) => attempts + 1,
			None => 1,
		};
		fetches.insert(blob.sha256, FetchRecord::Running(attempt));
		drop(fetches);
		self.start(*blob, attempt);
		BlobState::Fetching
	}

	fn put(&self, bytes: &[u8]) -> Result<BlobHash, InferenceError> {
		self.blobs.store().put(bytes, None).map_err(|error| {
			log::warn!(target: "cairn::blobs", "cannot keep sealed outputs: {error}");
			InferenceError::BlobStoreUnavailable
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use futures::channel::oneshot;

	/// Sends `payload` as a peer's request; returns where its response arrives.
	fn request(
		queue: &async_channel::Sender<IncomingRequest>,
		payload: Vec<u8>,
	) -> oneshot::Receiver<OutgoingResponse> {
		let (pending_response, response) = oneshot::channel();
		let peer = sc_network_types::PeerId::random();
		queue.try_send(IncomingRequest { peer, payload, pending_response }).expect("queued");
		response
	}

	#[test]
	fn peers_get_blobs_by_hash_and_malformed_requests_are_refused() {
		let dir = std::env::temp_dir().join(format!("cairn-blob-server-{}", std::process::id()));
		let store = Arc::new(BlobStore::open(&dir, 1 << 20, 1 << 10).expect("a store"));
		let hash = store.put(b"sealed bytes", None).expect("stored");
		let (queue, requests) = async_channel::bounded(INBOUND_QUEUE);
		let found = request(&queue, hash.to_vec());
		let missing = request(&queue, vec![9; 32]);
		let malformed = request(&queue, vec![1, 2, 3]);
		drop(queue);
		futures::executor::block_on(serve(store, requests));

		let answer = |response: oneshot::Receiver<OutgoingResponse>| {
			futures::executor::block_on(response).expect("answered").result
		};
		let found = answer(found).expect("a response");
		assert_eq!(
			BlobResponse::decode(&mut &found[..]),
			Ok(BlobResponse::Found(b"sealed bytes".to_vec()))
		);
		let missing = answer(missing).expect("a response");
		assert_eq!(BlobResponse::decode(&mut &missing[..]), Ok(BlobResponse::NotFound));
		assert_eq!(answer(malformed), Err(()));
		let _ = std::fs::remove_dir_all(dir);
	}

	#[test]
	fn the_protocol_is_named_after_the_chain() {
		assert_eq!(
			protocol_name(&[0xab; 32]).to_string(),
			format!("/{}/cairn/blob/1", "ab".repeat(32))
		);
	}
}
