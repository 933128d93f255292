//! A node without a usable ONNX Runtime library: inference is reported unavailable, nothing
//! panics. (Its own test binary: a process that loaded a library cannot unload it.)

mod common;

use cairn_inference::{
	engine::{EngineConfig, OrtEngine},
	host::{Engine, InferenceExt},
	inference, InferenceError,
};
use std::sync::Arc;

fn engine(library: Option<std::path::PathBuf>) -> (OrtEngine, tempfile::TempDir) {
	let dir = tempfile::tempdir().unwrap();
	let engine = OrtEngine::new(EngineConfig::new(library, dir.path().join("models"))).unwrap();
	engine.store().import_bytes(common::TINY_MODEL).unwrap();
	(engine, dir)
}

#[test]
fn missing_or_unusable_libraries_make_inference_unavailable() {
	let not_a_library = tempfile::NamedTempFile::new().unwrap();
	std::fs::write(not_a_library.path(), b"not a shared library").unwrap();
	for (library, reason) in [
		(None, "no ONNX Runtime library configured"),
		(Some("/nonexistent/libonnxruntime.so".into()), "does not exist"),
		(Some(not_a_library.path().to_path_buf()), "loading ONNX Runtime from"),
	] {
		let (engine, _dir) = engine(library);
		let why = engine.unavailable_reason().expect("unavailable");
		assert!(why.contains(reason), "{why:?} should mention {reason:?}");
		let tiny = cairn_inference::store::sha256(common::TINY_MODEL);
		assert_eq!(
			engine.run(&tiny, &common::tiny_input(1)),
			Err(InferenceError::RuntimeUnavailable)
		);
		assert_eq!(engine.inspect(common::TINY_MODEL), Err(InferenceError::RuntimeUnavailable));
		let capabilities = engine.capabilities();
		assert!(!capabilities.available);
		assert!(capabilities.runtime_version.is_empty());
		assert_eq!(capabilities.models.to_vec(), vec![tiny]);
		assert!(engine.has_model(&tiny));

		let mut ext = sp_io::TestExternalities::default();
		ext.register_extension(InferenceExt::new(Arc::new(engine)));
		ext.execute_with(|| {
			assert_eq!(
				cairn_inference::run_model(&tiny, &common::tiny_input(1)),
				Err(InferenceError::RuntimeUnavailable)
			);
			assert!(!inference::capabilities().unwrap().available);
		});
	}
}
