//! The node service: client, import queue, networking, block production and finality.

use std::{
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	time::{Duration, SystemTime, UNIX_EPOCH},
};

use cairn_runtime::{apis::RuntimeApi, opaque::Block};
use futures::{FutureExt, StreamExt};
use sc_client_api::{Backend, HeaderBackend};
use sc_consensus_aura::{ImportQueueParams, SlotProportion, StartAuraParams};
use sc_consensus_grandpa::SharedVoterState;
use sc_consensus_manual_seal::{
	consensus::aura::AuraConsensusDataProvider, EngineCommand, ManualSealParams,
};
use sc_service::{error::Error as ServiceError, Configuration, TaskManager, WarpSyncConfig};
use sc_telemetry::{Telemetry, TelemetryWorker};
use sc_transaction_pool_api::{OffchainTransactionPoolFactory, TransactionPool};
use sp_consensus_aura::{sr25519::AuthorityPair as AuraPair, SlotDuration};
use sp_runtime::traits::Block as BlockT;

use crate::{cli::Sealing, inference::InferenceParams};

/// With instant sealing, how often the node looks for ready transactions that no block took.
const INSTANT_SEAL_RECHECK_MS: u64 = 200;

/// How long an offchain worker waits for the sync engine's status before it goes by the blocks
/// imported alone.
const SYNC_STATUS_TIMEOUT: Duration = Duration::from_millis(500);

/// The chain tip as this node knows it, for the offchain worker: the best block imported, the
/// best its peers announced, and one past the best while blocks wait in the import queue.
struct NodeChainTip {
	client: Arc<FullClient>,
	sync: Arc<sc_network_sync::SyncingService<Block>>,
}

impl cairn_inference::host::ChainTip for NodeChainTip {
	fn best_known(&self) -> u64 {
		let best = u64::from(self.client.info().best_number);
		// Offchain workers run on their own threads, outside the async runtime: wait here.
		let status = futures::executor::block_on(futures::future::select(
			Box::pin(self.sync.status()),
			futures_timer::Delay::new(SYNC_STATUS_TIMEOUT),
		));
		match status {
			futures::future::Either::Left((Ok(status), _)) => {
				let seen = status.best_seen_block.map_or(0, u64::from);
				let queued = if status.queued_blocks > 0 { best + 1 } else { 0 };
				best.max(seen).max(queued)
			},
			_ => best,
		}
	}
}

/// The host functions the runtime may call: Substrate's and Cairn's inference functions.
#[cfg(not(feature = "runtime-benchmarks"))]
pub type HostFunctions = (sp_io::SubstrateHostFunctions, cairn_inference::HostFunctions);
/// The host functions the runtime may call, with those its benchmarks need.
#[cfg(feature = "runtime-benchmarks")]
pub type HostFunctions = (
	sp_io::SubstrateHostFunctions,
	cairn_inference::HostFunctions,
	frame_benchmarking::benchmarking::HostFunctions,
);

/// The full client: native code around the Wasm runtime.
pub type FullClient =
	sc_service::TFullClient<Block, RuntimeApi, sc_executor::WasmExecutor<HostFunctions>>;
type FullBackend = sc_service::TFullBackend<Block>;
type FullSelectChain = sc_consensus::LongestChain<FullBackend, Block>;
type GrandpaBlockImport =
	sc_consensus_grandpa::GrandpaBlockImport<FullBackend, Block, FullClient, FullSelectChain>;
type GrandpaLinkHalf = sc_consensus_grandpa::LinkHalf<Block, FullClient, FullSelectChain>;

/// Blocks between GRANDPA justifications kept for light clients and warp sync.
const GRANDPA_JUSTIFICATION_PERIOD: u32 = 512;

