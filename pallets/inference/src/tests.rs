//! The node probe through the offchain worker, with a stand-in engine registered.

use crate::probe::*;
use cairn_inference::{
	host::{Engine, InferenceExt},
	Capabilities, ExecutionProvider, InferenceError, InferenceOutput, ModelHash, Tensor, TensorSet,
};
use codec::{Decode, Encode};
use sp_core::offchain::{testing::TestOffchainExt, OffchainDbExt, OffchainWorkerExt, StorageKind};
use std::sync::Arc;

/// An engine that knows one model, the identity: outputs equal inputs.
struct IdentityEngine;

const MODEL: ModelHash = [7; 32];

impl Engine for IdentityEngine {
	fn run(&self, model: &ModelHash, input: &TensorSet) -> Result<InferenceOutput, InferenceError> {
		if *model != MODEL {
			return Err(InferenceError::UnknownModel);
		}
		Ok(InferenceOutput {
			outputs: input.clone(),
			output_hash: input.hash(),
			execution_provider: ExecutionProvider::Cpu,
			runtime_version: b"test".to_vec().try_into().unwrap(),
			elapsed_micros: 1,
		})
	}

	fn capabilities(&self) -> Capabilities {
		Capabilities {
			available: true,
			runtime_version: b"test".to_vec().try_into().unwrap(),
			execution_providers: vec![ExecutionProvider::Cpu].try_into().unwrap(),
			models: vec![MODEL].try_into().unwrap(),
		}
	}

	fn has_model(&self, model: &ModelHash) -> bool {
		*model == MODEL
	}
}

fn offchain_ext(with_engine: bool) -> sp_io::TestExternalities {
	let (offchain, _state) = TestOffchainExt::new();
	let mut ext = sp_io::TestExternalities::default();
	ext.register_extension(OffchainDbExt::new(offchain.clone()));
	ext.register_extension(OffchainWorkerExt::new(offchain));
	if with_engine {
		ext.register_extension(InferenceExt::new(Arc::new(IdentityEngine)));
	}
	ext
}

fn request(request: &[u8]) {
	sp_io::offchain::local_storage_set(StorageKind::PERSISTENT, PROBE_REQUEST_KEY, request);
}

fn response() -> Option<ProbeResponse> {
	sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, PROBE_RESPONSE_KEY)
		.map(|bytes| ProbeResponse::decode(&mut &bytes[..]).unwrap())
}

fn input() -> TensorSet {
	TensorSet::new(vec![Tensor::from_f32("x", &[2], &[1.0, 2.0]).unwrap()]).unwrap()
}

#[test]
fn capabilities_requests_are_answered_once() {
	offchain_ext(true).execute_with(|| {
		request(&ProbeRequest::Capabilities { id: 5 }.encode());
		answer_pending_probe();
		let answered = response().unwrap();
		assert_eq!(answered.id, 5);
		assert_eq!(answered.answer, ProbeAnswer::Capabilities(Ok(IdentityEngine.capabilities())));
		// The request was taken: the next worker leaves the response alone.
		sp_io::offchain::local_storage_set(StorageKind::PERSISTENT, PROBE_RESPONSE_KEY, b"");
		answer_pending_probe();
		assert_eq!(
			sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, PROBE_RESPONSE_KEY),
			Some(vec![])
		);
	});
}

#[test]
fn run_requests_go_through_the_host_function() {
	offchain_ext(true).execute_with(|| {
		request(&ProbeRequest::Run { id: 9, model: MODEL, input: input() }.encode());
		answer_pending_probe();
		let ProbeAnswer::Run(Ok(output)) = response().unwrap().answer else {
			panic!("expected a run result")
		};
		assert_eq!(output.outputs, input());
		assert_eq!(output.output_hash, input().hash());

		request(&ProbeRequest::Run { id: 10, model: [1; 32], input: input() }.encode());
		answer_pending_probe();
		assert_eq!(
			response().unwrap(),
			ProbeResponse { id: 10, answer: ProbeAnswer::Run(Err(InferenceError::UnknownModel)) }
		);
	});
}

#[test]
fn malformed_requests_get_a_named_answer() {
	offchain_ext(true).execute_with(|| {
		request(&[1, 2, 3]);
		answer_pending_probe();
		assert_eq!(
			response().unwrap(),
			ProbeResponse { id: 0, answer: ProbeAnswer::MalformedRequest }
		);
	});
}

#[test]
fn no_request_means_no_response() {
	offchain_ext(true).execute_with(|| {
		answer_pending_probe();
		assert_eq!(response(), None);
	});
}

#[test]
fn without_an_engine_the_answer_is_an_error() {
	offchain_ext(false).execute_with(|| {
		request(&ProbeRequest::Capabilities { id: 1 }.encode());
		answer_pending_probe();
		assert_eq!(
			response().unwrap().answer,
			ProbeAnswer::Capabilities(Err(InferenceError::NoInferenceContext))
		);
	});
}
