//! Validation of binary IPFS CIDv1s: `<version=1><content codec><multihash>`, each number an
//! unsigned LEB128 varint, the multihash `<hash code><digest length><digest>`.

/// Content codecs accepted: raw, dag-pb, dag-cbor, dag-json.
const CODECS: [u64; 4] = [0x55, 0x70, 0x71, 0x0129];

/// Multihash functions accepted, with their digest lengths: sha2-256, sha2-512, sha3-256,
/// keccak-256, blake2b-256, blake3.
const HASHES: [(u64, u64); 6] =
	[(0x12, 32), (0x13, 64), (0x16, 32), (0x1b, 32), (0xb220, 32), (0x1e, 32)];

/// Reads one unsigned varint (at most 9 bytes, minimally encoded) from the front of `bytes`.
fn read_varint(bytes: &mut &[u8]) -> Option<u64> {
	let mut value = 0u64;
	for i in 0..9 {
		let (&byte, rest) = bytes.split_first()?;
		*bytes = rest;
		value |= u64::from(byte & 0x7f) << (7 * i);
		if byte & 0x80 == 0 {
			// A trailing zero byte would make a second encoding of the same number.
			return (i == 0 || byte != 0).then_some(value);
		}
	}
	None
}

/// Whether `cid` is a binary CIDv1 with a known codec and multihash and a digest of exactly the
/// multihash's length, with nothing after it.
pub fn is_valid_cid_v1(cid: &[u8]) -> bool {
	let mut rest = cid;
	let (Some(version), Some(codec), Some(hash), Some(length)) = (
		read_varint(&mut rest),
		read_varint(&mut rest),
		read_varint(&mut rest),
		read_varint(&mut rest),
	) else {
		return false;
	};
	version == 1
		&& CODECS.contains(&codec)
		&& HASHES.contains(&(hash, length))
		&& rest.len() as u64 == length
}

#[cfg(test)]
mod tests {
	use super::*;

	fn cid(prefix: &[u8], digest_len: usize) -> alloc::vec::Vec<u8> {
		let mut bytes = prefix.to_vec();
		bytes.extend(core::iter::repeat_n(0xab, digest_len));
		bytes
	}

	#[test]
	fn accepts_common_cids() {
		// raw + sha2-256 (bafkrei…), dag-pb + sha2-256 (bafybei…), raw + blake2b-256.
		assert!(is_valid_cid_v1(&cid(&[0x01, 0x55, 0x12, 0x20], 32)));
		assert!(is_valid_cid_v1(&cid(&[0x01, 0x70, 0x12, 0x20], 32)));
		assert!(is_valid_cid_v1(&cid(&[0x01, 0x55, 0xa0, 0xe4, 0x02, 0x20], 32)));
		assert!(is_valid_cid_v1(&cid(&[0x01, 0xa9, 0x02, 0x13, 0x40], 64)));
	}

	#[test]
	fn refuses_malformed_cids() {
		assert!(!is_valid_cid_v1(&[]));
		// CIDv0 (a bare multihash) and version 2.
		assert!(!is_valid_cid_v1(&cid(&[0x12, 0x20], 32)));
		assert!(!is_valid_cid_v1(&cid(&[0x02, 0x55, 0x12, 0x20], 32)));
		// Unknown codec, unknown hash, wrong declared length, truncated and over-long digests.
		assert!(!is_valid_cid_v1(&cid(&[0x01, 0x99, 0x12, 0x20], 32)));
		assert!(!is_valid_cid_v1(&cid(&[0x01, 0x55, 0x77, 0x20], 32)));
		assert!(!is_valid_cid_v1(&cid(&[0x01, 0x55, 0x12, 0x21], 33)));
		assert!(!is_valid_cid_v1(&cid(&[0x01, 0x55, 0x12, 0x20], 31)));
		assert!(!is_valid_cid_v1(&cid(&[0x01, 0x55, 0x12, 0x20], 33)));
		// Non-minimal and unterminated varints.
		assert!(!is_valid_cid_v1(&cid(&[0x81, 0x00, 0x55, 0x12, 0x20], 32)));
		assert!(!is_valid_cid_v1(&[0x01, 0x55, 0xff, 0xff]));
	}
}