/// The consensus parts of a node, which depend on its sealing mode.
// Built once at start-up and moved, never copied around: the size difference does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Consensus {
	/// Aura block production with GRANDPA finality.
	Aura {
		/// Block import that tracks GRANDPA authority set changes.
		block_import: GrandpaBlockImport,
		/// The GRANDPA voter's link to the block import.
		link: GrandpaLinkHalf,
	},
	/// Manual sealing (instant or interval), each block finalized when sealed.
	Manual,
}

/// The service parts built before networking.
pub type Service = sc_service::PartialComponents<
	FullClient,
	FullBackend,
	FullSelectChain,
	sc_consensus::DefaultImportQueue<Block>,
	sc_transaction_pool::TransactionPoolHandle<Block, FullClient>,
	(Consensus, Option<Telemetry>),
>;

/// Builds the client, backend, transaction pool and import queue for `sealing`.
pub fn new_partial(config: &Configuration, sealing: Sealing) -> Result<Service, ServiceError> {
	let telemetry = config
		.telemetry_endpoints
		.clone()
		.filter(|x| !x.is_empty())
		.map(|endpoints| -> Result<_, sc_telemetry::Error> {
			let worker = TelemetryWorker::new(16)?;
			let telemetry = worker.handle().new_telemetry(endpoints);
			Ok((worker, telemetry))
		})
		.transpose()?;

	let executor = sc_service::new_wasm_executor::<HostFunctions>(&config.executor);
	let (client, backend, keystore_container, task_manager) =
		sc_service::new_full_parts::<Block, RuntimeApi, _>(
			config,
			telemetry.as_ref().map(|(_, telemetry)| telemetry.handle()),
			executor,
			vec![Arc::new(sc_consensus_grandpa::GrandpaPruningFilter)],
		)?;
	let client = Arc::new(client);

	let telemetry = telemetry.map(|(worker, telemetry)| {
		task_manager.spawn_handle().spawn("telemetry", None, worker.run());
		telemetry
	});

	let select_chain = sc_consensus::LongestChain::new(backend.clone());

	let transaction_pool = Arc::from(
		sc_transaction_pool::Builder::new(
			task_manager.spawn_essential_handle(),
			client.clone(),
			config.role.is_authority().into(),
		)
		.with_options(config.transaction_pool.clone())
		.with_prometheus(config.prometheus_registry())
		.build(),
	);

	let (import_queue, consensus) = match sealing {
		Sealing::Aura => {
			let (block_import, link) = sc_consensus_grandpa::block_import(
				client.clone(),
				GRANDPA_JUSTIFICATION_PERIOD,
				&client,
				select_chain.clone(),
				telemetry.as_ref().map(|x| x.handle()),
			)?;
			let cidp_client = client.clone();
			let import_queue = sc_consensus_aura::import_queue::<AuraPair, _, _, _, _, _>(
				ImportQueueParams {
					block_import: block_import.clone(),
					justification_import: Some(Box::new(block_import.clone())),
					client: client.clone(),
					create_inherent_data_providers: move |parent_hash, _| {
						let cidp_client = cidp_client.clone();
						async move {
							let slot_duration = sc_consensus_aura::standalone::slot_duration_at(
								&*cidp_client,
								parent_hash,
							)?;
							let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
							let slot = sp_consensus_aura::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
								*timestamp,
								slot_duration,
							);
							Ok((slot, timestamp))
						}
					},
					spawner: &task_manager.spawn_essential_handle(),
					registry: config.prometheus_registry(),
					check_for_equivocation: Default::default(),
					telemetry: telemetry.as_ref().map(|x| x.handle()),
					compatibility_mode: Default::default(),
				},
			)?;
			(import_queue, Consensus::Aura { block_import, link })
		},
		Sealing::Instant | Sealing::Interval(_) => (
			sc_consensus_manual_seal::import_queue(
				Box::new(client.clone()),
				&task_manager.spawn_essential_handle(),
				config.prometheus_registry(),
			),
			Consensus::Manual,
		),
	};

	Ok(sc_service::PartialComponents {
		client,
		backend,
		task_manager,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool,
		other: (consensus, telemetry),
	})
}

