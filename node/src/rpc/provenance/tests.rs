//! Tests of the provenance RPC through its JSON-RPC module, against the real runtime logic: the
//! chain is the development genesis, built by the chain spec, and later blocks made by
//! dispatching calls natively, each block's state kept so `at` queries read the state of their
//! block. Covers every method, pagination, `at` before and after a revocation, and every error
//! code.

use std::sync::Mutex;

use cairn_runtime::{
	AccountId, Balance, Block, BlockNumber, DataLicensing, Hash, ModelProvenance, Runtime,
	RuntimeOrigin, System,
};
use pallet_data_licensing::{
	runtime_api::runtime_decl_for_data_licensing_api::DataLicensingApiV1, DatasetId, LicenseId,
	LicenseStatus,
};
use pallet_model_provenance::{
	runtime_api::runtime_decl_for_provenance_api::ProvenanceApiV1, Direction, EvaluationId,
	LineageEdge, LineagePage, ModelHash, ModelId, ReceiptId, UpstreamDataset,
};
use serde_json::{json, Value};
use sp_core::H256;
use sp_keyring::Sr25519Keyring;
use sp_runtime::BuildStorage;

use super::{
	chain::{
		BlockRef, ChainError, DatasetOf, EvaluationOf, LicenseOf, ModelOf, ProvenanceChain,
		ReceiptOf,
	},
	code, openlineage, Provenance, MAX_LINEAGE_DEPTH,
};

/// One block of the test chain: its state (`None` once pruned) and timestamp.
struct TestBlock {
	block: BlockRef,
	state: Option<Mutex<sp_io::TestExternalities>>,
	time: u64,
}

/// A chain of blocks whose states are externalities of the real runtime.
struct TestChain {
	blocks: Vec<TestBlock>,
}

/// A made-up, distinct hash for block `number`.
fn hash_of_block(number: BlockNumber) -> Hash {
	H256::repeat_byte(0x10 + number as u8)
}

/// Milliseconds of block `number`: 2026-12-02T00:00:00Z plus 6 s a block.
fn time_of(number: BlockNumber) -> u64 {
	1_796_169_600_000 + 6_000 * u64::from(number)
}

impl TestChain {
	/// The development genesis, as the node builds it from its chain spec.
	fn development() -> Self {
		let storage = crate::chain_spec::development_chain_spec()
			.expect("development spec")
			.build_storage()
			.expect("genesis builds");
		let state = sp_io::TestExternalities::new(storage);
		TestChain {
			blocks: vec![TestBlock {
				block: BlockRef { hash: hash_of_block(0), number: 0 },
				state: Some(Mutex::new(state)),
				time: 0,
			}],
		}
	}

	/// Makes the next block by running `calls` on the last block's state.
	fn next_block(&mut self, calls: impl FnOnce()) -> BlockRef {
		let last = self.blocks.last_mut().expect("genesis");
		let number = last.block.number + 1;
		let mut state =
			last.state.take().expect("the tip is kept").into_inner().expect("not poisoned");
		state.commit_all().expect("no open transactions");
		let (snapshot, root) = state.into_raw_snapshot();
		let restore = |snapshot| {
			sp_io::TestExternalities::from_raw_snapshot(
				snapshot,
				root,
				sp_runtime::StateVersion::V1,
			)
		};
		last.state = Some(Mutex::new(restore(snapshot.clone())));
		let mut next = restore(snapshot);
		next.execute_with(|| {
			System::set_block_number(number);
			calls();
		});
		next.commit_all().expect("no open transactions");
		let block = BlockRef { hash: hash_of_block(number), number };
		self.blocks.push(TestBlock { block, state: Some(Mutex::new(next)), time: time_of(number) });
		block
	}

	/// Drops the state of block `number`, as pruning does.
	fn prune(&mut self, number: BlockNumber) {
		self.blocks[number as usize].state = None;
	}

	/// Runs `query` on the state of `at`.
	fn read<R>(&self, at: BlockRef, query: impl FnOnce() -> R) -> Result<R, ChainError> {
		let block =
			self.blocks.iter().find(|b| b.block == at).ok_or(ChainError::UnknownBlock(at.hash))?;
		let state = block.state.as_ref().ok_or(ChainError::PrunedState(at))?;
		Ok(state.lock().unwrap().execute_with(query))
	}
}

