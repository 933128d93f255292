//! The model store: a directory of ONNX files named by their SHA-256 (`<64 hex digits>.onnx`).
//!
//! Names are claims, not facts: [`ModelStore::read_verified`] hashes the bytes and refuses a file
//! whose content does not match its name, and the engine loads a session only from those verified
//! bytes.

use crate::types::{InferenceError, ModelHash};
use std::{
	fs, io,
	io::Read,
	path::{Path, PathBuf},
};

/// File extension of stored models.
pub const MODEL_EXTENSION: &str = "onnx";

/// Lower-case hex of a hash.
pub fn to_hex(hash: &ModelHash) -> String {
	hash.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// SHA-256 of bytes: a model's content hash.
pub fn sha256(bytes: &[u8]) -> ModelHash {
	sp_crypto_hashing::sha2_256(bytes)
}

/// Parses 64 hex digits (an optional `0x` prefix allowed) into a hash.
pub fn from_hex(text: &str) -> Option<ModelHash> {
	let digits = text.strip_prefix("0x").unwrap_or(text);
	if digits.len() != 64 || !digits.is_ascii() {
		return None;
	}
	let mut hash = [0u8; 32];
	for (index, byte) in hash.iter_mut().enumerate() {
		*byte = u8::from_str_radix(&digits[2 * index..2 * index + 2], 16).ok()?;
	}
	Some(hash)
}

/// Why a model could not be imported.
#[derive(Debug)]
pub enum ImportError {
	/// The file could not be read or the store could not be written.
	Io(io::Error),
	/// The file exceeds the size limit (its size and the limit, in bytes).
	TooLarge {
		/// Size of the file.
		size: u64,
		/// The limit.
		limit: u64,
	},
}

impl std::fmt::Display for ImportError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			ImportError::Io(error) => write!(f, "{error}"),
			ImportError::TooLarge { size, limit } => {
				write!(f, "model file is {size} bytes, over the limit of {limit} bytes")
			},
		}
	}
}

impl std::error::Error for ImportError {}

/// A content-addressed directory of models.
#[derive(Clone, Debug)]
pub struct ModelStore {
	dir: PathBuf,
}

impl ModelStore {
	/// Opens (creating if needed) the store at `dir`.
	pub fn open(dir: impl Into<PathBuf>) -> io::Result<Self> {
		let dir = dir.into();
		fs::create_dir_all(&dir)?;
		Ok(ModelStore { dir })
	}

	/// The store's directory.
	pub fn dir(&self) -> &Path {
		&self.dir
	}

	/// Where the model with this hash lives.
	pub fn path_of(&self, model: &ModelHash) -> PathBuf {
		self.dir.join(format!("{}.{MODEL_EXTENSION}", to_hex(model)))
	}

	/// Whether a file claims this hash (its content is verified when it is read).
	pub fn contains(&self, model: &ModelHash) -> bool {
		self.path_of(model).is_file()
	}

	/// Hashes and sizes of the stored models, sorted by hash; other files are ignored.
	pub fn list(&self) -> io::Result<Vec<(ModelHash, u64)>> {
		let mut models = Vec::new();
		for entry in fs::read_dir(&self.dir)? {
			let entry = entry?;
			let path = entry.path();
			if path.extension().and_then(|e| e.to_str()) != Some(MODEL_EXTENSION) {
				continue;
			}
			let Some(hash) = path.file_stem().and_then(|s| s.to_str()).and_then(from_hex) else {
				continue;
			};
			let metadata = entry.metadata()?;
			if metadata.is_file() {
				models.push((hash, metadata.len()));
			}
		}
		models.sort();
		Ok(models)
	}

	/// Marks the model as used now (its file's modification time): what the store's
	/// least-recently-used eviction goes by.
	pub fn touch(&self, model: &ModelHash) -> io::Result<()> {
		self.set_last_used(model, std::time::SystemTime::now())
	}

