//! How other pallets use the compute registry.

use super::*;
use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{traits::Saturating, DispatchError, DispatchResult};

/// Read access to providers.
pub trait ProviderInspect<AccountId> {
	/// Balance type of prices.
	type Balance;

	/// Whether `who` is registered (in any status).
	fn is_registered(who: &AccountId) -> bool;

	/// Whether `who` is live: active, bonded at least the minimum, heartbeat recent.
	fn is_live(who: &AccountId) -> bool;

	/// The profile of `who`.
	fn profile(who: &AccountId) -> Option<ProviderProfile<Self::Balance>>;

	/// The price of one job at `who`.
	fn price_per_job(who: &AccountId) -> Option<Self::Balance>;

	/// Free job slots of `who` (zero when not registered).
	fn capacity_left(who: &AccountId) -> u32;

	/// Whether `who` can take a job now on `ep` needing `memory_mib` of memory: live, offers
	/// `ep`, enough GPU memory (RAM for the CPU provider) and a free job slot.
	fn is_eligible(who: &AccountId, ep: ExecutionProvider, memory_mib: u32) -> bool;

	/// The providers offering `ep`, in registration order, live or not (at most `MaxProviders`).
	fn providers_offering(ep: ExecutionProvider) -> alloc::vec::Vec<AccountId>;

	/// Whether `who` is registered and half its heartbeat interval or more has passed since its
	/// last heartbeat: when a provider node should send the next one.
	fn heartbeat_due(who: &AccountId) -> bool;
}

/// Job slots and reputation, for the pallet that runs jobs.
pub trait ProviderJobs<AccountId> {
	/// Takes one job slot of a live provider.
	fn reserve_job_slot(who: &AccountId) -> DispatchResult;

	/// Gives back one job slot.
	fn release_job_slot(who: &AccountId) -> DispatchResult;

	/// Records the outcome of a job in the provider's reputation.
	fn record_outcome(who: &AccountId, outcome: JobOutcome) -> DispatchResult;

	/// Records a heartbeat of `who` now, as the `heartbeat` call does.
	fn heartbeat(who: &AccountId) -> DispatchResult;
}

/// Providers' encryption keys, for sealed jobs.
pub trait ProviderKeys<AccountId> {
	/// The current X25519 encryption key of `who` and its epoch, if it published one.
	fn encryption_key(who: &AccountId) -> Option<(EncryptionPublicKey, u32)>;

	/// Publishes `key` as the encryption key of provider `who` (as the `set_encryption_key`
	/// call does); returns its epoch.
	fn set_encryption_key(who: &AccountId, key: EncryptionPublicKey) -> Result<u32, DispatchError>;
}

/// Slashing of bonds.
pub trait ProviderSlash<AccountId, Balance> {
	/// Takes up to `amount` of the bond of `who`, paid to `beneficiary` or burned when `None`;
	/// returns the amount taken and emits `Slashed`.
	fn slash(
		who: &AccountId,
		amount: Balance,
		beneficiary: Option<&AccountId>,
		reason: SlashReason,
	) -> Result<Balance, DispatchError>;
}

impl<T: Config> ProviderInspect<T::AccountId> for Pallet<T> {
	type Balance = BalanceOf<T>;

	fn is_registered(who: &T::AccountId) -> bool {
		Providers::<T>::contains_key(who)
	}

	fn is_live(who: &T::AccountId) -> bool {
		let now = frame_system::Pallet::<T>::block_number();
		Providers::<T>::get(who).is_some_and(|info| Self::info_is_live(&info, now))
	}

	fn profile(who: &T::AccountId) -> Option<ProviderProfileOf<T>> {
		Providers::<T>::get(who).map(|info| info.profile)
	}

	fn price_per_job(who: &T::AccountId) -> Option<BalanceOf<T>> {
		Providers::<T>::get(who).map(|info| info.profile.price_per_job)
	}

	fn capacity_left(who: &T::AccountId) -> u32 {
		Providers::<T>::get(who).map_or(0, |info| Self::info_capacity_left(&info))
	}

	fn is_eligible(who: &T::AccountId, ep: ExecutionProvider, memory_mib: u32) -> bool {
		let now: BlockNumberFor<T> = frame_system::Pallet::<T>::block_number();
		Providers::<T>::get(who).is_some_and(|info| {
			Self::info_is_live(&info, now)
				&& info.profile.offers(ep)
				&& info.profile.memory_for(ep) >= memory_mib
				&& Self::info_capacity_left(&info) > 0
		})
	}

	fn providers_offering(ep: ExecutionProvider) -> alloc::vec::Vec<T::AccountId> {
		ProvidersByExecutionProvider::<T>::get(ep).into_inner()
	}

	fn heartbeat_due(who: &T::AccountId) -> bool {
		let now: BlockNumberFor<T> = frame_system::Pallet::<T>::block_number();
		let half = T::HeartbeatInterval::get() / 2u32.into();
		Providers::<T>::get(who).is_some_and(|info| now.saturating_sub(info.last_heartbeat) >= half)
	}
}

impl<T: Config> ProviderJobs<T::AccountId> for Pallet<T> {
	fn reserve_job_slot(who: &T::AccountId) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		Providers::<T>::try_mutate(who, |maybe| {
			let info = maybe.as_mut().ok_or(Error::<T>::NotRegistered)?;
			frame_support::ensure!(Self::info_is_live(info, now), Error::<T>::NotLive);
			frame_support::ensure!(Self::info_capacity_left(info) > 0, Error::<T>::NoCapacity);
			info.active_jobs = info.active_jobs.saturating_add(1);
			Ok(())
		})
	}

	fn release_job_slot(who: &T::AccountId) -> DispatchResult {
		Providers::<T>::try_mutate(who, |maybe| {
			let info = maybe.as_mut().ok_or(Error::<T>::NotRegistered)?;
			info.active_jobs = info.active_jobs.checked_sub(1).ok_or(Error::<T>::NoActiveJobs)?;
			Ok(())
		})
	}

	fn record_outcome(who: &T::AccountId, outcome: JobOutcome) -> DispatchResult {
		let score = Providers::<T>::try_mutate(who, |maybe| {
			let info = maybe.as_mut().ok_or(Error::<T>::NotRegistered)?;
			info.reputation.record(outcome);
			Ok::<_, DispatchError>(info.reputation.score())
		})?;
		Self::deposit_event(Event::ReputationUpdated { provider: who.clone(), outcome, score });
		Ok(())
	}

	fn heartbeat(who: &T::AccountId) -> DispatchResult {
		Self::do_heartbeat(who)
	}
}

impl<T: Config> ProviderKeys<T::AccountId> for Pallet<T> {
	fn encryption_key(who: &T::AccountId) -> Option<(EncryptionPublicKey, u32)> {
		EncryptionKeys::<T>::get(who).map(|record| (record.key, record.epoch))
	}

	fn set_encryption_key(
		who: &T::AccountId,
		key: EncryptionPublicKey,
	) -> Result<u32, DispatchError> {
		Self::do_set_encryption_key(who, key)
	}
}

impl<T: Config> ProviderSlash<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn slash(
		who: &T::AccountId,
		amount: BalanceOf<T>,
		beneficiary: Option<&T::AccountId>,
		reason: SlashReason,
	) -> Result<BalanceOf<T>, DispatchError> {
		Self::do_slash(who, amount, beneficiary, reason)
	}
}
