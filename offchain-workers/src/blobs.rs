//! The blob store: sealed job data (ciphertext only) by the SHA-256 of its bytes, in a directory
//! of the node (`<64 hex digits>.blob`), within a disk budget and a per-blob size limit, with the
//! uploading account's usage counted against its quota.
//!
//! Blobs are written whole (to a temporary file, then renamed) and verified against their name on
//! every read, so a damaged file reads as missing rather than as wrong bytes.

use crate::seal::{blob_hash, BlobHash};
use parking_lot::Mutex;
use std::{
	collections::HashMap,
	fs, io,
	path::{Path, PathBuf},
	time::{SystemTime, UNIX_EPOCH},
};

/// File extension of stored blobs.
pub const BLOB_EXTENSION: &str = "blob";

/// File extension of the owner record beside a blob uploaded by an account.
const OWNER_EXTENSION: &str = "owner";

/// An account, as the store counts uploads (the 32 bytes of an `AccountId32`).
pub type Owner = [u8; 32];

/// Why a blob was not stored or read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlobError {
	/// The blob is larger than the node's per-blob limit.
	TooLarge {
		/// Its size in bytes.
		size: u64,
		/// The limit.
		limit: u64,
	},
	/// The node's disk budget for blobs has no room for it.
	OverBudget {
		/// Its size in bytes.
		size: u64,
		/// Bytes free in the budget.
		free: u64,
	},
	/// The uploading account's quota has no room for it.
	OverQuota {
		/// Its size in bytes.
		size: u64,
		/// Bytes the account stores on this node already.
		used: u64,
		/// The account's quota in bytes.
		quota: u64,
	},
	/// The bytes do not hash to the expected blob hash.
	HashMismatch,
	/// The store could not be read or written (the message says why).
	Io(String),
}

impl std::fmt::Display for BlobError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			BlobError::TooLarge { size, limit } => {
				write!(f, "the blob is {size} bytes, over the limit of {limit} bytes")
			},
			BlobError::OverBudget { size, free } => {
				write!(f, "the node's blob budget has {free} bytes free, too few for {size} bytes")
			},
			BlobError::OverQuota { size, used, quota } => write!(
				f,
				"the account stores {used} of its {quota} bytes here, too many to add {size}"
			),
			BlobError::HashMismatch => write!(f, "the bytes do not hash to the blob's hash"),
			BlobError::Io(message) => write!(f, "blob store: {message}"),
		}
	}
}

impl std::error::Error for BlobError {}

impl From<io::Error> for BlobError {
	fn from(error: io::Error) -> Self {
		BlobError::Io(error.to_string())
	}
}

/// What the store knows of one blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobEntry {
	/// Size in bytes.
	pub size: u64,
	/// The account that uploaded it, if it came from an upload (not from a peer or this node).
	pub owner: Option<Owner>,
	/// When it was stored, in seconds since the Unix epoch.
	pub stored_at: u64,
}

#[derive(Default)]
struct Index {
	entries: HashMap<BlobHash, BlobEntry>,
	used: u64,
}

impl Index {
	fn used_by(&self, owner: &Owner) -> u64 {
		self.entries
			.values()
			.filter(|entry| entry.owner.as_ref() == Some(owner))
			.map(|e| e.size)
			.sum()
	}
}

/// A content-addressed directory of sealed blobs.
pub struct BlobStore {
	dir: PathBuf,
	budget: u64,
	max_blob: u64,
	index: Mutex<Index>,
}

fn now_secs() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs())
}

impl BlobStore {
	/// Opens (creating if needed) the store at `dir`, holding at most `budget` bytes in blobs of
	/// at most `max_blob` bytes each; indexes what is there (files of other names are left alone,
	/// unfinished temporary files removed).
	pub fn open(dir: impl Into<PathBuf>, budget: u64, max_blob: u64) -> io::Result<Self> {
		let dir = dir.into();
		fs::create_dir_all(&dir)?;
		let mut index = Index::default();
		for item in fs::read_dir(&dir)? {
			let path = item?.path();
			if path.extension().is_some_and(|ext| ext == "tmp") {
				let _ = fs::remove_file(&path);
				continue;
			}
			if path.extension().is_none_or(|ext| ext != BLOB_EXTENSION) {
				continue;
			}
			let Some(hash) =
				path.file_stem().and_then(|s| s.to_str()).and_then(crate::store::from_hex)
			else {
				continue;
			};
			let metadata = fs::metadata(&path)?;
			let stored_at = metadata
				.modified()
				.ok()
				.and_then(|time| time.duration_since(UNIX_EPOCH).ok())
				.map_or(0, |since| since.as_secs());
			let owner = fs::read(path.with_extension(OWNER_EXTENSION))
				.ok()
				.and_then(|bytes| Owner::try_from(bytes.as_slice()).ok());
			index.used += metadata.len();
			index.entries.insert(hash, BlobEntry { size: metadata.len(), owner, stored_at });
		}
		Ok(BlobStore { dir, budget, max_blob, index: Mutex::new(index) })
	}

