//! Data types of data licensing.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};

/// Identifier of a dataset (assigned in registration order).
pub type DatasetId = u64;

/// Identifier of a license (assigned in creation order).
pub type LicenseId = u64;

/// SHA-256 digest of a dataset's content: the digest people publish for data files.
pub type ContentHash = [u8; 32];

/// The longest CID accepted, in bytes.
pub type MaxCidLength = ConstU32<96>;

/// An IPFS CIDv1 in binary form: version, content codec, multihash.
pub type Cid = BoundedVec<u8, MaxCidLength>;

/// The longest dataset name, in bytes (UTF-8).
pub type MaxNameLength = ConstU32<128>;

/// The longest SPDX license identifier, in bytes.
pub type MaxSpdxLength = ConstU32<64>;

/// The most license offers one dataset has.
pub type MaxOffers = ConstU32<8>;

/// The longest revocation reason, in bytes (UTF-8).
pub type MaxReasonLength = ConstU32<128>;

/// A use of licensed data.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum LicenseUse {
	/// Training a model from scratch.
	Training,
	/// Fine-tuning an existing model.
	FineTuning,
	/// Evaluating a model.
	Evaluation,
	/// Serving inference with a model trained on the data, or on the data itself.
	Inference,
	/// Any of the above for commercial purposes.
	Commercial,
}

/// The set of uses a license allows.
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
pub struct AllowedUses {
	/// Training allowed.
	pub training: bool,
	/// Fine-tuning allowed.
	pub fine_tuning: bool,
	/// Evaluation allowed.
	pub evaluation: bool,
	/// Inference allowed.
	pub inference: bool,
	/// Commercial use allowed.
	pub commercial: bool,
}

impl AllowedUses {
	/// Whether `use_` is allowed.
	pub fn allows(&self, use_: LicenseUse) -> bool {
		match use_ {
			LicenseUse::Training => self.training,
			LicenseUse::FineTuning => self.fine_tuning,
			LicenseUse::Evaluation => self.evaluation,
			LicenseUse::Inference => self.inference,
			LicenseUse::Commercial => self.commercial,
		}
	}

	/// Whether no use at all is allowed.
	pub fn is_empty(&self) -> bool {
		!(self.training || self.fine_tuning || self.evaluation || self.inference || self.commercial)
	}
}

/// The terms of a license offer; a license keeps a snapshot of the terms it was created under.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
pub struct LicenseTerms<Balance, BlockNumber> {
	/// Price of one license, paid to the dataset's owner.
	pub price: Balance,
	/// Blocks a license lasts from its start; `None` for perpetual.
	pub duration: Option<BlockNumber>,
	/// What the data may be used for.
	pub allowed_uses: AllowedUses,
	/// Royalty on downstream inference revenue, in basis points (at most 10 000).
	pub royalty_bps: u16,
	/// Whether the holder may transfer the license.
	pub transferable: bool,
	/// Whether the owner may revoke the license for cause.
	pub revocable: bool,
	/// The most licenses sold or granted under this offer; `None` for no limit.
	pub max_licensees: Option<u32>,
	/// SPDX license identifier, e.g. `CC-BY-4.0` (ASCII).
	pub spdx: BoundedVec<u8, MaxSpdxLength>,
}

/// A license offer with how many licenses it has produced.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Offer<Balance, BlockNumber> {
	/// The terms offered.
	pub terms: LicenseTerms<Balance, BlockNumber>,
	/// Licenses created under this offer so far.
	pub licensees: u32,
}