	/// Sets when the model was last used (its file's modification time).
	pub(crate) fn set_last_used(
		&self,
		model: &ModelHash,
		at: std::time::SystemTime,
	) -> io::Result<()> {
		fs::File::options().write(true).open(self.path_of(model))?.set_modified(at)
	}

	/// Removes least recently used models (oldest modification time first) until the stored
	/// models total at most `budget` bytes, never one that `keep` holds on to. Returns the models
	/// removed with their sizes; the store may stay over budget when only kept models are left.
	pub fn evict_to_budget(
		&self,
		budget: u64,
		keep: impl Fn(&ModelHash) -> bool,
	) -> io::Result<Vec<(ModelHash, u64)>> {
		let mut models = Vec::new();
		for (hash, size) in self.list()? {
			let used = fs::metadata(self.path_of(&hash))?.modified()?;
			models.push((used, hash, size));
		}
		let mut total: u64 = models.iter().map(|(_, _, size)| size).sum();
		models.sort();
		let mut evicted = Vec::new();
		for (_, hash, size) in models {
			if total <= budget {
				break;
			}
			if keep(&hash) {
				continue;
			}
			fs::remove_file(self.path_of(&hash))?;
			total -= size;
			evicted.push((hash, size));
		}
		Ok(evicted)
	}

	/// Copies bytes into the store under their SHA-256 (atomically: written to a temporary file,
	/// then renamed) and returns the hash. Importing the same bytes again is a no-op.
	pub fn import_bytes(&self, bytes: &[u8]) -> io::Result<ModelHash> {
		let hash = sp_crypto_hashing::sha2_256(bytes);
		let path = self.path_of(&hash);
		if path.is_file() && fs::read(&path).map(|b| b == bytes).unwrap_or(false) {
			return Ok(hash);
		}
		let temporary = self.dir.join(format!(".{}.{}.partial", to_hex(&hash), std::process::id()));
		fs::write(&temporary, bytes)?;
		fs::rename(&temporary, &path)?;
		Ok(hash)
	}

	/// Reads the model, refusing files over `max_bytes` ([`InferenceError::ModelTooLarge`]) and
	/// files whose SHA-256 is not `model` ([`InferenceError::ModelHashMismatch`]).
	pub fn read_verified(
		&self,
		model: &ModelHash,
		max_bytes: u64,
	) -> Result<Vec<u8>, InferenceError> {
		let path = self.path_of(model);
		if !path.is_file() {
			return Err(InferenceError::UnknownModel);
		}
		let bytes = read_bounded(&path, max_bytes).map_err(|error| match error {
			ReadError::TooLarge(_) => InferenceError::ModelTooLarge,
			ReadError::Io(error) if error.kind() == io::ErrorKind::NotFound => {
				InferenceError::UnknownModel
			},
			ReadError::Io(_) => InferenceError::StoreUnavailable,
		})?;
		if sp_crypto_hashing::sha2_256(&bytes) != *model {
			return Err(InferenceError::ModelHashMismatch);
		}
		Ok(bytes)
	}
}

/// Reads a model file of at most `max_bytes` (checked before reading).
pub fn read_model_file(file: &Path, max_bytes: u64) -> Result<Vec<u8>, ImportError> {
	read_bounded(file, max_bytes).map_err(|error| match error {
		ReadError::Io(error) => ImportError::Io(error),
		ReadError::TooLarge(size) => ImportError::TooLarge { size, limit: max_bytes },
	})
}

enum ReadError {
	Io(io::Error),
	TooLarge(u64),
}

