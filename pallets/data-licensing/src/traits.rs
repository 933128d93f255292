//! How other pallets use data licensing.

use super::*;
use frame_system::pallet_prelude::BlockNumberFor;

/// Validity of licenses, for pallets that gate work on licensed data.
pub trait LicenseInspect<AccountId, BlockNumber> {
	/// Whether `license` is held by `holder`, allows `use_`, has started, is not expired and not
	/// revoked at block `at`.
	fn is_valid(license: LicenseId, holder: &AccountId, use_: LicenseUse, at: BlockNumber) -> bool;

	/// The status of `license` at block `at`.
	fn status(license: LicenseId, at: BlockNumber) -> LicenseStatus;

	/// The dataset `license` is for.
	fn dataset_of(license: LicenseId) -> Option<DatasetId>;

	/// Who holds `license`.
	fn holder(license: LicenseId) -> Option<AccountId>;

	/// The uses `license` allows (from the terms it was created under).
	fn allowed_uses(license: LicenseId) -> Option<AllowedUses>;
}

/// Facts about datasets and the royalty terms of licenses.
pub trait DatasetInspect<AccountId> {
	/// The owner of `dataset`.
	fn owner(dataset: DatasetId) -> Option<AccountId>;

	/// The content hash of `dataset`.
	fn content_hash(dataset: DatasetId) -> Option<ContentHash>;

	/// The royalty of `license`, in basis points, and who receives it (the dataset's owner).
	fn royalty(license: LicenseId) -> Option<(AccountId, u16)>;
}

impl<T: Config> LicenseInspect<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
	fn is_valid(
		license: LicenseId,
		holder: &T::AccountId,
		use_: LicenseUse,
		at: BlockNumberFor<T>,
	) -> bool {
		Licenses::<T>::get(license).is_some_and(|record| {
			record.holder == *holder
				&& record.terms.allowed_uses.allows(use_)
				&& matches!(Self::status_of(&record, at), LicenseStatus::Valid { .. })
		})
	}

	fn status(license: LicenseId, at: BlockNumberFor<T>) -> LicenseStatus {
		Self::license_status(license, at)
	}

	fn dataset_of(license: LicenseId) -> Option<DatasetId> {
		Licenses::<T>::get(license).map(|l| l.dataset)
	}

	fn holder(license: LicenseId) -> Option<T::AccountId> {
		Licenses::<T>::get(license).map(|l| l.holder)
	}

	fn allowed_uses(license: LicenseId) -> Option<AllowedUses> {
		Licenses::<T>::get(license).map(|l| l.terms.allowed_uses)
	}
}

impl<T: Config> DatasetInspect<T::AccountId> for Pallet<T> {
	fn owner(dataset: DatasetId) -> Option<T::AccountId> {
		Datasets::<T>::get(dataset).map(|d| d.owner)
	}

	fn content_hash(dataset: DatasetId) -> Option<ContentHash> {
		Datasets::<T>::get(dataset).map(|d| d.content_hash)
	}

	fn royalty(license: LicenseId) -> Option<(T::AccountId, u16)> {
		let record = Licenses::<T>::get(license)?;
		let owner = Datasets::<T>::get(record.dataset)?.owner;
		Some((owner, record.terms.royalty_bps))
	}
}

/// Registration commitments, for pallets that register content by hash (models): a
/// registration must use its registrant's commitment to the content, made in an earlier block.
pub trait ContentCommitments<AccountId> {
	/// Uses `registrant`'s commitment to register `content_hash` as `kind`: removes it and
	/// releases its deposit.
	///
	/// # Errors
	/// [`CommitmentProblem::Missing`] and [`CommitmentProblem::TooRecent`].
	fn take(
		kind: RegistrationKind,
		registrant: &AccountId,
		content_hash: &[u8; 32],
	) -> Result<(), CommitmentProblem>;

	/// Commits `registrant` to registering `content_hash` as `kind`, as the signed call does
	/// (for other pallets' benchmarks, which then move to a later block).
	#[cfg(feature = "runtime-benchmarks")]
	fn commit(
		kind: RegistrationKind,
		registrant: &AccountId,
		content_hash: &[u8; 32],
	) -> frame_support::dispatch::DispatchResult;
}

impl<T: Config> ContentCommitments<T::AccountId> for Pallet<T> {
	fn take(
		kind: RegistrationKind,
		registrant: &T::AccountId,
		content_hash: &[u8; 32],
	) -> Result<(), CommitmentProblem> {
		Self::take_commitment(kind, registrant, content_hash)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn commit(
		kind: RegistrationKind,
		registrant: &T::AccountId,
		content_hash: &[u8; 32],
	) -> frame_support::dispatch::DispatchResult {
		let digest = registration_commitment(kind, registrant, content_hash);
		Self::do_commit_registration(registrant, digest)
	}
}