impl ProvenanceChain for TestChain {
	fn genesis_hash(&self) -> Hash {
		hash_of_block(0)
	}

	fn best(&self) -> BlockRef {
		self.blocks.last().expect("genesis").block
	}

	fn block(&self, hash: Hash) -> Result<BlockRef, ChainError> {
		let block = self
			.blocks
			.iter()
			.find(|b| b.block.hash == hash)
			.ok_or(ChainError::UnknownBlock(hash))?;
		block.state.as_ref().map(|_| block.block).ok_or(ChainError::PrunedState(block.block))
	}

	fn hash_of(&self, number: BlockNumber) -> Option<Hash> {
		self.blocks.get(number as usize).map(|b| b.block.hash)
	}

	fn block_time(&self, number: BlockNumber) -> Option<u64> {
		self.blocks.get(number as usize).filter(|_| number > 0).map(|b| b.time)
	}

	fn model(&self, at: BlockRef, model: ModelId) -> Result<Option<ModelOf>, ChainError> {
		self.read(at, || <Runtime as ProvenanceApiV1<Block, _, _, _, ReceiptOf>>::model(model))
	}

	fn model_by_hash(
		&self,
		at: BlockRef,
		sha256: ModelHash,
	) -> Result<Option<ModelId>, ChainError> {
		self.read(at, || {
			<Runtime as ProvenanceApiV1<Block, AccountId, Balance, BlockNumber, ReceiptOf>>::model_by_hash(
				sha256,
			)
		})
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
		self.read(at, || {
			<Runtime as ProvenanceApiV1<Block, AccountId, Balance, BlockNumber, ReceiptOf>>::lineage(
				model, direction, max_depth, start, limit,
			)
		})
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
		self.read(at, || {
			<Runtime as ProvenanceApiV1<Block, AccountId, Balance, BlockNumber, ReceiptOf>>::lineage_page(
				model, direction, max_depth, start, limit,
			)
		})
	}

	fn upstream_datasets(
		&self,
		at: BlockRef,
		model: ModelId,
	) -> Result<Option<Vec<UpstreamDataset>>, ChainError> {
		self.read(at, || {
			<Runtime as ProvenanceApiV1<Block, AccountId, Balance, BlockNumber, ReceiptOf>>::upstream_datasets(
				model, None,
			)
		})
	}

	fn evaluations(
		&self,
		at: BlockRef,
		model: ModelId,
		start_after: Option<EvaluationId>,
		limit: u32,
	) -> Result<Vec<(EvaluationId, EvaluationOf)>, ChainError> {
		self.read(at, || {
			<Runtime as ProvenanceApiV1<Block, AccountId, Balance, BlockNumber, ReceiptOf>>::evaluations(
				model,
				start_after,
				limit,
			)
		})
	}

	fn receipts(
		&self,
		at: BlockRef,
		model: ModelId,
		start_after: Option<ReceiptId>,
		limit: u32,
	) -> Result<Vec<(ReceiptId, ReceiptOf)>, ChainError> {
		self.read(at, || {
			<Runtime as ProvenanceApiV1<Block, AccountId, Balance, BlockNumber, ReceiptOf>>::receipts(
				model,
				start_after,
				limit,
			)
		})
	}

	fn dataset(&self, at: BlockRef, dataset: DatasetId) -> Result<Option<DatasetOf>, ChainError> {
		self.read(at, || {
			<Runtime as DataLicensingApiV1<Block, AccountId, Balance, BlockNumber>>::dataset(
				dataset,
			)
		})
	}

	fn license(&self, at: BlockRef, license: LicenseId) -> Result<Option<LicenseOf>, ChainError> {
		self.read(at, || {
			<Runtime as DataLicensingApiV1<Block, AccountId, Balance, BlockNumber>>::license(
				license,
			)
		})
	}

	fn license_status(
		&self,
		at: BlockRef,
		license: LicenseId,
	) -> Result<LicenseStatus, ChainError> {
		self.read(at, || {
			<Runtime as DataLicensingApiV1<Block, AccountId, Balance, BlockNumber>>::license_status(
				license, at.number,
			)
		})
	}
}