	/// The directory of the store.
	pub fn dir(&self) -> &Path {
		&self.dir
	}

	/// The largest blob the store takes, in bytes.
	pub fn max_blob(&self) -> u64 {
		self.max_blob
	}

	/// Bytes of blobs stored.
	pub fn used(&self) -> u64 {
		self.index.lock().used
	}

	/// Bytes of blobs `owner` uploaded that are stored.
	pub fn used_by(&self, owner: &Owner) -> u64 {
		self.index.lock().used_by(owner)
	}

	fn path(&self, hash: &BlobHash) -> PathBuf {
		self.dir.join(format!("{}.{BLOB_EXTENSION}", crate::store::to_hex(hash)))
	}

	/// Stores `bytes`, uploaded by `owner` within its `quota` (bytes) where one is given;
	/// returns their hash. Storing a blob already there succeeds and changes nothing.
	///
	/// # Errors
	/// [`BlobError::TooLarge`], [`BlobError::OverBudget`], [`BlobError::OverQuota`],
	/// [`BlobError::Io`].
	pub fn put(&self, bytes: &[u8], owner: Option<(Owner, u64)>) -> Result<BlobHash, BlobError> {
		let hash = blob_hash(bytes);
		self.insert(hash, bytes, owner)?;
		Ok(hash)
	}

	/// Stores `bytes` as the blob `expected` (fetched from a peer): refused unless they hash to
	/// it.
	///
	/// # Errors
	/// [`BlobError::HashMismatch`], and those of [`BlobStore::put`].
	pub fn put_expected(&self, expected: &BlobHash, bytes: &[u8]) -> Result<(), BlobError> {
		if blob_hash(bytes) != *expected {
			return Err(BlobError::HashMismatch);
		}
		self.insert(*expected, bytes, None)
	}

	fn insert(
		&self,
		hash: BlobHash,
		bytes: &[u8],
		owner: Option<(Owner, u64)>,
	) -> Result<(), BlobError> {
		let size = bytes.len() as u64;
		if size > self.max_blob {
			return Err(BlobError::TooLarge { size, limit: self.max_blob });
		}
		let mut index = self.index.lock();
		if index.entries.contains_key(&hash) {
			return Ok(());
		}
		let free = self.budget.saturating_sub(index.used);
		if size > free {
			return Err(BlobError::OverBudget { size, free });
		}
		if let Some((account, quota)) = &owner {
			let used = index.used_by(account);
			if used.saturating_add(size) > *quota {
				return Err(BlobError::OverQuota { size, used, quota: *quota });
			}
		}
		let path = self.path(&hash);
		let temporary = path.with_extension("tmp");
		fs::write(&temporary, bytes)?;
		if let Some((account, _)) = &owner {
			fs::write(path.with_extension(OWNER_EXTENSION), account)?;
		}
		fs::rename(&temporary, &path)?;
		index.used += size;
		index.entries.insert(
			hash,
			BlobEntry { size, owner: owner.map(|(account, _)| account), stored_at: now_secs() },
		);
		Ok(())
	}

	/// Whether the store holds the blob.
	pub fn contains(&self, hash: &BlobHash) -> bool {
		self.index.lock().entries.contains_key(hash)
	}

	/// What the store knows of the blob.
	pub fn entry(&self, hash: &BlobHash) -> Option<BlobEntry> {
		self.index.lock().entries.get(hash).copied()
	}

	/// The blob's bytes, verified against its hash; a file that no longer matches is removed and
	/// reads as missing.
	pub fn get(&self, hash: &BlobHash) -> Option<Vec<u8>> {
		if !self.contains(hash) {
			return None;
		}
		match fs::read(self.path(hash)) {
			Ok(bytes) if blob_hash(&bytes) == *hash => Some(bytes),
			_ => {
				log::warn!(
					target: "cairn::blobs",
					"blob {} is damaged or gone: removed from the store",
					crate::store::to_hex(hash)
				);
				self.remove(hash);
				None
			},
		}
	}

	/// Removes the blob (a no-op when absent).
	pub fn remove(&self, hash: &BlobHash) {
		let mut index = self.index.lock();
		if let Some(entry) = index.entries.remove(hash) {
			index.used = index.used.saturating_sub(entry.size);
			let path = self.path(hash);
			let _ = fs::remove_file(&path);
			let _ = fs::remove_file(path.with_extension(OWNER_EXTENSION));
		}
	}

	/// Removes every blob stored at least `grace_secs` seconds before `now_secs` that `in_use`
	/// says no job names any more; returns how many were removed and their bytes. The grace
	/// period keeps a blob uploaded for a job that is not requested yet.
	pub fn collect_garbage(
		&self,
		now_secs: u64,
		grace_secs: u64,
		in_use: impl Fn(&BlobHash) -> bool,
	) -> (u32, u64) {
		let old: Vec<(BlobHash, u64)> = self
			.list()
			.into_iter()
			.filter(|(_, entry)| entry.stored_at.saturating_add(grace_secs) <= now_secs)
			.map(|(hash, entry)| (hash, entry.size))
			.collect();
		let (mut count, mut bytes) = (0u32, 0u64);
		for (hash, size) in old {
			if !in_use(&hash) {
				self.remove(&hash);
				count += 1;
				bytes += size;
			}
		}
		(count, bytes)
	}

