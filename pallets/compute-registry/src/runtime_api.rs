//! The `ComputeRegistryApi` runtime API: providers for wallets, dashboards and schedulers.

use crate::{ExecutionProvider, Page, ProviderView};
use codec::Codec;

/// The most accounts one page of [`ComputeRegistryApi::live_providers`] returns.
pub const MAX_PAGE_SIZE: u32 = 100;

sp_api::decl_runtime_apis! {
	/// Queries of the compute registry.
	pub trait ComputeRegistryApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// The provider registered by `who`, with its liveness, free slots and score.
		fn provider(who: AccountId) -> Option<ProviderView<Balance, BlockNumber>>;

		/// Live providers offering `execution_provider`, from position `start` of its index,
		/// at most `limit` (capped at 100) per page; `next` is where the next page starts.
		fn live_providers(execution_provider: ExecutionProvider, start: u32, limit: u32) -> Page<AccountId>;
	}
}