/// Builds and starts a full node.
pub fn new_full<N: sc_network::NetworkBackend<Block, <Block as BlockT>::Hash>>(
	config: Configuration,
	sealing: Sealing,
	inference: &InferenceParams,
	blob_params: &crate::blobs::BlobParams,
) -> Result<TaskManager, ServiceError> {
	let blob_store =
		Arc::new(blob_params.open(config.base_path.path()).map_err(ServiceError::Other)?);
	let sc_service::PartialComponents {
		client,
		backend,
		mut task_manager,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool,
		other: (consensus, mut telemetry),
	} = new_partial(&config, sealing)?;

	// Development identities (`--dev`, `--alice`, …) also get a compute-provider key, so the
	// offchain worker signs receipts for the genesis providers without manual key insertion, and
	// an encryption key (the `development` preset registers `//Alice`'s for her).
	if let Some(seed) = config.dev_key_seed.as_deref() {
		use sp_keystore::Keystore;
		let keystore = keystore_container.keystore();
		keystore
			.sr25519_generate_new(cairn_runtime::PROVIDER_KEY_TYPE, Some(seed))
			.map_err(|e| ServiceError::Other(format!("inserting the provider key {seed}: {e}")))?;
		keystore
			.ed25519_generate_new(pallet_inference::encryption::ENCRYPTION_KEY_TYPE, Some(seed))
			.map_err(|e| {
				ServiceError::Other(format!("inserting the encryption key {seed}: {e}"))
			})?;
	}

	let mut net_config =
		sc_network::config::FullNetworkConfiguration::<Block, <Block as BlockT>::Hash, N>::new(
			&config.network,
			config.prometheus_config.as_ref().map(|cfg| cfg.registry.clone()),
		);
	let metrics = N::register_notification_metrics(config.prometheus_registry());
	let peer_store_handle = net_config.peer_store_handle();
	let genesis_hash = client.info().genesis_hash;
	let grandpa_protocol_name =
		sc_consensus_grandpa::protocol_standard_name(&genesis_hash, &config.chain_spec);
	// Only Aura chains gossip GRANDPA votes. A manually sealed chain must not register the
	// protocol: its handler would never run, and the network would refuse every peer.
	let grandpa_notification_service = match &consensus {
		Consensus::Aura { .. } => {
			let (grandpa_protocol_config, grandpa_notification_service) =
				sc_consensus_grandpa::grandpa_peers_set_config::<_, N>(
					grandpa_protocol_name.clone(),
					metrics.clone(),
					peer_store_handle,
				);
			net_config.add_notification_protocol(grandpa_protocol_config);
			Some(grandpa_notification_service)
		},
		Consensus::Manual => None,
	};

	// The data plane: peers fetch sealed job data from this node's blob store by hash.
	let blob_protocol = crate::blobs::protocol_name(genesis_hash.as_ref());
	let (blob_requests, blob_requests_in) = async_channel::bounded(crate::blobs::INBOUND_QUEUE);
	net_config.add_request_response_protocol(N::request_response_config(
		blob_protocol.clone(),
		Vec::new(),
		crate::blobs::MAX_REQUEST_SIZE,
		blob_store.max_blob().saturating_add(crate::blobs::RESPONSE_OVERHEAD),
		crate::blobs::REQUEST_TIMEOUT,
		Some(blob_requests),
	));

	let warp_sync_config = match &consensus {
		Consensus::Aura { link, .. } => Some(WarpSyncConfig::WithProvider(Arc::new(
			sc_consensus_grandpa::warp_proof::NetworkProvider::new(
				backend.clone(),
				link.shared_authority_set().clone(),
				Vec::default(),
			),
		))),
		Consensus::Manual => None,
	};

	let (network, system_rpc_tx, tx_handler_controller, sync_service, _bitswap) =
		sc_service::build_network(sc_service::BuildNetworkParams {
			config: &config,
			net_config,
			client: client.clone(),
			transaction_pool: transaction_pool.clone(),
			spawn_handle: task_manager.spawn_handle(),
			spawn_essential_handle: task_manager.spawn_essential_handle(),
			import_queue,
			block_announce_validator_builder: None,
			warp_sync_config,
			block_relay: None,
			metrics,
			gap_sync_body_policy: None,
		})?;

	// On a thread of its own: answering reads a blob from disk and hashes it.
	task_manager.spawn_handle().spawn_blocking(
		"cairn-blob-server",
		Some("cairn"),
		crate::blobs::serve(blob_store.clone(), blob_requests_in),
	);
	// Blobs no unpruned job names are removed once their grace period is over.
	task_manager.spawn_handle().spawn_blocking(
		"cairn-blob-gc",
		Some("cairn"),
		crate::blobs::collect_garbage(
			blob_store.clone(),
			client.clone(),
			std::time::Duration::from_secs(blob_params.blob_grace_mins * 60),
		),
	);
	// A blob no peer serves is fetched from where its requesters registered it on chain.
	let source_client = client.clone();
	let sources: crate::blobs::SourceLookup =
		Arc::new(move |hash| crate::blobs::registered_sources(&*source_client, hash));
	let blobs = Arc::new(
		crate::blobs::Blobs::new(blob_store, network.clone(), sync_service.clone(), blob_protocol)
			.with_sources(
				sources,
				cairn_inference::fetch::BlobDownloader::new(&inference.fetch_config()),
			),
	);

	if config.offchain_worker.enabled {
		// The inference engine answers the runtime's `inference` host functions, in offchain
		// workers only. Without ONNX Runtime it reports inference as unavailable.
		let mut engine = inference.engine().map_err(ServiceError::Other)?;
		let tip: Arc<dyn cairn_inference::host::ChainTip> =
			Arc::new(NodeChainTip { client: client.clone(), sync: sync_service.clone() });
		// Models the store lacks are fetched from their registered sources when a job needs
		// them (or reported as `Disabled` with `--model-fetch off`).
		let mut fetcher = inference.fetcher(engine.store().clone()).with_chain_tip(tip.clone());
		if let Some(registry) = config.prometheus_registry() {
			let metrics = cairn_inference::metrics::Metrics::register(registry)
				.map_err(|error| ServiceError::Other(format!("inference metrics: {error}")))?;
			engine = engine.with_metrics(metrics);
			let metrics = cairn_inference::metrics::FetchMetrics::register(registry)
				.map_err(|error| ServiceError::Other(format!("model fetch metrics: {error}")))?;
			fetcher = fetcher.with_metrics(metrics);
		}
		let engine: Arc<dyn cairn_inference::host::Engine> = Arc::new(engine.with_fetcher(fetcher));
		// Provider encryption keys for sealed jobs: secrets stay in the keystore.
		let seal_keys: Arc<dyn cairn_inference::host::SealKeys> =
			Arc::new(crate::seal_keys::KeystoreSealKeys::new(keystore_container.local_keystore()));
		// Sealed inputs come from peers in the background; sealed outputs stay here.
		let worker_blobs: Arc<dyn cairn_inference::sealed_run::BlobAccess> =
			Arc::new(crate::blobs::WorkerBlobs::new(blobs.clone(), task_manager.spawn_handle()));
		let offchain_workers =
			sc_offchain::OffchainWorkers::new(sc_offchain::OffchainWorkerOptions {
				runtime_api_provider: client.clone(),
				is_validator: config.role.is_authority(),
				keystore: Some(keystore_container.keystore()),
				offchain_db: backend.offchain_storage(),
				transaction_pool: Some(OffchainTransactionPoolFactory::new(
					transaction_pool.clone(),
				)),
				network_provider: Arc::new(network.clone()),
				enable_http_requests: true,
				custom_extensions: move |_| {
					vec![
						Box::new(cairn_inference::host::InferenceExt::new(engine.clone()))
							as Box<_>,
						Box::new(cairn_inference::host::ChainTipExt::new(tip.clone())) as Box<_>,
						Box::new(cairn_inference::host::SealKeysExt::new(seal_keys.clone()))
							as Box<_>,
						Box::new(cairn_inference::host::BlobAccessExt::new(worker_blobs.clone()))
							as Box<_>,
					]
				},
			})?;
		task_manager.spawn_handle().spawn(
			"offchain-workers-runner",
			"offchain-worker",
			offchain_workers.run(client.clone(), task_manager.spawn_handle()).boxed(),
		);
	}

	let role = config.role;
	let force_authoring = config.force_authoring;
	let name = config.network.node_name.clone();
	let enable_grandpa = !config.disable_grandpa;
	let prometheus_registry = config.prometheus_registry().cloned();

	let rpc_extensions_builder = {
		let client = client.clone();
		let blobs = blobs.clone();
		let pool = transaction_pool.clone();
		let backend = backend.clone();
		Box::new(move |_| {
			let deps = crate::rpc::FullDeps {
				client: client.clone(),
				pool: pool.clone(),
				backend: backend.clone(),
				blobs: blobs.clone(),
			};
			crate::rpc::create_full(deps).map_err(Into::into)
		})
	};

	let _rpc_handlers = sc_service::spawn_tasks(sc_service::SpawnTasksParams {
		network: network.clone(),
		client: client.clone(),
		keystore: keystore_container.keystore(),
		task_manager: &mut task_manager,
		transaction_pool: transaction_pool.clone(),
		rpc_builder: rpc_extensions_builder,
		backend,
		system_rpc_tx,
		tx_handler_controller,
		sync_service: sync_service.clone(),
		config,
		telemetry: telemetry.as_mut(),
		tracing_execute_block: None,
	})?;

	let (block_import, grandpa_link) = match consensus {
		Consensus::Aura { block_import, link } => (block_import, link),
		Consensus::Manual => {
			if role.is_authority() {
				start_manual_seal(
					&task_manager,
					client,
					transaction_pool,
					select_chain,
					sealing,
					prometheus_registry.as_ref(),
					telemetry.as_ref().map(|x| x.handle()),
				)?;
			}
			return Ok(task_manager);
		},
	};

	if role.is_authority() {
		let proposer_factory = block_proposer(
			&task_manager,
			&client,
			&transaction_pool,
			prometheus_registry.as_ref(),
			telemetry.as_ref().map(|x| x.handle()),
		);

		let slot_duration = sc_consensus_aura::slot_duration(&*client)?;

		let aura = sc_consensus_aura::start_aura::<AuraPair, _, _, _, _, _, _, _, _, _, _>(
			StartAuraParams {
				slot_duration,
				client,
				select_chain,
				block_import,
				proposer_factory,
				create_inherent_data_providers: move |_, ()| async move {
					let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
					let slot = sp_consensus_aura::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
						*timestamp,
						slot_duration,
					);
					Ok((slot, timestamp))
				},
				force_authoring,
				backoff_authoring_blocks: Option::<()>::None,
				keystore: keystore_container.keystore(),
				sync_oracle: sync_service.clone(),
				justification_sync_link: sync_service.clone(),
				block_proposal_slot_portion: SlotProportion::new(2f32 / 3f32),
				max_block_proposal_slot_portion: None,
				telemetry: telemetry.as_ref().map(|x| x.handle()),
				compatibility_mode: Default::default(),
			},
		)?;

		task_manager.spawn_essential_handle().spawn_blocking("aura", Some("block-authoring"), aura);
	}

	if enable_grandpa {
		let keystore = if role.is_authority() { Some(keystore_container.keystore()) } else { None };
		let grandpa_config = sc_consensus_grandpa::Config {
			gossip_duration: Duration::from_millis(333),
			justification_generation_period: GRANDPA_JUSTIFICATION_PERIOD,
			name: Some(name),
			observer_enabled: false,
			keystore,
			local_role: role,
			telemetry: telemetry.as_ref().map(|x| x.handle()),
			protocol_name: grandpa_protocol_name,
		};

		let grandpa_params = sc_consensus_grandpa::GrandpaParams {
			config: grandpa_config,
			link: grandpa_link,
			network,
			sync: Arc::new(sync_service),
			notification_service: grandpa_notification_service
				.ok_or_else(|| ServiceError::Other("GRANDPA runs only with Aura sealing".into()))?,
			voting_rule: sc_consensus_grandpa::VotingRulesBuilder::default().build(),
			prometheus_registry,
			shared_voter_state: SharedVoterState::empty(),
			telemetry: telemetry.as_ref().map(|x| x.handle()),
			offchain_tx_pool_factory: OffchainTransactionPoolFactory::new(transaction_pool),
		};

		task_manager.spawn_essential_handle().spawn_blocking(
			"grandpa-voter",
			None,
			sc_consensus_grandpa::run_grandpa_voter(grandpa_params)?,
		);
	}

	Ok(task_manager)
}

