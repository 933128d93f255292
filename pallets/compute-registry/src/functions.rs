//! The logic behind the calls and traits.

use super::*;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::{InspectHold, MutateHold},
		tokens::{Fortitude, Precision, Restriction},
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	traits::{CheckedAdd, Saturating, Zero},
	DispatchError, DispatchResult,
};

impl<T: Config> Pallet<T> {
	/// Validates and registers `who`, holding `bond`.
	///
	/// # Errors
	/// [`Error::AlreadyRegistered`], [`Error::BondTooLow`], [`Error::TooManyProviders`],
	/// [`Error::InsufficientBalance`] and the profile errors of [`Self::validate_profile`].
	pub(crate) fn do_register(
		who: &T::AccountId,
		profile: ProviderProfileOf<T>,
		bond: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!Providers::<T>::contains_key(who), Error::<T>::AlreadyRegistered);
		ensure!(bond >= T::MinBond::get(), Error::<T>::BondTooLow);
		ensure!(Providers::<T>::count() < T::MaxProviders::get(), Error::<T>::TooManyProviders);
		Self::validate_profile(&profile)?;

		T::Currency::hold(&HoldReason::ProviderBond.into(), who, bond)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		Self::index_insert(who, &profile.execution_providers)?;

		let now = frame_system::Pallet::<T>::block_number();
		Providers::<T>::insert(
			who,
			ProviderInfo {
				profile,
				bond,
				status: ProviderStatus::Active,
				registered_at: now,
				last_heartbeat: now,
				active_jobs: 0,
				reputation: Reputation::default(),
			},
		);
		Self::deposit_event(Event::Registered { provider: who.clone(), bond });
		Ok(())
	}

	/// Replaces the profile of `who` and re-indexes it.
	///
	/// # Errors
	/// [`Error::NotRegistered`], [`Error::Unbonding`], [`Error::CapacityBelowActiveJobs`] and
	/// the profile errors.
	pub(crate) fn do_update_profile(
		who: &T::AccountId,
		profile: ProviderProfileOf<T>,
	) -> DispatchResult {
		Providers::<T>::try_mutate(who, |maybe| {
			let info = maybe.as_mut().ok_or(Error::<T>::NotRegistered)?;
			ensure!(
				!matches!(info.status, ProviderStatus::Unbonding { .. }),
				Error::<T>::Unbonding
			);
			Self::validate_profile(&profile)?;
			ensure!(
				info.active_jobs <= u32::from(profile.max_concurrent_jobs),
				Error::<T>::CapacityBelowActiveJobs
			);
			let dropped: alloc::vec::Vec<_> = info
				.profile
				.execution_providers
				.iter()
				.filter(|ep| !profile.offers(**ep))
				.copied()
				.collect();
			Self::index_remove(who, &dropped);
			Self::index_insert(who, &profile.execution_providers)?;
			info.profile = profile;
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(Event::ProfileUpdated { provider: who.clone() });
		Ok(())
	}

	/// Adds `amount` to the bond of `who`.
	///
	/// # Errors
	/// [`Error::ZeroAmount`], [`Error::NotRegistered`], [`Error::Unbonding`],
	/// [`Error::InsufficientBalance`].
	pub(crate) fn do_bond_more(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let bond = Providers::<T>::try_mutate(who, |maybe| {
			let info = maybe.as_mut().ok_or(Error::<T>::NotRegistered)?;
			ensure!(
				!matches!(info.status, ProviderStatus::Unbonding { .. }),
				Error::<T>::Unbonding
			);
			let bond = info.bond.checked_add(&amount).ok_or(Error::<T>::InsufficientBalance)?;
			T::Currency::hold(&HoldReason::ProviderBond.into(), who, amount)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			info.bond = bond;
			Ok::<_, DispatchError>(bond)
		})?;
		Self::deposit_event(Event::BondIncreased { provider: who.clone(), amount, bond });
		Ok(())
	}

	/// Records a heartbeat of `who` at the current block.
	///
	/// # Errors
	/// [`Error::NotRegistered`], [`Error::Unbonding`].
	pub(crate) fn do_heartbeat(who: &T::AccountId) -> DispatchResult {
		Providers::<T>::try_mutate(who, |maybe| {
			let info = maybe.as_mut().ok_or(Error::<T>::NotRegistered)?;
			ensure!(
				!matches!(info.status, ProviderStatus::Unbonding { .. }),
				Error::<T>::Unbonding
			);
			info.last_heartbeat = frame_system::Pallet::<T>::block_number();
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(Event::HeartbeatReceived { provider: who.clone() });
		Ok(())
	}

	/// Pauses (`paused = true`) or resumes `who`.
	///
	/// # Errors
	/// [`Error::NotRegistered`], [`Error::NotActive`] (pause), [`Error::NotPaused`] (resume).
	pub(crate) fn do_set_paused(who: &T::AccountId, paused: bool) -> DispatchResult {
		Providers::<T>::try_mutate(who, |maybe| {
			let info = maybe.as_mut().ok_or(Error::<T>::NotRegistered)?;
			info.status = match (paused, info.status) {
				(true, ProviderStatus::Active) => ProviderStatus::Paused,
				(true, _) => return Err(Error::<T>::NotActive),
				(false, ProviderStatus::Paused) => ProviderStatus::Active,
				(false, _) => return Err(Error::<T>::NotPaused),
			};
			Ok(())
		})?;
		let provider = who.clone();
		Self::deposit_event(if paused {
			Event::Paused { provider }
		} else {
			Event::Resumed { provider }
		});
		Ok(())
	}

	/// Starts the unbonding period of `who`.
	///
	/// # Errors
	/// [`Error::NotRegistered`], [`Error::Unbonding`], [`Error::HasActiveJobs`].
	pub(crate) fn do_unbond(who: &T::AccountId) -> DispatchResult {
		let unlock_at = Providers::<T>::try_mutate(who, |maybe| {
			let info = maybe.as_mut().ok_or(Error::<T>::NotRegistered)?;
			ensure!(
				!matches!(info.status, ProviderStatus::Unbonding { .. }),
				Error::<T>::Unbonding
			);
			ensure!(info.active_jobs == 0, Error::<T>::HasActiveJobs);
			let unlock_at =
				frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get());
			info.status = ProviderStatus::Unbonding { unlock_at };
			Ok::<_, DispatchError>(unlock_at)
		})?;
		Self::deposit_event(Event::UnbondingStarted { provider: who.clone(), unlock_at });
		Ok(())
	}

	/// Releases the whole bond of `who` after its unbonding period and removes it.
	///
	/// # Errors
	/// [`Error::NotRegistered`], [`Error::NotUnbonding`], [`Error::UnbondingNotFinished`],
	/// [`Error::BondMismatch`].
	pub(crate) fn do_withdraw_unbonded(who: &T::AccountId) -> DispatchResult {
		let info = Providers::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
		let ProviderStatus::Unbonding { unlock_at } = info.status else {
			return Err(Error::<T>::NotUnbonding.into());
		};
		ensure!(
			frame_system::Pallet::<T>::block_number() >= unlock_at,
			Error::<T>::UnbondingNotFinished
		);
		let reason = HoldReason::ProviderBond.into();
		ensure!(T::Currency::balance_on_hold(&reason, who) == info.bond, Error::<T>::BondMismatch);
		// `MutateHold::release` returns the amount released (not the remainder).
		let released = T::Currency::release(&reason, who, info.bond, Precision::Exact)?;
		ensure!(released == info.bond, Error::<T>::BondMismatch);
		Self::index_remove(who, &info.profile.execution_providers);
		Providers::<T>::remove(who);
		EncryptionKeys::<T>::remove(who);
		Self::deposit_event(Event::Withdrawn { provider: who.clone(), amount: released });
		Ok(())
	}

	/// Publishes `key` as the encryption key of provider `who`, one epoch after its current one
	/// (the first is epoch 1). Returns the new epoch.
	///
	/// # Errors
	/// [`Error::InvalidEncryptionKey`], [`Error::NotRegistered`], [`Error::Unbonding`],
	/// [`Error::EncryptionKeyUnchanged`], [`Error::EncryptionKeyEpochsExhausted`].
	pub(crate) fn do_set_encryption_key(
		who: &T::AccountId,
		key: EncryptionPublicKey,
	) -> Result<u32, DispatchError> {
		ensure!(cairn_inference::seal::is_valid_public_key(&key), Error::<T>::InvalidEncryptionKey);
		let info = Providers::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
		ensure!(!matches!(info.status, ProviderStatus::Unbonding { .. }), Error::<T>::Unbonding);
		let current = EncryptionKeys::<T>::get(who);
		let epoch = match current {
			Some(current) => {
				ensure!(current.key != key, Error::<T>::EncryptionKeyUnchanged);
				current.epoch.checked_add(1).ok_or(Error::<T>::EncryptionKeyEpochsExhausted)?
			},
			None => 1,
		};
		let set_at = frame_system::Pallet::<T>::block_number();
		EncryptionKeys::<T>::insert(who, EncryptionKey { key, epoch, set_at });
		Self::deposit_event(Event::EncryptionKeySet { provider: who.clone(), key, epoch });
		Ok(epoch)
	}

	/// Takes up to `amount` from the bond of `who`: to `beneficiary`, or burned. Returns the
	/// amount taken.
	///
	/// # Errors
	/// [`Error::NotRegistered`], or the currency's error when `beneficiary` cannot receive it.
	pub(crate) fn do_slash(
		who: &T::AccountId,
		amount: BalanceOf<T>,
		beneficiary: Option<&T::AccountId>,
		reason: SlashReason,
	) -> Result<BalanceOf<T>, DispatchError> {
		let slashed = Providers::<T>::try_mutate(who, |maybe| {
			let info = maybe.as_mut().ok_or(Error::<T>::NotRegistered)?;
			let hold_reason = HoldReason::ProviderBond.into();
			let amount = amount.min(info.bond);
			let slashed = match beneficiary {
				Some(to) => T::Currency::transfer_on_hold(
					&hold_reason,
					who,
					to,
					amount,
					Precision::Exact,
					Restriction::Free,
					Fortitude::Force,
				)?,
				None => T::Currency::burn_held(
					&hold_reason,
					who,
					amount,
					Precision::Exact,
					Fortitude::Force,
				)?,
			};
			info.bond = info.bond.saturating_sub(slashed);
			Ok::<_, DispatchError>(slashed)
		})?;
		Self::deposit_event(Event::Slashed {
			provider: who.clone(),
			amount: slashed,
			beneficiary: beneficiary.cloned(),
			reason,
		});
		Ok(slashed)
	}

	/// Checks a profile.
	///
	/// # Errors
	/// [`Error::NoExecutionProvider`], [`Error::DuplicateExecutionProvider`],
	/// [`Error::GpuRequired`], [`Error::InvalidGpu`], [`Error::InvalidOpsetRange`],
	/// [`Error::ZeroCapacity`], [`Error::InvalidText`].
	pub(crate) fn validate_profile(profile: &ProviderProfileOf<T>) -> DispatchResult {
		let eps = &profile.execution_providers;
		ensure!(!eps.is_empty(), Error::<T>::NoExecutionProvider);
		for (i, ep) in eps.iter().enumerate() {
			ensure!(!eps[..i].contains(ep), Error::<T>::DuplicateExecutionProvider);
		}
		match &profile.gpu {
			Some(gpu) => {
				ensure!(gpu.memory_mib > 0 && gpu.count > 0, Error::<T>::InvalidGpu);
				ensure!(is_text(&gpu.model), Error::<T>::InvalidText);
			},
			None => ensure!(eps.iter().all(ExecutionProvider::is_cpu), Error::<T>::GpuRequired),
		}
		ensure!(
			profile.min_opset > 0 && profile.min_opset <= profile.max_opset,
			Error::<T>::InvalidOpsetRange
		);
		ensure!(profile.max_concurrent_jobs > 0, Error::<T>::ZeroCapacity);
		ensure!(is_text(&profile.onnxruntime_version), Error::<T>::InvalidText);
		if let Some(endpoint) = &profile.endpoint {
			ensure!(is_text(endpoint), Error::<T>::InvalidText);
		}
		Ok(())
	}

	/// Adds `who` to the index list of each of `eps`.
	fn index_insert(who: &T::AccountId, eps: &[ExecutionProvider]) -> DispatchResult {
		for ep in eps {
			ProvidersByExecutionProvider::<T>::try_mutate(ep, |list| {
				if !list.contains(who) {
					list.try_push(who.clone()).map_err(|_| Error::<T>::TooManyProviders)?;
				}
				Ok::<_, DispatchError>(())
			})?;
		}
		Ok(())
	}

	/// Removes `who` from the index list of each of `eps`.
	fn index_remove(who: &T::AccountId, eps: &[ExecutionProvider]) {
		for ep in eps {
			ProvidersByExecutionProvider::<T>::mutate_exists(ep, |maybe| {
				if let Some(list) = maybe {
					list.retain(|account| account != who);
					if list.is_empty() {
						*maybe = None;
					}
				}
			});
		}
	}

	/// Whether `info` describes a live provider at block `now`.
	pub(crate) fn info_is_live(info: &ProviderInfoOf<T>, now: BlockNumberFor<T>) -> bool {
		info.status == ProviderStatus::Active
			&& info.bond >= T::MinBond::get()
			&& now.saturating_sub(info.last_heartbeat) <= T::HeartbeatInterval::get()
	}

	/// Free job slots of `info`.
	pub(crate) fn info_capacity_left(info: &ProviderInfoOf<T>) -> u32 {
		u32::from(info.profile.max_concurrent_jobs).saturating_sub(info.active_jobs)
	}

	/// The runtime API's view of `who`.
	pub fn provider_view(
		who: &T::AccountId,
	) -> Option<ProviderView<BalanceOf<T>, BlockNumberFor<T>>> {
		let info = Providers::<T>::get(who)?;
		let now = frame_system::Pallet::<T>::block_number();
		Some(ProviderView {
			is_live: Self::info_is_live(&info, now),
			capacity_left: Self::info_capacity_left(&info),
			score: info.reputation.score(),
			info,
		})
	}

	/// Up to `limit` (at most [`runtime_api::MAX_PAGE_SIZE`]) live providers offering `ep`,
	/// starting at position `start` of the index.
	pub fn live_providers_page(
		ep: ExecutionProvider,
		start: u32,
		limit: u32,
	) -> Page<T::AccountId> {
		let list = ProvidersByExecutionProvider::<T>::get(ep);
		let limit = limit.min(runtime_api::MAX_PAGE_SIZE) as usize;
		let now = frame_system::Pallet::<T>::block_number();
		let mut items = alloc::vec::Vec::new();
		let mut position = start as usize;
		while position < list.len() && items.len() < limit {
			let account = &list[position];
			if Providers::<T>::get(account).is_some_and(|info| Self::info_is_live(&info, now)) {
				items.push(account.clone());
			}
			position += 1;
		}
		let next = (position < list.len()).then_some(position as u32);
		Page { items, next }
	}

	/// Checks the pallet's invariants: every bond equals its held balance, the counter matches,
	/// the index lists hold exactly the providers offering each execution provider, once each,
	/// and every encryption key is a valid key of a provider.
	#[cfg(any(test, feature = "try-runtime"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let reason = HoldReason::ProviderBond.into();
		let mut count = 0u32;
		for (who, info) in Providers::<T>::iter() {
			count += 1;
			ensure!(
				T::Currency::balance_on_hold(&reason, &who) == info.bond,
				"a provider's bond differs from its held balance"
			);
			ensure!(
				info.active_jobs <= u32::from(info.profile.max_concurrent_jobs),
				"more active jobs than capacity"
			);
			for ep in ExecutionProvider::ALL {
				let listed = ProvidersByExecutionProvider::<T>::get(ep)
					.iter()
					.filter(|a| **a == who)
					.count();
				ensure!(
					listed == usize::from(info.profile.offers(ep)),
					"index entry missing, duplicated or stale"
				);
			}
		}
		ensure!(count == Providers::<T>::count(), "provider counter out of step");
		for (who, record) in EncryptionKeys::<T>::iter() {
			ensure!(Providers::<T>::contains_key(&who), "an encryption key of no provider");
			ensure!(record.epoch >= 1, "an encryption key of epoch zero");
			ensure!(
				cairn_inference::seal::is_valid_public_key(&record.key),
				"an encryption key of small order"
			);
		}
		for (_, list) in ProvidersByExecutionProvider::<T>::iter() {
			ensure!(!list.is_empty(), "empty index list kept in storage");
			ensure!(
				list.iter().all(Providers::<T>::contains_key),
				"index lists an unregistered account"
			);
		}
		Ok(())
	}
}

/// Whether `text` is non-empty UTF-8.
fn is_text(text: &[u8]) -> bool {
	!text.is_empty() && core::str::from_utf8(text).is_ok()
}
