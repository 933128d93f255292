//! # Compute registry
//!
//! The supply side of Cairn's inference market. A compute provider is an account that runs a
//! `cairn-node` with ONNX Runtime and offers inference. It registers with a bond (held in the
//! native currency under [`HoldReason::ProviderBond`]) and a [`ProviderProfile`]: the execution
//! providers it offers (CPU, CUDA, …), its GPU and memory, ONNX Runtime version and opsets,
//! prices and capacity.
//!
//! A provider is **live** while it is [`ProviderStatus::Active`], bonded at least
//! [`Config::MinBond`] and its last heartbeat is at most [`Config::HeartbeatInterval`] blocks old.
//! Leaving takes [`Config::UnbondingPeriod`] blocks, during which the bond stays slashable; it is
//! refused while the provider holds job slots.
//!
//! Other pallets use providers only through the traits in [`traits`]: [`ProviderInspect`]
//! (liveness, profile, eligibility), [`ProviderJobs`] (job slots and reputation) and
//! [`ProviderSlash`], and [`ProviderKeys`] for providers' encryption keys. An index by execution provider keeps eligibility lookups from iterating
//! every provider.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use traits::{ProviderInspect, ProviderJobs, ProviderKeys, ProviderSlash};
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod functions;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod traits;
pub mod types;
pub mod weights;

/// Balance type of the currency bonds are held in.
pub type BalanceOf<T> = <<T as Config>::Currency as frame_support::traits::fungible::Inspect<
	<T as frame_system::Config>::AccountId,
>>::Balance;

/// The profile type of a runtime.
pub type ProviderProfileOf<T> = ProviderProfile<BalanceOf<T>>;

/// The encryption key record type of a runtime.
pub type EncryptionKeyOf<T> = EncryptionKey<frame_system::pallet_prelude::BlockNumberFor<T>>;

/// The provider record type of a runtime.
pub type ProviderInfoOf<T> =
	ProviderInfo<BalanceOf<T>, frame_system::pallet_prelude::BlockNumberFor<T>>;