/// The block proposer of both sealing modes: it fills blocks up to the runtime's largest block
/// (the proposer's own default, 4 MiB, would keep a runtime upgrade's code out).
fn block_proposer(
	task_manager: &TaskManager,
	client: &Arc<FullClient>,
	pool: &Arc<sc_transaction_pool::TransactionPoolHandle<Block, FullClient>>,
	prometheus_registry: Option<&substrate_prometheus_endpoint::Registry>,
	telemetry: Option<sc_telemetry::TelemetryHandle>,
) -> sc_basic_authorship::ProposerFactory<
	sc_transaction_pool::TransactionPoolHandle<Block, FullClient>,
	FullClient,
> {
	let mut proposer = sc_basic_authorship::ProposerFactory::new(
		task_manager.spawn_handle(),
		client.clone(),
		pool.clone(),
		prometheus_registry,
		telemetry,
	);
	proposer.set_default_block_size_limit(cairn_runtime::MAX_BLOCK_LENGTH as usize);
	proposer
}

/// Starts the manual-seal authorship task: a block per transaction (`instant`) or per interval,
/// each finalized at once.
fn start_manual_seal(
	task_manager: &TaskManager,
	client: Arc<FullClient>,
	pool: Arc<sc_transaction_pool::TransactionPoolHandle<Block, FullClient>>,
	select_chain: FullSelectChain,
	sealing: Sealing,
	prometheus_registry: Option<&substrate_prometheus_endpoint::Registry>,
	telemetry: Option<sc_telemetry::TelemetryHandle>,
) -> Result<(), ServiceError> {
	let proposer = block_proposer(task_manager, &client, &pool, prometheus_registry, telemetry);
	let slot_duration = sc_consensus_aura::slot_duration(&*client)?;
	let clock = Arc::new(DevClock::resume(&client, slot_duration)?);
	let create_inherent_data_providers = move |_, ()| {
		let clock = clock.clone();
		async move { Ok(sp_timestamp::InherentDataProvider::new(clock.next_block_time().into())) }
	};
	let consensus_data_provider =
		Some(Box::new(AuraConsensusDataProvider::new_with_slot_duration(slot_duration)) as Box<_>);

	/// A block of the pool's ready transactions, or of everything (`create_empty`).
	fn seal(create_empty: bool) -> EngineCommand<<Block as BlockT>::Hash> {
		EngineCommand::SealNewBlock {
			create_empty,
			finalize: true,
			parent_hash: None,
			sender: None,
		}
	}
	/// A command every `millis` milliseconds.
	fn every(
		millis: u64,
		command: impl Fn() -> Option<EngineCommand<<Block as BlockT>::Hash>> + Send + 'static,
	) -> futures::stream::BoxStream<'static, EngineCommand<<Block as BlockT>::Hash>> {
		futures::stream::unfold((), move |()| async move {
			futures_timer::Delay::new(Duration::from_millis(millis)).await;
			Some(((), ()))
		})
		.filter_map(move |()| futures::future::ready(command()))
		.boxed()
	}
	let commands_stream = match sealing {
		Sealing::Instant => {
			// A block per transaction the pool imports. A transaction submitted while the pool
			// still builds its view of a just imported block can be missed by the block its
			// notification asks for (the proposer finds nothing ready); a second look every
			// INSTANT_SEAL_RECHECK_MS seals what is still ready, so no transaction waits for the
			// next one to arrive. An idle pool makes no blocks.
			let status = pool.clone();
			let recheck = every(INSTANT_SEAL_RECHECK_MS, move || {
				(status.status().ready > 0).then(|| seal(false))
			});
			futures::stream::select(pool.import_notification_stream().map(|_| seal(false)), recheck)
				.boxed()
		},
		Sealing::Interval(millis) => every(millis, || Some(seal(true))),
		Sealing::Aura => return Ok(()),
	};
	let authorship = sc_consensus_manual_seal::run_manual_seal(ManualSealParams {
		block_import: client.clone(),
		env: proposer,
		client,
		pool,
		commands_stream,
		select_chain,
		consensus_data_provider,
		create_inherent_data_providers,
	})
	.boxed();
	task_manager.spawn_essential_handle().spawn_blocking(
		"manual-seal",
		Some("block-authoring"),
		authorship,
	);
	Ok(())
}

