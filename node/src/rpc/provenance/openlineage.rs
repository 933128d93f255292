//! The OpenLineage export: one run per model in a lineage (the model and every ancestor, oldest
//! first), each as a `START` and a `COMPLETE` run event. The run's job is how the model was made
//! (training, fine-tune, merge, ...), its inputs the parent models and the datasets used (with
//! the license used in an input facet), its output the model. Cairn-specific data goes into
//! custom facets (`cairn_*`) whose JSON Schema is `docs/openlineage/cairn-facets.json`.

use std::collections::BTreeMap;

use pallet_data_licensing::{DatasetId, LicenseId};
use pallet_model_provenance::{Direction, EdgeKind, ModelId, ModelStatus};
use serde_json::{json, Map, Value};

use super::{
	chain::{BlockRef, DatasetOf, LicenseOf, ModelOf, ProvenanceChain},
	views::{self, hex},
	ProvenanceError, MAX_LINEAGE_DEPTH,
};

/// The OpenLineage spec version of the events.
pub const RUN_EVENT_SCHEMA: &str =
	"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";

/// The standard job type facet's schema.
const JOB_TYPE_SCHEMA: &str =
	"https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet";

/// The standard dataset version facet's schema.
const VERSION_SCHEMA: &str = "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet";

/// The standard ownership facet's schema.
const OWNERSHIP_SCHEMA: &str =
	"https://openlineage.io/spec/facets/1-0-1/OwnershipDatasetFacet.json#/$defs/OwnershipDatasetFacet";

/// Who produced the events: this node's source.
pub const PRODUCER: &str =
	concat!(env!("CARGO_PKG_REPOSITORY"), "/tree/v", env!("CARGO_PKG_VERSION"), "/node");

/// Where the custom facets' JSON Schema lives (`docs/openlineage/cairn-facets.json`).
pub const FACETS_SCHEMA: &str =
	concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/openlineage/cairn-facets.json");

/// The most edges one lineage page holds in the runtime.
const RUNTIME_PAGE: u32 = 256;

/// `_producer` and `_schemaURL` of a custom facet called `name` in the facets' schema.
fn custom_facet(name: &str, fields: Value) -> Value {
	standard_facet(&format!("{FACETS_SCHEMA}#/$defs/{name}"), fields)
}

/// A standard facet with its schema.
fn standard_facet(schema: &str, fields: Value) -> Value {
	let mut facet = Map::new();
	facet.insert("_producer".into(), PRODUCER.into());
	facet.insert("_schemaURL".into(), schema.into());
	if let Value::Object(fields) = fields {
		facet.extend(fields);
	}
	Value::Object(facet)
}

/// The namespace of every job and dataset of a chain: `cairn://<genesis hash>`.
pub fn namespace(genesis: &[u8]) -> String {
	format!("cairn://{}", &hex(genesis)[2..])
}

/// The job type of a model's making: `TRAINING` without parents, else from its edges
/// (`FINE_TUNE`, `MERGE`, `QUANTIZE`, `DISTILL`, `ADAPTER`, `CONVERT`; `DERIVE` when they mix).
pub fn job_type(model: &ModelOf) -> &'static str {
	let of = |kind: EdgeKind| match kind {
		EdgeKind::FineTunedFrom => "FINE_TUNE",
		EdgeKind::MergedFrom => "MERGE",
		EdgeKind::QuantizedFrom => "QUANTIZE",
		EdgeKind::DistilledFrom => "DISTILL",
		EdgeKind::AdapterOf => "ADAPTER",
		EdgeKind::ConvertedFrom => "CONVERT",
	};
	let mut kinds = model.parents.iter().map(|edge| of(edge.kind));
	match kinds.next() {
		None => "TRAINING",
		Some(first) if kinds.all(|kind| kind == first) => first,
		Some(_) => "DERIVE",
	}
}

/// A run id for model `id` of a chain, the same on every export: an RFC 9562 version 8 UUID
/// from the BLAKE2 hash of the genesis hash and the id.
pub fn run_id(genesis: &[u8], id: ModelId) -> String {
	let mut seed = b"cairn/openlineage/run".to_vec();
	seed.extend_from_slice(genesis);
	seed.extend_from_slice(&id.to_le_bytes());
	let mut bytes = sp_crypto_hashing::blake2_128(&seed);
	bytes[6] = (bytes[6] & 0x0f) | 0x80;
	bytes[8] = (bytes[8] & 0x3f) | 0x80;
	let digits = &hex(&bytes)[2..];
	format!(
		"{}-{}-{}-{}-{}",
		&digits[0..8],
		&digits[8..12],
		&digits[12..16],
		&digits[16..20],
		&digits[20..32]
	)
}