/// Blocks of the test scenario.
struct Scenario {
	rpc: jsonrpsee::RpcModule<Provenance<TestChain>>,
	/// Ferdie quantizes model 1 (model 3, after the genesis distillation, model 2), buys an evaluation license and attests three
	/// evaluations of model 1; three receipts of model 1's file are recorded.
	before_revocation: BlockRef,
	/// Dave revokes Eve's fine-tuning license (license 1).
	after_revocation: BlockRef,
}

/// Records a receipt of `model_hash` with id `id`, as the inference pallet stores one.
fn record_receipt(id: ReceiptId, model_hash: ModelHash) {
	let receipt = pallet_inference::Receipt {
		job: 100 + id,
		provider: Sr25519Keyring::Bob.to_account_id(),
		model_hash,
		input_hash: [1; 32],
		output_hash: [2; 32],
		execution_provider: cairn_inference::ExecutionProvider::Cpu,
		runtime_version: b"1.31.1".to_vec().try_into().unwrap(),
		elapsed_micros: 40,
		submitted_at: System::block_number(),
	};
	pallet_inference::Receipts::<Runtime>::insert(id, receipt);
	pallet_inference::ReceiptsByModel::<Runtime>::insert(model_hash, id, ());
}

fn scenario(pruned_genesis: bool) -> Scenario {
	let mut chain = TestChain::development();
	let [dave, ferdie] = [Sr25519Keyring::Dave, Sr25519Keyring::Ferdie]
		.map(|k| RuntimeOrigin::signed(k.to_account_id()));
	let before_revocation = chain.next_block(|| {
		let tuned = pallet_model_provenance::Models::<Runtime>::get(1).expect("genesis model 1");
		let mut file = tuned.file.clone();
		file.sha256 = [0x42; 32];
		// Registered as genesis registers (the commitment protocol is tested in the pallets).
		ModelProvenance::do_register_model(
			Sr25519Keyring::Ferdie.to_account_id(),
			file,
			b"tiny affine, int8".to_vec().try_into().unwrap(),
			tuned.interface.clone(),
			tuned.terms.clone(),
			vec![pallet_model_provenance::ParentEdge {
				parent: 1,
				kind: pallet_model_provenance::EdgeKind::QuantizedFrom,
			}]
			.try_into()
			.unwrap(),
			Default::default(),
		)
		.expect("quantized model registers");
		DataLicensing::purchase_license(ferdie.clone(), 0, 0, 10u128.pow(12))
			.expect("evaluation license");
		for (value, metric) in [(931_200, "top1"), (-5, "loss"), (990_000, "top5")] {
			ModelProvenance::attest_evaluation(
				ferdie.clone(),
				1,
				0,
				2,
				metric.as_bytes().to_vec().try_into().unwrap(),
				value,
				Default::default(),
			)
			.expect("evaluation attested");
		}
		for id in 0..3 {
			record_receipt(id, tuned.file.sha256);
		}
	});
	let after_revocation = chain.next_block(|| {
		DataLicensing::revoke_license(
			dave.clone(),
			1,
			b"terms breached".to_vec().try_into().unwrap(),
		)
		.expect("revocable license");
	});
	if pruned_genesis {
		chain.prune(0);
	}
	Scenario {
		rpc: Provenance::new(std::sync::Arc::new(chain)).into_rpc(),
		before_revocation,
		after_revocation,
	}
}

/// Sends one raw JSON-RPC request; the result, or the error's code and message.
fn request(
	rpc: &jsonrpsee::RpcModule<Provenance<TestChain>>,
	raw: &str,
) -> Result<Value, (i64, String)> {
	let (response, _) =
		futures::executor::block_on(rpc.raw_json_request(raw, 1)).expect("a JSON-RPC answer");
	let response: Value = serde_json::from_str(&response).expect("JSON");
	match response.get("error") {
		Some(error) => Err((
			error["code"].as_i64().expect("code"),
			error["message"].as_str().expect("message").to_string(),
		)),
		None => Ok(response["result"].clone()),
	}
}

/// Calls `method` with `params`.
fn call(s: &Scenario, method: &str, params: Value) -> Result<Value, (i64, String)> {
	let raw = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
	request(&s.rpc, &raw.to_string())
}

