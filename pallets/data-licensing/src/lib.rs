//! # Data licensing
//!
//! Datasets are registered by the SHA-256 of their content (and optionally an IPFS CIDv1) with
//! one or more license offers ([`LicenseTerms`]): price, duration, allowed uses, royalty,
//! transferability, revocability, a cap on licensees and an SPDX identifier. Buyers pay the owner
//! on-chain and get a [`License`] that snapshots the terms. The chain itself answers whether a
//! license is valid for a use at a block ([`LicenseInspect::is_valid`]): expiry and revocation are
//! enforced when asked, not by a cron.
//!
//! Storage is paid for: a dataset holds [`Config::DatasetDeposit`] from its owner until it is
//! removed, a license holds [`Config::LicenseDeposit`] from whoever created it until it is cleared
//! after expiry or revocation.
//!
//! Content cannot be front-run: a dataset (or, through [`ContentCommitments`], a model) is
//! registered only with its registrant's commitment ([`registration_commitment`]) made in an
//! earlier block, so a registration seen in the transaction pool comes too late to copy.
//! Governance ([`Config::ReassignOrigin`]) gives a squatted dataset to its rightful owner.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use traits::{ContentCommitments, DatasetInspect, LicenseInspect};
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod cid;
mod functions;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod traits;
pub mod types;
pub mod weights;

/// Balance type of the currency used for prices and deposits.
pub type BalanceOf<T> = <<T as Config>::Currency as frame_support::traits::fungible::Inspect<
	<T as frame_system::Config>::AccountId,
>>::Balance;

/// License terms of a runtime.
pub type LicenseTermsOf<T> =
	LicenseTerms<BalanceOf<T>, frame_system::pallet_prelude::BlockNumberFor<T>>;

/// A dataset record of a runtime.
pub type DatasetOf<T> = Dataset<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	frame_system::pallet_prelude::BlockNumberFor<T>,
>;

/// A license record of a runtime.
pub type LicenseOf<T> = License<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	frame_system::pallet_prelude::BlockNumberFor<T>,
>;

/// The offers of a dataset, with their licensee counts.
pub type DatasetOffersOf<T> = frame_support::BoundedVec<
	Offer<BalanceOf<T>, frame_system::pallet_prelude::BlockNumberFor<T>>,
	MaxOffers,
>;

/// A registration commitment of a runtime.
pub type RegistrationCommitmentOf<T> =
	RegistrationCommitment<BalanceOf<T>, frame_system::pallet_prelude::BlockNumberFor<T>>;

/// A dataset registered at genesis: owner, content hash, name, size in bytes, offers.
pub type GenesisDatasetOf<T> = (
	<T as frame_system::Config>::AccountId,
	ContentHash,
	frame_support::BoundedVec<u8, MaxNameLength>,
	u64,
	OffersOf<T>,
);

/// The offers a registration or update lists.
pub type OffersOf<T> = frame_support::BoundedVec<LicenseTermsOf<T>, MaxOffers>;