/// `ms` after the Unix epoch as RFC 3339 UTC with milliseconds.
pub fn rfc3339(ms: u64) -> String {
	let days = (ms / 86_400_000) as i64;
	let in_day = ms % 86_400_000;
	// Civil date from days since 1970-01-01 (proleptic Gregorian).
	let z = days + 719_468;
	let era = z.div_euclid(146_097);
	let doe = z.rem_euclid(146_097);
	let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
	let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	let mp = (5 * doy + 2) / 153;
	let day = doy - (153 * mp + 2) / 5 + 1;
	let month = if mp < 10 { mp + 3 } else { mp - 9 };
	let year = yoe + era * 400 + i64::from(month <= 2);
	format!(
		"{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
		in_day / 3_600_000,
		in_day / 60_000 % 60,
		in_day / 1000 % 60,
		in_day % 1000
	)
}

/// What the export reads of the chain, each record once.
struct Reader<'a, Ch> {
	chain: &'a Ch,
	block: BlockRef,
	datasets: BTreeMap<DatasetId, Option<DatasetOf>>,
	licenses: BTreeMap<LicenseId, Option<(LicenseOf, &'static str)>>,
}

impl<Ch: ProvenanceChain> Reader<'_, Ch> {
	fn dataset(&mut self, id: DatasetId) -> Result<Option<DatasetOf>, ProvenanceError> {
		if let Some(found) = self.datasets.get(&id) {
			return Ok(found.clone());
		}
		let found = self.chain.dataset(self.block, id)?;
		self.datasets.insert(id, found.clone());
		Ok(found)
	}

	fn license(
		&mut self,
		id: LicenseId,
	) -> Result<Option<(LicenseOf, &'static str)>, ProvenanceError> {
		if let Some(found) = self.licenses.get(&id) {
			return Ok(found.clone());
		}
		let found = match self.chain.license(self.block, id)? {
			Some(license) => {
				Some((license, views::license_status(self.chain.license_status(self.block, id)?)))
			},
			None => None,
		};
		self.licenses.insert(id, found.clone());
		Ok(found)
	}
}

/// The standard facets of a model or dataset: its version (content hash) and owner.
fn version_and_owner(content_hash: &str, owner: &str) -> Map<String, Value> {
	let mut facets = Map::new();
	facets.insert(
		"version".into(),
		standard_facet(VERSION_SCHEMA, json!({ "datasetVersion": content_hash })),
	);
	facets.insert(
		"ownership".into(),
		standard_facet(
			OWNERSHIP_SCHEMA,
			json!({ "owners": [{ "name": format!("ss58:{owner}"), "type": "OWNER" }] }),
		),
	);
	facets
}

/// The facets of a model as a dataset: its version (file hash), owner and Cairn record.
fn model_facets(id: ModelId, model: &ModelOf) -> Value {
	let view = views::ModelView::new(id, model);
	let status = match &model.status {
		ModelStatus::Active => "active",
		ModelStatus::Deprecated { .. } => "deprecated",
		ModelStatus::Revoked { .. } => "revoked",
	};
	let mut facets = version_and_owner(&view.file.sha256, &view.owner);
	facets.insert(
		"cairn_model".into(),
		custom_facet(
			"CairnModelDatasetFacet",
			json!({
				"modelId": id,
				"name": view.name,
				"sha256": view.file.sha256,
				"cid": view.file.cid,
				"sizeBytes": view.file.size_bytes,
				"format": view.interface.format,
				"opset": view.interface.opset,
				"royaltyBps": view.terms.royalty_bps,
				"derivatives": view.terms.derivatives,
				"depth": view.depth,
				"status": status,
			}),
		),
	);
	Value::Object(facets)
}

