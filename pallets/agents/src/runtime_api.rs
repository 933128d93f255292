//! The `AgentsApi` runtime API: an owner's agents with their policies and spending.

use codec::Codec;

sp_api::decl_runtime_apis! {
	/// Queries of the agents pallet.
	pub trait AgentsApi<AccountId, Agent>
	where
		AccountId: Codec,
		Agent: Codec,
	{
		/// The agents of `owner` (at most `MaxAgentsPerOwner`), each with its owner, policy,
		/// deposit, pause state, spending and unsettled jobs.
		fn agents_of(owner: AccountId) -> alloc::vec::Vec<(AccountId, Agent)>;
	}
}
