//! The `DataLicensingApi` runtime API: datasets and licenses for wallets and researchers.

use crate::{ContentHash, Dataset, DatasetId, License, LicenseId, LicenseStatus};
use alloc::vec::Vec;
use codec::Codec;

/// The most license ids one page of [`DataLicensingApi::licenses_of`] returns.
pub const MAX_PAGE_SIZE: u32 = 100;

sp_api::decl_runtime_apis! {
	/// Queries of data licensing.
	pub trait DataLicensingApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// The dataset with id `dataset`.
		fn dataset(dataset: DatasetId) -> Option<Dataset<AccountId, Balance, BlockNumber>>;

		/// The id of the dataset whose content has SHA-256 `content_hash`.
		fn dataset_by_hash(content_hash: ContentHash) -> Option<DatasetId>;

		/// The license with id `license`.
		fn license(license: LicenseId) -> Option<License<AccountId, Balance, BlockNumber>>;

		/// Up to `limit` (capped at 100) license ids held by `holder`, after `start_after`.
		fn licenses_of(holder: AccountId, start_after: Option<LicenseId>, limit: u32) -> Vec<LicenseId>;

		/// The status of `license` at block `at`.
		fn license_status(license: LicenseId, at: BlockNumber) -> LicenseStatus;
	}
}
