//! Sealed job data: the wire formats' test vector (shared with the JavaScript client, whose test
//! checks the same file), round trips, and every way opening must fail.

use cairn_inference::{
	seal::{
		blob_hash, derive_output_key, is_valid_public_key, new_content_key, open_blob, public_key,
		seal_blob, seal_blob_with, secret_from_ed25519_seed, unwrap_key, wrap_key, wrap_key_with,
		BlobContext, BlobKind, KeyContext, KeyEnvelope, KeyRole, OutputKeyContext, SealError,
		BLOB_OVERHEAD, OUTPUT_KEY_INFO, SMALL_ORDER_KEYS,
	},
	Tensor, TensorSet,
};
use codec::{Decode, Encode};
use std::collections::BTreeMap;
use x25519_dalek::StaticSecret;

/// The test vector, with the docs' and the JavaScript client's copy.
const VECTOR: &str = include_str!("../../client/test/seal-v1.json");

fn hex(bytes: &[u8]) -> String {
	format!("0x{}", bytes.iter().map(|byte| format!("{byte:02x}")).collect::<String>())
}

fn unhex(text: &str) -> Vec<u8> {
	let text = text.trim_start_matches("0x");
	(0..text.len())
		.step_by(2)
		.map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
		.collect()
}

fn array<const N: usize>(text: &str) -> [u8; N] {
	unhex(text).try_into().expect("length")
}

/// The vector's inputs and the outputs computed from them, as the JSON file lists them.
fn computed_vector() -> BTreeMap<&'static str, String> {
	let seed: [u8; 32] = core::array::from_fn(|i| i as u8);
	let recipient_secret = secret_from_ed25519_seed(&seed);
	let recipient = public_key(&recipient_secret);
	let model = [0xab; 32];
	let account = [0xcd; 32];
	let content_key = [0x11; 32];
	let ephemeral_secret = [0x42; 32];
	let envelope_nonce = [0x24; 12];
	let blob_nonce = [0x5a; 12];
	let input =
		TensorSet::new(vec![Tensor::from_f32("x", &[1, 4], &[1.0, 2.0, 3.0, 4.0]).unwrap()])
			.unwrap();
	let plaintext = input.encode();
	let context =
		KeyContext { job: 7, model, recipient: account, key_epoch: 1, role: KeyRole::Provider };
	let envelope =
		wrap_key_with(&ephemeral_secret, envelope_nonce, &recipient, &content_key, &context)
			.unwrap();
	let blob_context = BlobContext { kind: BlobKind::Input, model, plaintext_hash: input.hash() };
	let blob = seal_blob_with(&content_key, blob_nonce, &plaintext, &blob_context).unwrap();
	let output_context = OutputKeyContext { job: 7, model, party: account };
	let mut output_key_info = OUTPUT_KEY_INFO.to_vec();
	output_key_info.extend_from_slice(&output_context.encode());
	let output_key = derive_output_key(&content_key, &output_context);
	BTreeMap::from([
		("recipient_ed25519_seed", hex(&seed)),
		("recipient_x25519_public", hex(&recipient)),
		("job", "7".into()),
		("model", hex(&model)),
		("recipient_account", hex(&account)),
		("key_epoch", "1".into()),
		("role", "Provider".into()),
		("key_context_data", hex(&context.associated_data())),
		("content_key", hex(&content_key)),
		("ephemeral_secret", hex(&ephemeral_secret)),
		("envelope_nonce", hex(&envelope_nonce)),
		("envelope", hex(&envelope.encode())),
		("plaintext", hex(&plaintext)),
		("plaintext_hash", hex(&input.hash())),
		("blob_kind", "Input".into()),
		("blob_context_data", hex(&blob_context.associated_data())),
		("blob_nonce", hex(&blob_nonce)),
		("blob", hex(&blob)),
		("blob_hash", hex(&blob_hash(&blob))),
		("output_key_info", hex(&output_key_info)),
		("output_key", hex(output_key.as_ref())),
	])
}

/// The file's `"name": "value"` pairs (a flat JSON object of strings).
fn file_vector() -> BTreeMap<String, String> {
	VECTOR
		.lines()
		.filter_map(|line| {
			let (name, value) = line.trim().trim_end_matches(',').split_once(": ")?;
			Some((name.trim_matches('"').to_string(), value.trim_matches('"').to_string()))
		})
		.collect()
}

#[test]
fn the_test_vector_matches_the_file() {
	let computed = computed_vector();
	let file = file_vector();
	let rendered = computed
		.iter()
		.map(|(name, value)| format!("  \"{name}\": \"{value}\""))
		.collect::<Vec<_>>()
		.join(",\n");
	for (name, value) in &computed {
		assert_eq!(
			file.get(*name),
			Some(value),
			"client/test/seal-v1.json differs at {name}; the computed vector is:\n{{\n{rendered}\n}}"
		);
	}
	assert_eq!(file.len(), computed.len(), "the file has other entries");
}

#[test]
fn the_test_vector_opens() {
	let file = file_vector();
	let secret = secret_from_ed25519_seed(&array(&file["recipient_ed25519_seed"]));
	let envelope = KeyEnvelope::decode(&mut &unhex(&file["envelope"])[..]).unwrap();
	let context = KeyContext {
		job: 7,
		model: array(&file["model"]),
		recipient: array(&file["recipient_account"]),
		key_epoch: 1,
		role: KeyRole::Provider,
	};
	let key = unwrap_key(&secret, &envelope, &context).unwrap();
	assert_eq!(hex(key.as_ref()), file["content_key"]);
	let blob_context = BlobContext {
		kind: BlobKind::Input,
		model: array(&file["model"]),
		plaintext_hash: array(&file["plaintext_hash"]),
	};
	let plaintext = open_blob(&key, &unhex(&file["blob"]), &blob_context).unwrap();
	let input = TensorSet::decode_canonical(&plaintext).unwrap();
	assert_eq!(hex(&input.hash()), file["plaintext_hash"]);
}