/// The error code of calling `method` with `params`.
fn code_of(s: &Scenario, method: &str, params: Value) -> i64 {
	match call(s, method, params) {
		Ok(result) => panic!("{method} succeeded: {result}"),
		Err((code, _)) => code,
	}
}

fn hash_param(block: BlockRef) -> String {
	super::views::hash_text(&block.hash)
}

#[test]
fn the_rpc_depth_bound_is_the_runtimes() {
	use sp_runtime::traits::Get;
	assert_eq!(
		MAX_LINEAGE_DEPTH,
		<<Runtime as pallet_model_provenance::Config>::MaxLineageDepth as Get<u32>>::get()
	);
}

#[test]
fn a_model_reads_as_json_by_id_and_by_hash() {
	let s = scenario(false);
	let model = call(&s, "provenance_model", json!([1])).expect("model 1");
	assert_eq!(model["at"]["number"], 2, "the best block by default");
	assert_eq!(model["id"], 1);
	assert_eq!(model["owner"], Sr25519Keyring::Eve.to_account_id().to_string());
	assert_eq!(model["name"], "cairn tiny affine, fine-tuned");
	assert_eq!(model["parents"], json!([{ "parent": 0, "kind": "fineTunedFrom" }]));
	assert_eq!(model["data"], json!([{ "dataset": 0, "license": 1, "purpose": "fineTuning" }]));
	assert_eq!(model["status"], json!({ "state": "active" }));
	assert_eq!(model["terms"]["royaltyBps"], 1000);
	assert_eq!(model["terms"]["derivatives"], "open");
	assert_eq!(model["interface"]["format"], "onnx");
	assert_eq!(
		model["interface"]["inputs"],
		json!([{ "name": "x", "elementType": "f32", "shape": [null, 4] }])
	);
	assert!(model["deposit"].as_str().expect("a decimal string").parse::<u128>().is_ok());
	let sha256 = model["file"]["sha256"].as_str().expect("hex").to_string();
	assert_eq!(sha256.len(), 66);

	let named = call(&s, "provenance_modelByHash", json!({ "sha256": sha256 })).expect("by hash");
	assert_eq!(named, model, "the same answer by hash, named parameters");
	let at = json!({ "model": 3, "at": hash_param(s.before_revocation) });
	assert_eq!(call(&s, "provenance_model", at).expect("model 3")["at"]["number"], 1);
}

#[test]
fn lineage_comes_with_edge_kinds_license_status_and_pages() {
	let s = scenario(false);
	let up = call(&s, "provenance_lineage", json!([3])).expect("lineage");
	assert_eq!(up["direction"], "ancestors");
	assert_eq!(up["maxDepth"], MAX_LINEAGE_DEPTH);
	assert_eq!(
		up["edges"],
		json!([
			{ "child": 3, "parent": 1, "kind": "quantizedFrom", "distance": 1 },
			{ "child": 1, "parent": 0, "kind": "fineTunedFrom", "distance": 2 },
		])
	);
	assert_eq!(up["nextCursor"], Value::Null);
	// Eve's fine-tuning license was revoked in block 2: a problem of model 3's lineage now...
	assert_eq!(
		up["status"],
		json!({ "clean": false, "problems": [{ "problem": "licenseInvalid", "license": 1 }] })
	);
	// ...but not as of block 1.
	let before = json!({ "model": 3, "at": hash_param(s.before_revocation) });
	let then = call(&s, "provenance_lineage", before).expect("lineage at block 1");
	assert_eq!(then["status"], json!({ "clean": true, "problems": [] }));
	assert_eq!(then["edges"], up["edges"]);

	// Descendants of model 0, one edge a page: the cursor pins the block of the first page.
	let mut pages = Vec::new();
	let mut params = json!({ "model": 0, "direction": "descendants", "pageSize": 1 });
	loop {
		let page = call(&s, "provenance_lineage", params.clone()).expect("page");
		assert_eq!(page["at"]["number"], 2);
		pages.extend(page["edges"].as_array().expect("edges").clone());
		match page["nextCursor"].as_str() {
			Some(cursor) => params["cursor"] = cursor.into(),
			None => break,
		}
	}
	// Children of one model come in storage-key order.
	pages.sort_by_key(|edge| edge["child"].as_u64());
	assert_eq!(
		pages,
		vec![
			json!({ "child": 1, "parent": 0, "kind": "fineTunedFrom", "distance": 1 }),
			json!({ "child": 2, "parent": 1, "kind": "distilledFrom", "distance": 2 }),
			json!({ "child": 3, "parent": 1, "kind": "quantizedFrom", "distance": 2 }),
		]
	);
	let shallow = json!({ "model": 0, "direction": "descendants", "maxDepth": 1 });
	let shallow = call(&s, "provenance_lineage", shallow).expect("depth 1");
	assert_eq!(shallow["edges"].as_array().map(Vec::len), Some(1));
}