	/// The current time in seconds since the Unix epoch, as the store stamps blobs.
	pub fn now() -> u64 {
		now_secs()
	}

	/// Every blob stored, with what the store knows of it.
	pub fn list(&self) -> Vec<(BlobHash, BlobEntry)> {
		self.index.lock().entries.iter().map(|(hash, entry)| (*hash, *entry)).collect()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn store(budget: u64, max_blob: u64) -> (tempfile::TempDir, BlobStore) {
		let dir = tempfile::tempdir().unwrap();
		let store = BlobStore::open(dir.path(), budget, max_blob).unwrap();
		(dir, store)
	}

	#[test]
	fn blobs_are_stored_by_hash_and_read_back_verified() {
		let (_dir, store) = store(1_000, 100);
		let hash = store.put(b"sealed bytes", None).unwrap();
		assert_eq!(hash, blob_hash(b"sealed bytes"));
		assert_eq!(store.get(&hash).unwrap(), b"sealed bytes");
		assert_eq!(store.used(), 12);
		// Storing it again changes nothing.
		assert_eq!(store.put(b"sealed bytes", None).unwrap(), hash);
		assert_eq!(store.used(), 12);
		store.remove(&hash);
		assert!(store.get(&hash).is_none());
		assert_eq!(store.used(), 0);
	}

	#[test]
	fn limits_budget_and_quota_are_enforced() {
		let (_dir, store) = store(25, 10);
		assert_eq!(store.put(&[1; 11], None), Err(BlobError::TooLarge { size: 11, limit: 10 }));
		let alice = [1; 32];
		store.put(&[1; 10], Some((alice, 15))).unwrap();
		assert_eq!(
			store.put(&[2; 10], Some((alice, 15))),
			Err(BlobError::OverQuota { size: 10, used: 10, quota: 15 })
		);
		assert_eq!(store.used_by(&alice), 10);
		store.put(&[3; 10], Some(([2; 32], 100))).unwrap();
		assert_eq!(store.put(&[4; 10], None), Err(BlobError::OverBudget { size: 10, free: 5 }));
		assert_eq!(store.used(), 20);
	}

	#[test]
	fn garbage_is_what_no_job_names_after_the_grace_period() {
		let (_dir, store) = store(1_000, 100);
		let named = store.put(b"named by a job", None).unwrap();
		let orphan = store.put(b"named by nothing", Some(([3; 32], 100))).unwrap();
		let now = BlobStore::now();
		// Within the grace period nothing goes, named or not.
		assert_eq!(store.collect_garbage(now, 60, |hash| *hash == named), (0, 0));
		// After it, what no job names goes; its owner's quota is free again.
		assert_eq!(store.collect_garbage(now + 60, 60, |hash| *hash == named), (1, 16));
		assert!(store.contains(&named) && !store.contains(&orphan));
		assert_eq!(store.used_by(&[3; 32]), 0);
		assert_eq!(store.collect_garbage(now + 60, 60, |_| false), (1, 14));
		assert_eq!(store.used(), 0);
	}

	#[test]
	fn bytes_fetched_for_a_hash_must_match_it() {
		let (_dir, store) = store(1_000, 100);
		let hash = blob_hash(b"right");
		assert_eq!(store.put_expected(&hash, b"wrong"), Err(BlobError::HashMismatch));
		assert!(!store.contains(&hash));
		store.put_expected(&hash, b"right").unwrap();
		assert_eq!(store.get(&hash).unwrap(), b"right");
	}

	#[test]
	fn reopening_finds_blobs_and_owners_and_drops_damaged_files() {
		let dir = tempfile::tempdir().unwrap();
		let (kept, damaged) = {
			let store = BlobStore::open(dir.path(), 1_000, 100).unwrap();
			let kept = store.put(b"kept", Some(([7; 32], 100))).unwrap();
			let damaged = store.put(b"damaged", None).unwrap();
			fs::write(store.path(&damaged), b"other bytes").unwrap();
			fs::write(dir.path().join("half.tmp"), b"unfinished").unwrap();
			(kept, damaged)
		};
		let store = BlobStore::open(dir.path(), 1_000, 100).unwrap();
		assert_eq!(store.entry(&kept).and_then(|entry| entry.owner), Some([7; 32]));
		assert_eq!(store.used_by(&[7; 32]), 4);
		assert!(!dir.path().join("half.tmp").exists());
		assert!(store.contains(&damaged));
		assert!(store.get(&damaged).is_none());
		assert!(!store.contains(&damaged));
		assert_eq!(store.used(), 4);
	}
}