fn context() -> KeyContext {
	KeyContext { job: 3, model: [1; 32], recipient: [2; 32], key_epoch: 4, role: KeyRole::Provider }
}

#[test]
fn an_envelope_opens_only_for_its_recipient_and_context() {
	let secret = StaticSecret::from([9; 32]);
	let content_key = new_content_key().unwrap();
	let envelope = wrap_key(&public_key(&secret), &content_key, &context()).unwrap();
	assert_eq!(unwrap_key(&secret, &envelope, &context()).unwrap(), content_key);
	// Fresh randomness each time: the same key sealed twice looks different.
	assert_ne!(wrap_key(&public_key(&secret), &content_key, &context()).unwrap(), envelope);

	let other = StaticSecret::from([8; 32]);
	assert_eq!(unwrap_key(&other, &envelope, &context()), Err(SealError::Unauthentic));
	let changes: [fn(&mut KeyContext); 5] = [
		|c| c.job += 1,
		|c| c.model[0] ^= 1,
		|c| c.recipient[0] ^= 1,
		|c| c.key_epoch += 1,
		|c| c.role = KeyRole::Referee,
	];
	for change in changes {
		let mut replayed = context();
		change(&mut replayed);
		assert_eq!(unwrap_key(&secret, &envelope, &replayed), Err(SealError::Unauthentic));
	}
	let mut tampered = envelope.clone();
	tampered.sealed_key[0] ^= 1;
	assert_eq!(unwrap_key(&secret, &tampered, &context()), Err(SealError::Unauthentic));
	let mut tampered = envelope;
	tampered.nonce[0] ^= 1;
	assert_eq!(unwrap_key(&secret, &tampered, &context()), Err(SealError::Unauthentic));
}

#[test]
fn small_order_keys_are_refused() {
	let content_key = [5; 32];
	let secret = StaticSecret::from([9; 32]);
	let envelope = wrap_key(&public_key(&secret), &content_key, &context()).unwrap();
	for key in SMALL_ORDER_KEYS {
		for top in [0, 0x80] {
			let mut point = key;
			point[31] |= top;
			assert!(!is_valid_public_key(&point));
			// The list is what X25519 itself calls non-contributory.
			let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(point));
			assert!(!shared.was_contributory());
			assert_eq!(wrap_key(&point, &content_key, &context()), Err(SealError::SmallOrderKey));
			let forged = KeyEnvelope { ephemeral: point, ..envelope.clone() };
			assert_eq!(unwrap_key(&secret, &forged, &context()), Err(SealError::SmallOrderKey));
		}
	}
	assert!(is_valid_public_key(&public_key(&secret)));
}

#[test]
fn a_blob_opens_only_with_its_key_and_context() {
	let key = new_content_key().unwrap();
	let plaintext = vec![7u8; 1000];
	let context = BlobContext { kind: BlobKind::Input, model: [1; 32], plaintext_hash: [2; 32] };
	let blob = seal_blob(&key, &plaintext, &context).unwrap();
	assert_eq!(blob.len(), plaintext.len() + BLOB_OVERHEAD);
	assert_eq!(open_blob(&key, &blob, &context).unwrap(), plaintext);

	assert_eq!(open_blob(&[0; 32], &blob, &context), Err(SealError::Unauthentic));
	for other in [
		BlobContext { kind: BlobKind::Output, ..context.clone() },
		BlobContext { model: [3; 32], ..context.clone() },
		BlobContext { plaintext_hash: [3; 32], ..context.clone() },
	] {
		assert_eq!(open_blob(&key, &blob, &other), Err(SealError::Unauthentic));
	}
	for at in [4, 20, blob.len() - 1] {
		let mut tampered = blob.clone();
		tampered[at] ^= 1;
		assert_eq!(open_blob(&key, &tampered, &context), Err(SealError::Unauthentic));
	}
	let mut other_magic = blob.clone();
	other_magic[0] = b'X';
	assert_eq!(open_blob(&key, &other_magic, &context), Err(SealError::MalformedBlob));
	assert_eq!(
		open_blob(&key, &blob[..BLOB_OVERHEAD - 1], &context),
		Err(SealError::MalformedBlob)
	);
	assert_eq!(open_blob(&key, &blob[..blob.len() - 1], &context), Err(SealError::Unauthentic));
}

#[test]
fn the_keystore_conversion_gives_the_ed25519_key_in_montgomery_form() {
	// The Ed25519 public key of seed 0..31, in Montgomery form (the birational map), is the
	// X25519 public key of the converted secret: the vector's recipient key.
	let file = file_vector();
	let secret = secret_from_ed25519_seed(&array(&file["recipient_ed25519_seed"]));
	let signing = ed25519_dalek::SigningKey::from_bytes(&array(&file["recipient_ed25519_seed"]));
	let montgomery = signing.verifying_key().to_montgomery().to_bytes();
	assert_eq!(public_key(&secret), montgomery);
	assert_eq!(hex(&montgomery), file["recipient_x25519_public"]);
}