#[test]
fn datasets_show_each_license_status_as_of_the_block() {
	let s = scenario(false);
	let now = call(&s, "provenance_datasets", json!([3])).expect("datasets");
	let statuses: Vec<(u64, String)> = now["datasets"]
		.as_array()
		.expect("list")
		.iter()
		.map(|d| (d["licenseId"].as_u64().unwrap(), d["status"].as_str().unwrap().to_string()))
		.collect();
	assert_eq!(statuses, vec![(1, "revoked".to_string()), (0, "valid".to_string())]);
	let revoked = &now["datasets"][0];
	assert_eq!(revoked["dataset"]["name"], "cairn demo corpus");
	assert_eq!(revoked["license"]["holder"], Sr25519Keyring::Eve.to_account_id().to_string());
	assert_eq!(revoked["license"]["revoked"], json!({ "at": 2, "reason": "terms breached" }));
	assert_eq!(revoked["license"]["spdx"], "CC-BY-4.0");
	let then = call(&s, "provenance_datasets", json!([3, hash_param(s.before_revocation)]))
		.expect("datasets at block 1");
	assert!(then["datasets"].as_array().unwrap().iter().all(|d| d["status"] == "valid"));
	assert_eq!(then["datasets"][0]["license"]["revoked"], Value::Null);
}

#[test]
fn evaluations_and_receipts_come_in_pages() {
	let s = scenario(false);
	for (method, list, expected) in [
		("provenance_evaluations", "evaluations", vec![0u64, 1, 2]),
		("provenance_receipts", "receipts", vec![0, 1, 2]),
	] {
		let whole = call(&s, method, json!([1])).expect("one page");
		let ids: Vec<u64> =
			whole[list].as_array().unwrap().iter().map(|e| e["id"].as_u64().unwrap()).collect();
		let mut sorted = ids.clone();
		sorted.sort();
		assert_eq!(sorted, expected, "{method}");
		assert_eq!(whole["nextCursor"], Value::Null);
		let mut paged = Vec::new();
		let mut params = json!({ "model": 1, "pageSize": 2 });
		loop {
			let page = call(&s, method, params.clone()).expect("page");
			paged.extend(page[list].as_array().unwrap().iter().map(|e| e["id"].as_u64().unwrap()));
			match page["nextCursor"].as_str() {
				Some(cursor) => params["cursor"] = cursor.into(),
				None => break,
			}
		}
		assert_eq!(paged, ids, "{method} pages fit together");
		assert!(call(&s, method, json!([3])).expect("none")[list].as_array().unwrap().is_empty());
	}
	let evaluations = call(&s, "provenance_evaluations", json!([1])).unwrap();
	let top1 = evaluations["evaluations"]
		.as_array()
		.unwrap()
		.iter()
		.find(|e| e["metric"] == "top1")
		.cloned()
		.expect("top1");
	assert_eq!(
		(top1["valueMicro"].clone(), top1["value"].clone()),
		(json!(931_200), json!(0.9312))
	);
	let receipts = call(&s, "provenance_receipts", json!([1])).unwrap();
	let receipt = &receipts["receipts"][0];
	assert_eq!(receipt["executionProvider"], "cpu");
	assert_eq!(receipt["runtimeVersion"], "1.31.1");
	assert_eq!(receipt["outputHash"], format!("0x{}", "02".repeat(32)));
}

