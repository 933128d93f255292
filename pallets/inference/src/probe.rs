//! The node probe: an offchain worker answers requests an operator leaves in the node's
//! persistent offchain storage, through the same host functions jobs use.

use cairn_inference::{Capabilities, InferenceError, InferenceOutput, ModelHash, TensorSet};
use codec::{Decode, DecodeAll, Encode};
use scale_info::TypeInfo;
use sp_runtime::offchain::StorageKind;

/// Persistent offchain storage key of the pending request.
pub const PROBE_REQUEST_KEY: &[u8] = b"cairn::inference::probe::request";
/// Persistent offchain storage key of the latest response.
pub const PROBE_RESPONSE_KEY: &[u8] = b"cairn::inference::probe::response";

const LOG_TARGET: &str = "runtime::inference";

/// What the operator asks.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub enum ProbeRequest {
	/// Report ONNX Runtime's availability, execution providers and stored models.
	#[codec(index = 0)]
	Capabilities {
		/// Echoed in the response.
		id: u64,
	},
	/// Run a stored model on an input.
	#[codec(index = 1)]
	Run {
		/// Echoed in the response.
		id: u64,
		/// SHA-256 of the model file.
		model: ModelHash,
		/// The input, canonical.
		input: TensorSet,
	},
}

/// The offchain worker's answer.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub enum ProbeAnswer {
	/// Answer to [`ProbeRequest::Capabilities`].
	#[codec(index = 0)]
	Capabilities(Result<Capabilities, InferenceError>),
	/// Answer to [`ProbeRequest::Run`].
	#[codec(index = 1)]
	Run(Result<InferenceOutput, InferenceError>),
	/// The stored request did not decode as a [`ProbeRequest`] (the id is then 0).
	#[codec(index = 2)]
	MalformedRequest,
}

/// A response, stored under [`PROBE_RESPONSE_KEY`].
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct ProbeResponse {
	/// The request's id.
	pub id: u64,
	/// The answer.
	pub answer: ProbeAnswer,
}

/// Answers the pending request, if any. Taking the request is a compare-and-set, so two offchain
/// workers running at once (for consecutive blocks) never answer it twice.
pub fn answer_pending_probe() {
	let kind = StorageKind::PERSISTENT;
	let Some(pending) = sp_io::offchain::local_storage_get(kind, PROBE_REQUEST_KEY) else {
		return;
	};
	if pending.is_empty()
		|| !sp_io::offchain::local_storage_compare_and_set(
			kind,
			PROBE_REQUEST_KEY,
			Some(pending.clone()),
			&[],
		) {
		return;
	}
	let response = answer(&pending);
	log::info!(target: LOG_TARGET, "answered node probe {}", response.id);
	sp_io::offchain::local_storage_set(kind, PROBE_RESPONSE_KEY, &response.encode());
}

/// The response to an encoded request.
pub fn answer(request: &[u8]) -> ProbeResponse {
	match ProbeRequest::decode_all(&mut &request[..]) {
		Ok(ProbeRequest::Capabilities { id }) => ProbeResponse {
			id,
			answer: ProbeAnswer::Capabilities(cairn_inference::inference::capabilities()),
		},
		Ok(ProbeRequest::Run { id, model, input }) => ProbeResponse {
			id,
			answer: ProbeAnswer::Run(cairn_inference::run_model(&model, &input)),
		},
		Err(_) => ProbeResponse { id: 0, answer: ProbeAnswer::MalformedRequest },
	}
}