/// A registered dataset.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Dataset<AccountId, Balance, BlockNumber> {
	/// The owner, who receives payments and may revoke, retire and update offers.
	pub owner: AccountId,
	/// SHA-256 of the content.
	pub content_hash: ContentHash,
	/// IPFS CIDv1 of the content, if published.
	pub cid: Option<Cid>,
	/// Human-readable name (UTF-8).
	pub name: BoundedVec<u8, MaxNameLength>,
	/// Size of the content in bytes.
	pub size_bytes: u64,
	/// The earlier version of this dataset (same owner) this one replaces.
	pub supersedes: Option<DatasetId>,
	/// The license offers, by index.
	pub offers: BoundedVec<Offer<Balance, BlockNumber>, MaxOffers>,
	/// Retired datasets sell no new licenses; existing ones run to expiry.
	pub retired: bool,
	/// Licenses of this dataset still in storage.
	pub live_licenses: u32,
	/// The deposit held from the owner, returned on removal.
	pub deposit: Balance,
	/// Block of registration.
	pub registered_at: BlockNumber,
}

/// A license: the right of `holder` to use a dataset as its terms allow, until expiry.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct License<AccountId, Balance, BlockNumber> {
	/// The licensed dataset.
	pub dataset: DatasetId,
	/// The offer it was created under.
	pub offer: u32,
	/// Who holds it.
	pub holder: AccountId,
	/// The terms at creation; later offer updates never change them.
	pub terms: LicenseTerms<Balance, BlockNumber>,
	/// First block of validity.
	pub start: BlockNumber,
	/// First block at which it is no longer valid; `None` for perpetual.
	pub expiry: Option<BlockNumber>,
	/// Block and reason of revocation, if revoked.
	pub revoked: Option<(BlockNumber, BoundedVec<u8, MaxReasonLength>)>,
	/// Who paid the storage deposit (returned to them when the license is cleared).
	pub depositor: AccountId,
	/// The storage deposit held.
	pub deposit: Balance,
}

/// The status of a license at a block.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub enum LicenseStatus {
	/// Valid; `dataset_retired` says whether its dataset sells no more licenses.
	Valid {
		/// The dataset is retired (the license still runs to expiry).
		dataset_retired: bool,
	},
	/// Not yet valid at that block.
	NotYetValid,
	/// Expired at or before that block.
	Expired,
	/// Revoked at or before that block.
	Revoked,
	/// No such license.
	Unknown,
}

/// The BLAKE2-256 digest a registrant commits to before registering content.
pub type CommitmentDigest = [u8; 32];

/// What a registration commitment registers.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum RegistrationKind {
	/// A dataset, by its content hash.
	#[codec(index = 0)]
	Dataset,
	/// A model, by the SHA-256 of its file.
	#[codec(index = 1)]
	Model,
}

/// The domain of registration commitments.
pub const REGISTRATION_COMMITMENT_DOMAIN: &[u8] = b"cairn/register/v1";

/// The digest `registrant` commits to before registering `content_hash` as `kind`: BLAKE2-256 of
/// the SCALE encoding of `("cairn/register/v1", kind, registrant, content_hash)`. It names the
/// registrant, so a copied commitment commits its copier to nothing it can register, and it
/// hides the hash from those who do not know it already.
pub fn registration_commitment<AccountId: Encode>(
	kind: RegistrationKind,
	registrant: &AccountId,
	content_hash: &[u8; 32],
) -> CommitmentDigest {
	use sp_runtime::traits::{BlakeTwo256, Hash};
	BlakeTwo256::hash(&(REGISTRATION_COMMITMENT_DOMAIN, kind, registrant, content_hash).encode()).0
}

/// A registration commitment: when it was made and the deposit held for it until it is used or
/// cancelled.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct RegistrationCommitment<Balance, BlockNumber> {
	/// The block it was made in.
	pub committed_at: BlockNumber,
	/// The deposit held from the registrant.
	pub deposit: Balance,
}

/// Why a registration is not admitted by its registrant's commitment.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CommitmentProblem {
	/// The registrant made no commitment to this content.
	Missing,
	/// The commitment was made in this block: it must be at least a block older than the
	/// registration, so that a registration seen in the pool cannot be committed to and
	/// registered ahead of it.
	TooRecent,
}