#[test]
fn the_open_lineage_export_is_one_run_per_model_with_license_facets() {
	let s = scenario(false);
	let events = call(&s, "provenance_exportOpenLineage", json!([3])).expect("export");
	let events = events.as_array().expect("events");
	assert_eq!(events.len(), 6, "START and COMPLETE for models 0, 1 and 3");
	let jobs: Vec<(&str, &str)> = events
		.iter()
		.map(|e| (e["eventType"].as_str().unwrap(), e["job"]["name"].as_str().unwrap()))
		.collect();
	assert_eq!(
		jobs,
		vec![
			("START", "model/0/training"),
			("COMPLETE", "model/0/training"),
			("START", "model/1/fine_tune"),
			("COMPLETE", "model/1/fine_tune"),
			("START", "model/3/quantize"),
			("COMPLETE", "model/3/quantize"),
		]
	);
	let tune = &events[3];
	assert_eq!(tune["schemaURL"], openlineage::RUN_EVENT_SCHEMA);
	assert_eq!(tune["run"]["runId"], events[2]["run"]["runId"], "one run, two events");
	assert_eq!(tune["eventTime"], "2026-12-02T00:00:06.000Z", "genesis models: block 1's time");
	assert_eq!(tune["job"]["facets"]["jobType"]["jobType"], "FINE_TUNE");
	let inputs = tune["inputs"].as_array().unwrap();
	assert_eq!(inputs[0]["name"], "model/0");
	assert_eq!(inputs[0]["inputFacets"]["cairn_lineageEdge"]["kind"], "fineTunedFrom");
	assert_eq!(inputs[1]["name"], "dataset/0");
	let license = &inputs[1]["inputFacets"]["cairn_license"];
	assert_eq!(license["licenseId"], 1);
	assert_eq!(license["status"], "revoked");
	assert_eq!(license["statusAt"], 2);
	assert_eq!(license["purpose"], "fineTuning");
	assert_eq!(license["producer"], Value::Null);
	assert_eq!(license["_producer"], openlineage::PRODUCER);
	assert!(license["_schemaURL"]
		.as_str()
		.unwrap()
		.ends_with("cairn-facets.json#/$defs/CairnLicenseInputDatasetFacet"));
	assert_eq!(tune["outputs"][0]["name"], "model/1");
	assert_eq!(tune["outputs"][0]["facets"]["cairn_model"]["royaltyBps"], 1000);
	let quantized = &events[5];
	assert_eq!(quantized["eventTime"], "2026-12-02T00:00:06.000Z");
	assert_eq!(quantized["run"]["facets"]["cairn_registration"]["blockNumber"], 1);
	// As of block 1 the same license was valid.
	let then =
		call(&s, "provenance_exportOpenLineage", json!([3, hash_param(s.before_revocation)]))
			.expect("export at block 1");
	assert_eq!(then[3]["inputs"][1]["inputFacets"]["cairn_license"]["status"], "valid");
}

#[test]
fn time_and_run_ids_are_well_formed() {
	assert_eq!(openlineage::rfc3339(0), "1970-01-01T00:00:00.000Z");
	assert_eq!(openlineage::rfc3339(951_782_400_123), "2000-02-29T00:00:00.123Z");
	assert_eq!(openlineage::rfc3339(1_796_255_999_999), "2026-12-02T23:59:59.999Z");
	let id = openlineage::run_id(&[7; 32], 1);
	assert_eq!(id.len(), 36);
	assert_eq!(&id[14..15], "8", "version 8");
	assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "RFC 9562 variant");
	assert_ne!(id, openlineage::run_id(&[7; 32], 2));
	assert_eq!(super::views::cid_text(&[0x01, 0x55, 0x12, 0x00]), "bafkreaa");
}