/// The lineage of `model` at `block` as OpenLineage run events, oldest model first.
pub fn export<Ch: ProvenanceChain>(
	chain: &Ch,
	block: BlockRef,
	model: ModelId,
) -> Result<Vec<Value>, ProvenanceError> {
	let unknown = || ProvenanceError::UnknownModel(model.to_string(), block);
	let subject = chain.model(block, model)?.ok_or_else(unknown)?;
	// Every ancestor, through as many runtime pages as the walk takes.
	let mut ids = vec![model];
	let mut start = 0;
	loop {
		let edges = chain.lineage(
			block,
			model,
			Direction::Ancestors,
			MAX_LINEAGE_DEPTH,
			start,
			RUNTIME_PAGE,
		)?;
		ids.extend(edges.iter().map(|edge| edge.parent));
		if (edges.len() as u32) < RUNTIME_PAGE {
			break;
		}
		start += RUNTIME_PAGE;
	}
	ids.sort_unstable();
	ids.dedup();

	let genesis = chain.genesis_hash();
	let namespace = namespace(genesis.as_bytes());
	let mut reader = Reader { chain, block, datasets: BTreeMap::new(), licenses: BTreeMap::new() };
	let mut events = Vec::with_capacity(ids.len() * 2);
	for id in ids {
		let record = if id == model {
			subject.clone()
		} else {
			// An ancestor listed by the walk exists at the same block.
			chain.model(block, id)?.ok_or_else(unknown)?
		};
		let mut inputs = Vec::new();
		for edge in record.parents.iter() {
			let parent = chain.model(block, edge.parent)?.ok_or_else(unknown)?;
			inputs.push(json!({
				"namespace": namespace,
				"name": format!("model/{}", edge.parent),
				"facets": model_facets(edge.parent, &parent),
				"inputFacets": {
					"cairn_lineageEdge": custom_facet(
						"CairnLineageEdgeInputDatasetFacet",
						json!({ "kind": views::edge_kind(edge.kind) }),
					),
				},
			}));
		}
		for used in record.data.iter() {
			let mut facets = Map::new();
			if let Some(dataset) = reader.dataset(used.dataset)? {
				let view = views::DatasetView::new(used.dataset, &dataset);
				facets = version_and_owner(&view.content_hash, &view.owner);
				facets.insert(
					"cairn_dataset".into(),
					custom_facet(
						"CairnDatasetDatasetFacet",
						json!({
							"datasetId": view.id,
							"name": view.name,
							"contentHash": view.content_hash,
							"cid": view.cid,
							"sizeBytes": view.size_bytes,
							"retired": view.retired,
						}),
					),
				);
			}
			let license = reader.license(used.license)?;
			let mut license_facet = json!({
				"licenseId": used.license,
				"purpose": views::purpose(used.purpose),
				"status": license.as_ref().map_or("unknown", |(_, status)| *status),
				"statusAt": block.number,
			});
			if let (Some((license, _)), Value::Object(fields)) = (&license, &mut license_facet) {
				let view = views::LicenseView::new(used.license, license);
				fields.insert("holder".into(), view.holder.into());
				fields.insert("spdx".into(), view.spdx.into());
				fields.insert("allowedUses".into(), json!(view.allowed_uses));
				fields.insert("royaltyBps".into(), view.royalty_bps.into());
				fields.insert("price".into(), view.price.into());
				fields.insert("start".into(), view.start.into());
				fields.insert("expiry".into(), json!(view.expiry));
				fields.insert("revokedAt".into(), json!(view.revoked.map(|r| r.at)));
			}
			inputs.push(json!({
				"namespace": namespace,
				"name": format!("dataset/{}", used.dataset),
				"facets": facets,
				"inputFacets": {
					"cairn_license": custom_facet("CairnLicenseInputDatasetFacet", license_facet),
				},
			}));
		}
		let registration_hash = chain.hash_of(record.registered_at);
		// Genesis has no timestamp: genesis models take the first block's.
		let time = chain
			.block_time(record.registered_at.max(1))
			.or_else(|| chain.block_time(block.number))
			.unwrap_or(0);
		let job_type = job_type(&record);
		for event_type in ["START", "COMPLETE"] {
			events.push(json!({
				"eventType": event_type,
				"eventTime": rfc3339(time),
				"producer": PRODUCER,
				"schemaURL": RUN_EVENT_SCHEMA,
				"run": {
					"runId": run_id(genesis.as_bytes(), id),
					"facets": {
						"cairn_registration": custom_facet("CairnRegistrationRunFacet", json!({
							"chain": views::hash_text(&genesis),
							"modelId": id,
							"blockNumber": record.registered_at,
							"blockHash": registration_hash.map(|h| views::hash_text(&h)),
						})),
					},
				},
				"job": {
					"namespace": namespace,
					"name": format!("model/{id}/{}", job_type.to_ascii_lowercase()),
					"facets": {
						"jobType": standard_facet(JOB_TYPE_SCHEMA, json!({
							"processingType": "BATCH",
							"integration": "CAIRN",
							"jobType": job_type,
						})),
					},
				},
				"inputs": inputs,
				"outputs": [{
					"namespace": namespace,
					"name": format!("model/{id}"),
					"facets": model_facets(id, &record),
				}],
			}));
		}
	}
	Ok(events)
}