/// Reads a whole file, refusing one over `max_bytes` before reading it (and while reading, should
/// it grow).
fn read_bounded(path: &Path, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
	let file = fs::File::open(path).map_err(ReadError::Io)?;
	let size = file.metadata().map_err(ReadError::Io)?.len();
	if size > max_bytes {
		return Err(ReadError::TooLarge(size));
	}
	let mut bytes = Vec::with_capacity(size as usize);
	file.take(max_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(ReadError::Io)?;
	if bytes.len() as u64 > max_bytes {
		return Err(ReadError::TooLarge(bytes.len() as u64));
	}
	Ok(bytes)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn hex_round_trips_and_rejects_bad_text() {
		let hash = sp_crypto_hashing::sha2_256(b"model");
		assert_eq!(from_hex(&to_hex(&hash)), Some(hash));
		assert_eq!(from_hex(&format!("0x{}", to_hex(&hash))), Some(hash));
		assert_eq!(from_hex("abc"), None);
		assert_eq!(from_hex(&"zz".repeat(32)), None);
		assert_eq!(from_hex(&"é".repeat(32)), None);
	}

	#[test]
	fn imports_are_content_addressed_and_verified() {
		let dir = tempfile::tempdir().unwrap();
		let store = ModelStore::open(dir.path().join("models")).unwrap();
		let hash = store.import_bytes(b"model bytes").unwrap();
		assert_eq!(hash, sp_crypto_hashing::sha2_256(b"model bytes"));
		assert_eq!(store.import_bytes(b"model bytes").unwrap(), hash);
		assert!(store.contains(&hash));
		assert_eq!(store.list().unwrap(), vec![(hash, 11)]);
		assert_eq!(store.read_verified(&hash, 1024).unwrap(), b"model bytes");
		assert_eq!(store.read_verified(&hash, 4), Err(InferenceError::ModelTooLarge));
		assert_eq!(store.read_verified(&[7; 32], 1024), Err(InferenceError::UnknownModel));

		fs::write(store.path_of(&hash), b"tampered").unwrap();
		assert_eq!(store.read_verified(&hash, 1024), Err(InferenceError::ModelHashMismatch));

		fs::write(dir.path().join("models/notes.txt"), b"ignored").unwrap();
		fs::write(dir.path().join("models/nothex.onnx"), b"ignored").unwrap();
		assert_eq!(store.list().unwrap().len(), 1);
	}

	#[test]
	fn eviction_removes_the_least_recently_used_and_spares_kept_models() {
		let dir = tempfile::tempdir().unwrap();
		let store = ModelStore::open(dir.path()).unwrap();
		let old = store.import_bytes(&[1u8; 100]).unwrap();
		let middle = store.import_bytes(&[2u8; 100]).unwrap();
		let new = store.import_bytes(&[3u8; 100]).unwrap();
		let at = |secs| std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs);
		for (model, secs) in [(old, 1_000), (middle, 2_000), (new, 3_000)] {
			store.set_last_used(&model, at(secs)).unwrap();
		}
		// Within budget: nothing goes.
		assert_eq!(store.evict_to_budget(300, |_| false).unwrap(), vec![]);
		// The oldest is kept (a job needs it): the next oldest goes instead.
		assert_eq!(store.evict_to_budget(200, |m| *m == old).unwrap(), vec![(middle, 100)]);
		// Touching the oldest makes the newest the least recently used.
		store.touch(&old).unwrap();
		assert_eq!(store.evict_to_budget(100, |_| false).unwrap(), vec![(new, 100)]);
		assert_eq!(store.list().unwrap(), vec![(old, 100)]);
		// Only kept models left: the store stays over budget rather than losing them.
		assert_eq!(store.evict_to_budget(0, |_| true).unwrap(), vec![]);
		assert!(store.contains(&old));
	}

	#[test]
	fn reading_a_model_file_enforces_the_size_limit() {
		let dir = tempfile::tempdir().unwrap();
		let file = dir.path().join("big.bin");
		fs::write(&file, vec![1u8; 100]).unwrap();
		assert!(matches!(
			read_model_file(&file, 99),
			Err(ImportError::TooLarge { size: 100, limit: 99 })
		));
		assert_eq!(read_model_file(&file, 100).unwrap().len(), 100);
		assert!(matches!(
			read_model_file(&dir.path().join("missing"), 100),
			Err(ImportError::Io(_))
		));
	}
}