#[test]
fn every_error_has_its_code() {
	let s = scenario(true);
	let unknown_block = format!("0x{}", "ee".repeat(32));
	let pruned = super::views::hash_text(&hash_of_block(0));
	let cases: Vec<(&str, Value, i32)> = vec![
		("provenance_model", json!([99]), code::UNKNOWN_MODEL),
		("provenance_lineage", json!([99]), code::UNKNOWN_MODEL),
		("provenance_datasets", json!([99]), code::UNKNOWN_MODEL),
		("provenance_evaluations", json!([99]), code::UNKNOWN_MODEL),
		("provenance_receipts", json!([99]), code::UNKNOWN_MODEL),
		("provenance_exportOpenLineage", json!([99]), code::UNKNOWN_MODEL),
		("provenance_modelByHash", json!([format!("0x{}", "ab".repeat(32))]), code::UNKNOWN_MODEL),
		("provenance_modelByHash", json!(["0x1234"]), code::MALFORMED_HASH),
		("provenance_modelByHash", json!([format!("0x{}", "zz".repeat(32))]), code::MALFORMED_HASH),
		("provenance_model", json!([1, "latest"]), code::MALFORMED_HASH),
		("provenance_model", json!([1, unknown_block]), code::UNKNOWN_BLOCK),
		("provenance_model", json!([1, pruned]), code::PRUNED_STATE),
		("provenance_lineage", json!({ "model": 1, "maxDepth": 65 }), code::DEPTH_OVER_MAXIMUM),
		("provenance_lineage", json!({ "model": 1, "pageSize": 0 }), code::PAGE_SIZE_OUT_OF_RANGE),
		(
			"provenance_receipts",
			json!({ "model": 1, "pageSize": 101 }),
			code::PAGE_SIZE_OUT_OF_RANGE,
		),
		("provenance_lineage", json!({ "model": 1, "cursor": "0x00" }), code::INVALID_CURSOR),
		("provenance_lineage", json!({ "model": 1, "cursor": "next" }), code::INVALID_CURSOR),
		("provenance_model", json!(["one"]), code::INVALID_PARAMS),
		("provenance_model", json!([]), code::INVALID_PARAMS),
		("provenance_model", json!({ "model": 1, "extra": true }), code::INVALID_PARAMS),
		("provenance_model", json!([1, null, 3]), code::INVALID_PARAMS),
		(
			"provenance_lineage",
			json!({ "model": 1, "direction": "sideways" }),
			code::INVALID_PARAMS,
		),
		("provenance_lineage", json!({ "model": -1 }), code::INVALID_PARAMS),
	];
	for (method, params, expected) in cases {
		assert_eq!(code_of(&s, method, params.clone()), i64::from(expected), "{method} {params}");
	}
	// A cursor is for its own query and block.
	let first = call(&s, "provenance_evaluations", json!({ "model": 1, "pageSize": 1 })).unwrap();
	let cursor = first["nextCursor"].as_str().expect("more").to_string();
	for params in [
		json!({ "model": 3, "cursor": cursor }),
		json!({ "model": 1, "cursor": cursor, "at": hash_param(s.before_revocation) }),
	] {
		assert_eq!(code_of(&s, "provenance_evaluations", params), i64::from(code::INVALID_CURSOR));
	}
	assert_eq!(
		code_of(&s, "provenance_receipts", json!({ "model": 1, "cursor": cursor })),
		i64::from(code::INVALID_CURSOR),
		"an evaluations cursor is not a receipts cursor"
	);
	let next = json!({ "model": 1, "cursor": cursor, "at": hash_param(s.after_revocation) });
	assert!(call(&s, "provenance_evaluations", next).is_ok(), "`at` may repeat the cursor's block");
	// An unknown method gets JSON-RPC's own error (unparsable JSON is the server's to refuse:
	// the end-to-end suite sends it to a node), and the module keeps answering.
	assert_eq!(
		request(&s.rpc, r#"{"jsonrpc":"2.0","id":1,"method":"provenance_nothing"}"#).unwrap_err().0,
		-32601
	);
	assert!(call(&s, "provenance_model", json!([1])).is_ok());
	// Every error message names what was wrong.
	let (_, message) =
		call(&s, "provenance_lineage", json!({ "model": 1, "maxDepth": 99 })).unwrap_err();
	assert_eq!(message, "maxDepth 99 is over the maximum 64");
	let (_, message) = call(&s, "provenance_model", json!([99])).unwrap_err();
	assert_eq!(message, "unknown model 99 at block 2");
}

#[test]
fn a_model_is_unknown_before_its_registration() {
	let s = scenario(false);
	let genesis = super::views::hash_text(&hash_of_block(0));
	assert_eq!(
		code_of(&s, "provenance_model", json!([3, genesis])),
		i64::from(code::UNKNOWN_MODEL)
	);
}