/// The compute registry: providers of inference compute register with a bond and a profile of
/// their hardware and ONNX Runtime execution providers, send heartbeats, pause, unbond and
/// withdraw; the inference pallet reserves their job slots, records their reputation and slashes
/// their bonds.
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

	/// Configuration of the compute registry.
	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency bonds are held in.
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reason, of which [`HoldReason`] is a part.
		type RuntimeHoldReason: From<HoldReason>;

		/// Origin that may slash a provider by decision of governance.
		type SlashOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The smallest bond a provider registers with (and must keep to be live).
		#[pallet::constant]
		type MinBond: Get<BalanceOf<Self>>;

		/// Blocks a heartbeat keeps a provider live.
		#[pallet::constant]
		type HeartbeatInterval: Get<BlockNumberFor<Self>>;

		/// Blocks between `unbond` and `withdraw_unbonded`; the bond stays slashable meanwhile.
		#[pallet::constant]
		type UnbondingPeriod: Get<BlockNumberFor<Self>>;

		/// The most providers registered at once (also the length of each index list).
		#[pallet::constant]
		type MaxProviders: Get<u32>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A compute provider's bond.
		#[codec(index = 0)]
		ProviderBond,
	}

	/// Registered providers by account.
	#[pallet::storage]
	pub type Providers<T: Config> =
		CountedStorageMap<_, Blake2_128Concat, T::AccountId, ProviderInfoOf<T>, OptionQuery>;

	/// The providers offering each execution provider, in registration order (any status;
	/// liveness is checked on lookup).
	#[pallet::storage]
	pub type ProvidersByExecutionProvider<T: Config> = StorageMap<
		_,
		Twox64Concat,
		ExecutionProvider,
		BoundedVec<T::AccountId, T::MaxProviders>,
		ValueQuery,
	>;

	/// Each provider's current X25519 encryption key, which sealed jobs' content keys are wrapped
	/// to (removed when the provider withdraws).
	#[pallet::storage]
	pub type EncryptionKeys<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, EncryptionKeyOf<T>, OptionQuery>;

	/// Events of the compute registry.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A provider registered with a bond.
		Registered {
			/// The provider.
			provider: T::AccountId,
			/// The bond held.
			bond: BalanceOf<T>,
		},
		/// A provider replaced its profile.
		ProfileUpdated {
			/// The provider.
			provider: T::AccountId,
		},
		/// A provider added to its bond.
		BondIncreased {
			/// The provider.
			provider: T::AccountId,
			/// The amount added.
			amount: BalanceOf<T>,
			/// The bond now.
			bond: BalanceOf<T>,
		},
		/// A provider signalled it is up.
		HeartbeatReceived {
			/// The provider.
			provider: T::AccountId,
		},
		/// A provider stopped taking new jobs.
		Paused {
			/// The provider.
			provider: T::AccountId,
		},
		/// A paused provider takes jobs again.
		Resumed {
			/// The provider.
			provider: T::AccountId,
		},
		/// A provider started leaving; its bond unlocks at `unlock_at`.
		UnbondingStarted {
			/// The provider.
			provider: T::AccountId,
			/// First block at which the bond can be withdrawn.
			unlock_at: BlockNumberFor<T>,
		},
		/// A provider left and its whole bond was released.
		Withdrawn {
			/// The former provider.
			provider: T::AccountId,
			/// The amount released from hold.
			amount: BalanceOf<T>,
		},
		/// Part of a provider's bond was slashed: paid to `beneficiary`, or burned if `None`.
		Slashed {
			/// The provider.
			provider: T::AccountId,
			/// The amount taken from the bond.
			amount: BalanceOf<T>,
			/// Who received it; `None` when it was burned.
			beneficiary: Option<T::AccountId>,
			/// Why.
			reason: SlashReason,
		},
		/// A provider published a new encryption key.
		EncryptionKeySet {
			/// The provider.
			provider: T::AccountId,
			/// The X25519 public key.
			key: EncryptionPublicKey,
			/// Its rotation counter.
			epoch: u32,
		},
		/// A job outcome was recorded against a provider.
		ReputationUpdated {
			/// The provider.
			provider: T::AccountId,
			/// The outcome recorded.
			outcome: JobOutcome,
			/// The provider's score now.
			score: sp_runtime::Permill,
		},
	}

	/// Errors of the compute registry.
	#[pallet::error]
	pub enum Error<T> {
		/// The account is already a provider.
		AlreadyRegistered,
		/// The account is not a provider.
		NotRegistered,
		/// The bond is below `MinBond`.
		BondTooLow,
		/// `MaxProviders` providers are registered already.
		TooManyProviders,
		/// The profile lists no execution provider.
		NoExecutionProvider,
		/// The profile lists an execution provider twice.
		DuplicateExecutionProvider,
		/// The profile offers a GPU execution provider but describes no GPU.
		GpuRequired,
		/// The GPU has no memory or a count of zero.
		InvalidGpu,
		/// `min_opset` is above `max_opset`, or `min_opset` is zero.
		InvalidOpsetRange,
		/// `max_concurrent_jobs` is zero.
		ZeroCapacity,
		/// The new profile has fewer job slots than the provider is using.
		CapacityBelowActiveJobs,
		/// A text field (GPU model, ONNX Runtime version, endpoint) is empty or not UTF-8.
		InvalidText,
		/// The amount is zero.
		ZeroAmount,
		/// The account cannot hold that much (free balance too low).
		InsufficientBalance,
		/// The provider is not active.
		NotActive,
		/// The provider is not paused.
		NotPaused,
		/// The provider is unbonding: only withdrawal is possible.
		Unbonding,
		/// The provider is not unbonding.
		NotUnbonding,
		/// The unbonding period has not passed yet.
		UnbondingNotFinished,
		/// The provider holds job slots; finish or release them first.
		HasActiveJobs,
		/// The provider has no free job slot.
		NoCapacity,
		/// The provider is not live (inactive, under-bonded or silent).
		NotLive,
		/// The provider holds no job slot to release.
		NoActiveJobs,
		/// The held balance differs from the recorded bond (a bug; nothing was changed).
		BondMismatch,
		/// The encryption key is a point of small order, which would give a known shared secret.
		InvalidEncryptionKey,
		/// The encryption key is the provider's current one already.
		EncryptionKeyUnchanged,
		/// The provider's key rotation counter is exhausted.
		EncryptionKeyEpochsExhausted,
	}

	/// Providers registered at genesis.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// `(account, bond, profile)` of each provider; each account must be able to hold its
		/// bond. Their first heartbeat is the genesis block.
		pub providers: alloc::vec::Vec<(T::AccountId, BalanceOf<T>, ProviderProfileOf<T>)>,
		/// `(provider, key)`: encryption keys of genesis providers, at epoch 1 (e.g. the X25519
		/// form of a development identity's `cenc` key, which its node holds).
		pub encryption_keys: alloc::vec::Vec<(T::AccountId, EncryptionPublicKey)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (account, bond, profile) in &self.providers {
				if let Err(error) = Pallet::<T>::do_register(account, profile.clone(), *bond) {
					// A genesis that cannot be built must not start a chain.
					panic!("compute registry genesis: provider {account:?}: {error:?}");
				}
			}
			for (account, key) in &self.encryption_keys {
				if let Err(error) = Pallet::<T>::do_set_encryption_key(account, *key) {
					// A genesis that cannot be built must not start a chain.
					panic!("compute registry genesis: encryption key of {account:?}: {error:?}");
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
		/// Register the caller as a compute provider with `profile`, holding `bond`.
		///
		/// Origin must be signed by an account that is not a provider yet.
		///
		/// - `profile`: what the provider offers; validated (see [`Error`]).
		/// - `bond`: at least `MinBond`; held under [`HoldReason::ProviderBond`].
		///
		/// Emits `Registered`.
		///
		/// Weight: O(1), worst case with every execution provider and full index lists.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register())]
		pub fn register(
			origin: OriginFor<T>,
			profile: ProviderProfileOf<T>,
			bond: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register(&who, profile, bond)
		}

		/// Replace the caller's profile. Job slots in use stay reserved.
		///
		/// Origin must be signed by a provider that is not unbonding and uses no more job slots
		/// than the new profile offers.
		///
		/// - `profile`: the new profile; validated as in `register`.
		///
		/// Emits `ProfileUpdated`.
		///
		/// Weight: O(1), worst case moving the provider between every index list.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update_profile())]
		pub fn update_profile(
			origin: OriginFor<T>,
			profile: ProviderProfileOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_profile(&who, profile)
		}

		/// Add `amount` to the caller's bond.
		///
		/// Origin must be signed by a provider that is not unbonding.
		///
		/// - `amount`: more than zero; held under [`HoldReason::ProviderBond`].
		///
		/// Emits `BondIncreased`.
		///
		/// Weight: O(1).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::bond_more())]
		pub fn bond_more(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_bond_more(&who, amount)
		}

		/// Signal that the caller's node is up; keeps it live for `HeartbeatInterval` blocks.
		///
		/// Origin must be signed by a provider that is not unbonding.
		///
		/// Emits `HeartbeatReceived`.
		///
		/// Weight: O(1).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::heartbeat())]
		pub fn heartbeat(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_heartbeat(&who)
		}

		/// Stop taking new jobs; jobs in progress continue.
		///
		/// Origin must be signed by an active provider.
		///
		/// Emits `Paused`.
		///
		/// Weight: O(1).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::pause())]
		pub fn pause(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_paused(&who, true)
		}

		/// Take new jobs again after `pause`.
		///
		/// Origin must be signed by a paused provider.
		///
		/// Emits `Resumed`.
		///
		/// Weight: O(1).
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::resume())]
		pub fn resume(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_paused(&who, false)
		}

		/// Start leaving: no new jobs; the bond can be withdrawn after `UnbondingPeriod` blocks
		/// and stays slashable until then.
		///
		/// Origin must be signed by a provider that holds no job slot and is not unbonding.
		///
		/// Emits `UnbondingStarted`.
		///
		/// Weight: O(1).
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::unbond())]
		pub fn unbond(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unbond(&who)
		}

		/// Release the whole bond of a provider whose unbonding period has passed, and remove it.
		///
		/// Origin must be signed by the unbonding provider.
		///
		/// Emits `Withdrawn`.
		///
		/// Weight: O(1), worst case removing the provider from every index list.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::withdraw_unbonded())]
		pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_unbonded(&who)
		}

		/// Slash up to `amount` of `provider`'s bond by decision of governance: paid to
		/// `beneficiary`, or burned when it is `None`.
		///
		/// Origin must be `SlashOrigin`.
		///
		/// - `provider`: a registered provider.
		/// - `amount`: more than zero; at most the bond is taken.
		/// - `beneficiary`: who receives the slashed funds, if anyone.
		///
		/// Emits `Slashed` with reason `Governance`.
		///
		/// Weight: O(1).
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::force_slash())]
		pub fn force_slash(
			origin: OriginFor<T>,
			provider: T::AccountId,
			amount: BalanceOf<T>,
			beneficiary: Option<T::AccountId>,
		) -> DispatchResult {
			T::SlashOrigin::ensure_origin(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			Self::do_slash(&provider, amount, beneficiary.as_ref(), SlashReason::Governance)
				.map(|_| ())
		}

		/// Publish the caller's X25519 encryption key, or rotate to a new one: requesters of
		/// sealed jobs wrap content keys to it, and sealed jobs are assigned only to providers
		/// with a key. The rotation counter goes up by one; the secret stays in the provider
		/// node's keystore (its offchain worker publishes the key by itself, see
		/// `docs/privacy.md`).
		///
		/// Origin must be signed by a registered provider that is not unbonding.
		///
		/// - `key`: an X25519 public key other than the current one, not of small order.
		///
		/// Emits `EncryptionKeySet`.
		///
		/// Weight: O(1).
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::set_encryption_key())]
		pub fn set_encryption_key(
			origin: OriginFor<T>,
			key: EncryptionPublicKey,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_encryption_key(&who, key).map(|_| ())
		}
	}
}

use sp_runtime::traits::Zero;