/// Data licensing: datasets by content hash with license offers, purchases, grants, transfers,
/// revocation and retirement, and on-chain validity of licenses for each use at each block.
#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Inspect, InspectHold, Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of data licensing.
	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency prices are paid and deposits held in.
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reason, of which [`HoldReason`] is a part.
		type RuntimeHoldReason: From<HoldReason>;

		/// Deposit held from a dataset's owner until the dataset is removed.
		#[pallet::constant]
		type DatasetDeposit: Get<BalanceOf<Self>>;

		/// Deposit held from a license's creator until the license is cleared.
		#[pallet::constant]
		type LicenseDeposit: Get<BalanceOf<Self>>;

		/// Deposit held for a registration commitment until it is used or cancelled.
		#[pallet::constant]
		type RegistrationCommitmentDeposit: Get<BalanceOf<Self>>;

		/// The origin that reassigns a dataset shown to be squatted (governance).
		type ReassignOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Storage deposit of a dataset.
		#[codec(index = 0)]
		DatasetDeposit,
		/// Storage deposit of a license.
		#[codec(index = 1)]
		LicenseDeposit,
		/// Storage deposit of a registration commitment.
		#[codec(index = 2)]
		RegistrationCommitment,
	}

	/// The next dataset id.
	#[pallet::storage]
	pub type NextDatasetId<T: Config> = StorageValue<_, DatasetId, ValueQuery>;

	/// The next license id.
	#[pallet::storage]
	pub type NextLicenseId<T: Config> = StorageValue<_, LicenseId, ValueQuery>;

	/// Datasets by id.
	#[pallet::storage]
	pub type Datasets<T: Config> =
		StorageMap<_, Twox64Concat, DatasetId, DatasetOf<T>, OptionQuery>;

	/// Dataset ids by content hash (each content registered once).
	#[pallet::storage]
	pub type DatasetByHash<T: Config> =
		StorageMap<_, Identity, ContentHash, DatasetId, OptionQuery>;

	/// Licenses by id.
	#[pallet::storage]
	pub type Licenses<T: Config> =
		StorageMap<_, Twox64Concat, LicenseId, LicenseOf<T>, OptionQuery>;

	/// The licenses each account holds.
	#[pallet::storage]
	pub type LicensesByHolder<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		LicenseId,
		(),
		OptionQuery,
	>;

	/// Registration commitments of datasets and models, by registrant and digest
	/// ([`registration_commitment`]).
	#[pallet::storage]
	pub type RegistrationCommitments<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Identity,
		CommitmentDigest,
		RegistrationCommitmentOf<T>,
		OptionQuery,
	>;

	/// Events of data licensing.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A dataset was registered.
		DatasetRegistered {
			/// Its id.
			dataset: DatasetId,
			/// Its owner.
			owner: T::AccountId,
			/// SHA-256 of its content.
			content_hash: ContentHash,
		},
		/// A dataset's offers were replaced (licenses already created keep their terms).
		OffersUpdated {
			/// The dataset.
			dataset: DatasetId,
		},
		/// A license was bought.
		LicensePurchased {
			/// The new license.
			license: LicenseId,
			/// The dataset.
			dataset: DatasetId,
			/// The offer bought.
			offer: u32,
			/// The buyer and holder.
			holder: T::AccountId,
			/// The price paid to the owner.
			price: BalanceOf<T>,
		},
		/// The owner granted a license for free.
		LicenseGranted {
			/// The new license.
			license: LicenseId,
			/// The dataset.
			dataset: DatasetId,
			/// The offer whose terms it carries.
			offer: u32,
			/// The holder.
			holder: T::AccountId,
		},
		/// A license changed hands.
		LicenseTransferred {
			/// The license.
			license: LicenseId,
			/// The previous holder.
			from: T::AccountId,
			/// The new holder.
			to: T::AccountId,
		},
		/// The owner revoked a license for cause.
		LicenseRevoked {
			/// The license.
			license: LicenseId,
			/// The reason given (UTF-8).
			reason: BoundedVec<u8, MaxReasonLength>,
		},
		/// An expired or revoked license was removed and its deposit returned.
		LicenseCleared {
			/// The license.
			license: LicenseId,
		},
		/// A dataset stopped selling licenses.
		DatasetRetired {
			/// The dataset.
			dataset: DatasetId,
		},
		/// A retired dataset without licenses was removed and its deposit returned.
		DatasetRemoved {
			/// The dataset.
			dataset: DatasetId,
		},
		/// A registrant committed to registering content it names later.
		RegistrationCommitted {
			/// The registrant.
			who: T::AccountId,
			/// The digest ([`registration_commitment`]).
			digest: CommitmentDigest,
		},
		/// A registration commitment was cancelled and its deposit returned.
		RegistrationCommitmentCancelled {
			/// The registrant.
			who: T::AccountId,
			/// The digest.
			digest: CommitmentDigest,
		},
		/// Governance gave a squatted dataset to its rightful owner; the squatter's deposit was
		/// burned.
		DatasetReassigned {
			/// The dataset.
			dataset: DatasetId,
			/// The owner before.
			from: T::AccountId,
			/// The owner now, who holds the deposit.
			to: T::AccountId,
			/// The deposit burned from `from`.
			forfeited: BalanceOf<T>,
		},
	}

	/// Errors of data licensing.
	#[pallet::error]
	pub enum Error<T> {
		/// A dataset with this content hash is registered already.
		DuplicateContentHash,
		/// No such dataset.
		UnknownDataset,
		/// No such license.
		UnknownLicense,
		/// No such offer on this dataset.
		UnknownOffer,
		/// The caller does not own the dataset.
		NotOwner,
		/// The caller does not hold the license.
		NotHolder,
		/// A dataset needs at least one offer.
		NoOffers,
		/// An offer allows no use.
		NoAllowedUse,
		/// A royalty above 10 000 basis points.
		RoyaltyTooHigh,
		/// A duration of zero blocks.
		ZeroDuration,
		/// An SPDX identifier that is empty or not ASCII.
		InvalidSpdx,
		/// A name that is empty or not UTF-8.
		InvalidName,
		/// A revocation reason that is not UTF-8.
		InvalidReason,
		/// The CID is not a binary CIDv1 with a known multihash and a digest of the right length.
		InvalidCid,
		/// `supersedes` names a dataset of another owner, or an unknown one.
		InvalidSupersedes,
		/// The dataset is retired: it sells no new licenses.
		DatasetRetired,
		/// The dataset is not retired.
		DatasetNotRetired,
		/// The dataset still has licenses in storage; clear them first.
		DatasetHasLicenses,
		/// The offer's licensee cap is reached.
		SoldOut,
		/// The price is above the buyer's `max_price`.
		PriceAboveLimit,
		/// The buyer cannot pay the price (keeping its account alive).
		CannotPay,
		/// The account cannot hold the deposit.
		CannotHoldDeposit,
		/// The terms do not allow transfers.
		NotTransferable,
		/// The terms do not allow revocation.
		NotRevocable,
		/// The license is revoked already.
		AlreadyRevoked,
		/// The license is revoked or expired: it cannot be transferred.
		LicenseNotValid,
		/// The license is still valid: it cannot be cleared.
		LicenseStillValid,
		/// A license cannot be transferred to its holder.
		SelfTransfer,
		/// The id counter is exhausted.
		IdsExhausted,
		/// The caller made no commitment to registering this content
		/// (`commit_registration` first).
		NotCommitted,
		/// The caller's commitment to this content was made in this block: register in a later
		/// one.
		CommitmentTooRecent,
		/// The caller has made this commitment already.
		AlreadyCommitted,
		/// The caller has no such commitment.
		UnknownCommitment,
		/// The dataset is owned by that account already.
		AlreadyOwner,
	}

	/// Datasets and licenses registered at genesis (a development chain's demo data).
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// `(owner, content hash, name, size in bytes, offers)` of each dataset, registered in
		/// order (ids from 0); each owner must be able to hold the dataset deposit.
		pub datasets: alloc::vec::Vec<GenesisDatasetOf<T>>,
		/// `(dataset, offer, holder)` of each license the dataset's owner grants at genesis,
		/// numbered in order (ids from 0).
		pub licenses: alloc::vec::Vec<(DatasetId, u32, T::AccountId)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			// A genesis that cannot be built must not start a chain: failures panic, by name.
			for (owner, content_hash, name, size_bytes, offers) in &self.datasets {
				if let Err(error) = Pallet::<T>::do_register_dataset(
					owner.clone(),
					*content_hash,
					None,
					name.clone(),
					*size_bytes,
					None,
					offers.clone(),
				) {
					panic!("data licensing genesis: dataset {content_hash:?}: {error:?}");
				}
			}
			for (dataset, offer, holder) in &self.licenses {
				let owner = Datasets::<T>::get(dataset).map(|d| d.owner);
				let granted = owner.ok_or(Error::<T>::UnknownDataset.into()).and_then(|owner| {
					Pallet::<T>::do_grant_license(owner, *dataset, *offer, holder.clone())
				});
				if let Err(error) = granted {
					panic!("data licensing genesis: license of dataset {dataset}: {error:?}");
				}
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Register a dataset with its license offers, holding `DatasetDeposit`.
		///
		/// Origin must be signed; the caller becomes the owner. The caller must have committed
		/// to registering the content (`commit_registration`) in an earlier block; the
		/// commitment is used and its deposit returned.
		///
		/// - `content_hash`: SHA-256 of the content; not registered before.
		/// - `cid`: optional binary IPFS CIDv1 of the content.
		/// - `name`: UTF-8, not empty.
		/// - `size_bytes`: size of the content.
		/// - `supersedes`: an earlier dataset of the caller this one replaces.
		/// - `offers`: at least one, each valid (see [`Error`]).
		///
		/// Emits `DatasetRegistered`.
		///
		/// Weight: O(1), worst case with `MaxOffers` offers and the longest CID.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_dataset())]
		pub fn register_dataset(
			origin: OriginFor<T>,
			content_hash: ContentHash,
			cid: Option<Cid>,
			name: BoundedVec<u8, MaxNameLength>,
			size_bytes: u64,
			supersedes: Option<DatasetId>,
			offers: OffersOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register_dataset(
				who.clone(),
				content_hash,
				cid,
				name,
				size_bytes,
				supersedes,
				offers,
			)?;
			Self::take_commitment(RegistrationKind::Dataset, &who, &content_hash).map_err(
				|problem| match problem {
					CommitmentProblem::Missing => Error::<T>::NotCommitted,
					CommitmentProblem::TooRecent => Error::<T>::CommitmentTooRecent,
				},
			)?;
			Ok(())
		}

		/// Replace a dataset's offers. Licenses already created keep their terms; the licensee
		/// counts of offers at the same index carry over.
		///
		/// Origin must be signed by the owner of a dataset that is not retired.
		///
		/// Emits `OffersUpdated`.
		///
		/// Weight: O(1), worst case with `MaxOffers` offers.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update_offers())]
		pub fn update_offers(
			origin: OriginFor<T>,
			dataset: DatasetId,
			offers: OffersOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_offers(&who, dataset, offers)
		}

		/// Buy a license under offer `offer` of `dataset`: the price goes to the owner (the
		/// buyer's account is kept alive) and `LicenseDeposit` is held from the buyer.
		///
		/// Origin must be signed.
		///
		/// - `max_price`: the most the buyer pays; protects against an offer changed meanwhile.
		///
		/// Emits `LicensePurchased`.
		///
		/// Weight: O(1).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::purchase_license())]
		pub fn purchase_license(
			origin: OriginFor<T>,
			dataset: DatasetId,
			offer: u32,
			max_price: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_purchase_license(who, dataset, offer, max_price).map(|_| ())
		}

		/// Grant a license under offer `offer` of `dataset` to `to`, for free; the owner pays
		/// the `LicenseDeposit`.
		///
		/// Origin must be signed by the owner of a dataset that is not retired.
		///
		/// Emits `LicenseGranted`.
		///
		/// Weight: O(1).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::grant_license())]
		pub fn grant_license(
			origin: OriginFor<T>,
			dataset: DatasetId,
			offer: u32,
			to: T::AccountId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_grant_license(who, dataset, offer, to).map(|_| ())
		}

		/// Transfer a valid, transferable license to `to`.
		///
		/// Origin must be signed by the holder.
		///
		/// Emits `LicenseTransferred`.
		///
		/// Weight: O(1).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::transfer_license())]
		pub fn transfer_license(
			origin: OriginFor<T>,
			license: LicenseId,
			to: T::AccountId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_transfer_license(&who, license, to)
		}

		/// Revoke a license for cause, where its terms allow it; it is invalid from this block.
		///
		/// Origin must be signed by the dataset's owner.
		///
		/// - `reason`: UTF-8, recorded on the license and in the event.
		///
		/// Emits `LicenseRevoked`.
		///
		/// Weight: O(1).
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::revoke_license())]
		pub fn revoke_license(
			origin: OriginFor<T>,
			license: LicenseId,
			reason: BoundedVec<u8, MaxReasonLength>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_revoke_license(&who, license, reason)
		}

		/// Retire a dataset: no new licenses; existing ones run to their expiry.
		///
		/// Origin must be signed by the owner.
		///
		/// Emits `DatasetRetired`.
		///
		/// Weight: O(1).
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::retire_dataset())]
		pub fn retire_dataset(origin: OriginFor<T>, dataset: DatasetId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_retire_dataset(&who, dataset)
		}

		/// Remove a retired dataset whose licenses are all cleared, releasing its deposit.
		///
		/// Origin must be signed by the owner.
		///
		/// Emits `DatasetRemoved`.
		///
		/// Weight: O(1).
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::remove_dataset())]
		pub fn remove_dataset(origin: OriginFor<T>, dataset: DatasetId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_remove_dataset(&who, dataset)
		}

		/// Remove an expired or revoked license, releasing its deposit to whoever paid it.
		///
		/// Origin must be signed (by anyone).
		///
		/// Emits `LicenseCleared`.
		///
		/// Weight: O(1).
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::clear_license())]
		pub fn clear_license(origin: OriginFor<T>, license: LicenseId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_clear_license(license)
		}

		/// Commit to registering a dataset or a model, naming it only by `digest`
		/// ([`registration_commitment`] of the kind, the caller and the content hash), holding
		/// `RegistrationCommitmentDeposit` until the registration uses it or it is cancelled.
		/// A registration must use a commitment of its registrant made in an earlier block, so
		/// whoever sees a registration in the transaction pool is too late to commit to it:
		/// content cannot be front-run.
		///
		/// Origin must be signed.
		///
		/// Emits `RegistrationCommitted`.
		///
		/// Weight: O(1).
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::commit_registration())]
		pub fn commit_registration(
			origin: OriginFor<T>,
			digest: CommitmentDigest,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_commit_registration(&who, digest)
		}

		/// Cancel a registration commitment, releasing its deposit.
		///
		/// Origin must be signed by the registrant.
		///
		/// Emits `RegistrationCommitmentCancelled`.
		///
		/// Weight: O(1).
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::cancel_registration_commitment())]
		pub fn cancel_registration_commitment(
			origin: OriginFor<T>,
			digest: CommitmentDigest,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_cancel_registration_commitment(&who, digest)
		}

		/// Give a dataset shown to be squatted (registered by someone who does not own the
		/// content) to `new_owner`: the squatter's deposit is burned, `new_owner`'s held, and
		/// license payments and royalties go to `new_owner` from now on. Licenses keep their
		/// terms and holders.
		///
		/// Origin must be `ReassignOrigin` (governance).
		///
		/// Emits `DatasetReassigned`.
		///
		/// Weight: O(1).
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::reassign_dataset())]
		pub fn reassign_dataset(
			origin: OriginFor<T>,
			dataset: DatasetId,
			new_owner: T::AccountId,
		) -> DispatchResult {
			T::ReassignOrigin::ensure_origin(origin)?;
			Self::do_reassign_dataset(dataset, new_owner)
		}
	}
}