/// Block timestamps for manual sealing. Aura requires a new slot in every block, so a block's
/// time is the wall clock or one slot after the previous block, whichever is later: sealing
/// faster than the slot duration runs the chain's clock ahead of the wall clock.
struct DevClock {
	/// Timestamp (Unix milliseconds) of the last block handed out.
	last: AtomicU64,
	/// The runtime's Aura slot duration.
	slot_millis: u64,
}

impl DevClock {
	/// Resumes from the best block's Aura slot, so a restarted node never reuses a slot.
	fn resume(client: &FullClient, slot_duration: SlotDuration) -> Result<Self, ServiceError> {
		let best = client.info().best_hash;
		let header = client
			.header(best)?
			.ok_or_else(|| ServiceError::Other(format!("best block {best} has no header")))?;
		let slot_millis = slot_duration.as_millis();
		let last = sc_consensus_aura::find_pre_digest::<
			Block,
			sp_consensus_aura::sr25519::AuthoritySignature,
		>(&header)
		.map(|slot| u64::from(slot).saturating_mul(slot_millis))
		.unwrap_or(0);
		Ok(Self { last: AtomicU64::new(last), slot_millis })
	}

	/// The timestamp of the next block.
	fn next_block_time(&self) -> u64 {
		let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
		let mut last = self.last.load(Ordering::SeqCst);
		loop {
			let next = now.max(last.saturating_add(self.slot_millis));
			match self.last.compare_exchange(last, next, Ordering::SeqCst, Ordering::SeqCst) {
				Ok(_) => return next,
				Err(current) => last = current,
			}
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn wall_clock_millis() -> u64 {
		SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_millis() as u64
	}

	#[test]
	fn dev_clock_moves_a_full_slot_per_block_when_sealing_fast() {
		let clock = DevClock { last: AtomicU64::new(0), slot_millis: 6000 };
		let first = clock.next_block_time();
		assert!(first >= wall_clock_millis() - 1000);
		let second = clock.next_block_time();
		let third = clock.next_block_time();
		assert_eq!(second, first + 6000);
		assert_eq!(third, second + 6000);
	}

	#[test]
	fn dev_clock_never_goes_back_after_a_restart_ahead_of_the_wall_clock() {
		let ahead = wall_clock_millis() + 3_600_000;
		let clock = DevClock { last: AtomicU64::new(ahead), slot_millis: 6000 };
		assert_eq!(clock.next_block_time(), ahead + 6000);
	}
}
