//! # Agents
//!
//! Agent accounts for autonomous agents that pay for inference and data on their own. An owner
//! registers an agent key with a [`Policy`]: the kinds of calls it may make ([`CallKind`]), a
//! budget per period and in total, optional allow-lists of models and datasets, and an expiry.
//! The agent then calls [`Pallet::act`] with a call; the chain classifies it (through
//! [`Config::Calls`]), checks it against the policy, charges its most possible cost to the
//! budgets and dispatches it **as the owner**. The owner pays; the agent's key can spend only
//! within the policy. Every refusal is a named error.
//!
//! Charges are the most a call can cost: an inference job's fee ceiling, a license's price. When
//! an agent's job settles, the part of the fee refunded to the owner returns to the agent's
//! budget ([`Pallet::job_settled`], which the runtime calls from the inference pallet's
//! settlement): to the total budget, and to the period's budget when the job was charged in the
//! current period.
//!
//! The owner can update the policy (spending so far is kept), pause and resume the agent, and
//! revoke it; each takes effect for the next call, in the same block. An agent's record is paid
//! for by a deposit held from the owner ([`Config::AgentDeposit`]), returned on revocation.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

/// Balance type of the currency agents spend.
pub type BalanceOf<T> = <<T as Config>::Currency as frame_support::traits::fungible::Inspect<
	<T as frame_system::Config>::AccountId,
>>::Balance;

/// The policy type of a runtime.
pub type PolicyOf<T> = Policy<
	BalanceOf<T>,
	frame_system::pallet_prelude::BlockNumberFor<T>,
	<T as Config>::MaxTargets,
>;

/// The agent record type of a runtime.
pub type AgentOf<T> = Agent<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	frame_system::pallet_prelude::BlockNumberFor<T>,
	<T as Config>::MaxTargets,
>;

/// The agents pallet: owners register agent keys under spending policies; agents act for them
/// within those policies.
#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::boxed::Box;
	use frame_support::{
		dispatch::{GetDispatchInfo, PostDispatchInfo},
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate, MutateHold},
			tokens::Precision,
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::{Dispatchable, Saturating, Zero};

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the agents pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The calls an agent may wrap: dispatched as its owner.
		type RuntimeCall: Parameter
			+ Dispatchable<RuntimeOrigin = Self::RuntimeOrigin, PostInfo = PostDispatchInfo>
			+ GetDispatchInfo;
		/// The currency agents spend and deposits are held in.
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;
		/// How calls look to policies: their kind, most possible cost and target.
		type Calls: CallClassifier<<Self as Config>::RuntimeCall, BalanceOf<Self>>;
		/// Held from the owner for each agent, for its storage.
		#[pallet::constant]
		type AgentDeposit: Get<BalanceOf<Self>>;
		/// The most agents one owner may have.
		#[pallet::constant]
		type MaxAgentsPerOwner: Get<u32>;
		/// The longest model or dataset allow-list of a policy.
		#[pallet::constant]
		type MaxTargets: Get<u32>;
		/// The most unsettled inference jobs one agent may have.
		#[pallet::constant]
		type MaxOpenJobs: Get<u32>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
		/// Calls for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<<Self as Config>::RuntimeCall, BalanceOf<Self>>;
	}

	/// Reasons this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The deposit of an agent record.
		#[codec(index = 0)]
		AgentDeposit,
	}

	/// Every agent, by its account.
	#[pallet::storage]
	pub type Agents<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, AgentOf<T>>;

	/// The agents of each owner.
	#[pallet::storage]
	pub type OwnerAgents<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		T::AccountId,
		(),
		OptionQuery,
	>;

	/// How many agents each owner has.
	#[pallet::storage]
	pub type AgentCount<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// The unsettled inference jobs agents requested, by job id.
	#[pallet::storage]
	pub type AgentJobs<T: Config> =
		StorageMap<_, Twox64Concat, u64, AgentJob<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An owner registered an agent.
		AgentRegistered {
			/// The owner.
			owner: T::AccountId,
			/// The agent.
			agent: T::AccountId,
			/// Held from the owner.
			deposit: BalanceOf<T>,
		},
		/// An owner replaced an agent's policy.
		PolicyUpdated {
			/// The agent.
			agent: T::AccountId,
		},
		/// An owner paused an agent.
		AgentPaused {
			/// The agent.
			agent: T::AccountId,
		},
		/// An owner resumed an agent.
		AgentResumed {
			/// The agent.
			agent: T::AccountId,
		},
		/// An owner revoked an agent; its deposit was released.
		AgentRevoked {
			/// The agent.
			agent: T::AccountId,
			/// The owner.
			owner: T::AccountId,
		},
		/// An agent made a call for its owner.
		Acted {
			/// The agent.
			agent: T::AccountId,
			/// The owner it acted for.
			owner: T::AccountId,
			/// The kind of call.
			kind: CallKind,
			/// What its budgets were charged.
			charged: BalanceOf<T>,
			/// What is left of the period's budget.
			period_left: BalanceOf<T>,
			/// What is left of the total budget.
			total_left: BalanceOf<T>,
		},
		/// An agent's job settled and the unspent part of its fee returned to the budget.
		BudgetRefunded {
			/// The agent.
			agent: T::AccountId,
			/// The job.
			job: u64,
			/// Returned to the budget.
			amount: BalanceOf<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The caller is not a registered agent.
		NotAgent,
		/// The caller is not the agent's owner.
		NotOwner,
		/// The account is an agent already.
		AgentExists,
		/// An owner cannot be its own agent.
		AgentIsOwner,
		/// The owner has `MaxAgentsPerOwner` agents already.
		TooManyAgents,
		/// A policy without allowed calls, or with a period of zero blocks.
		InvalidPolicy,
		/// The policy does not allow this kind of call (or no agent may make it).
		CallNotAllowed,
		/// The policy's model allow-list does not hold the call's model.
		ModelNotAllowed,
		/// The policy's dataset allow-list does not hold the call's dataset.
		DatasetNotAllowed,
		/// The call's most possible cost exceeds what is left of the period's budget.
		OverPeriodBudget,
		/// The call's most possible cost exceeds what is left of the total budget.
		OverTotalBudget,
		/// The policy has expired.
		PolicyExpired,
		/// The owner paused the agent.
		AgentPaused,
		/// The agent is not paused.
		NotPaused,
		/// The agent has `MaxOpenJobs` unsettled jobs.
		TooManyOpenJobs,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Register `agent` under `policy`, holding [`Config::AgentDeposit`] from the caller,
		/// its owner. Its first budget period starts now.
		///
		/// Emits `AgentRegistered`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_agent())]
		pub fn register_agent(
			origin: OriginFor<T>,
			agent: T::AccountId,
			policy: PolicyOf<T>,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			ensure!(agent != owner, Error::<T>::AgentIsOwner);
			ensure!(!Agents::<T>::contains_key(&agent), Error::<T>::AgentExists);
			Self::check_policy(&policy)?;
			let count = AgentCount::<T>::get(&owner);
			ensure!(count < T::MaxAgentsPerOwner::get(), Error::<T>::TooManyAgents);
			let deposit = T::AgentDeposit::get();
			T::Currency::hold(&HoldReason::AgentDeposit.into(), &owner, deposit)?;
			let now = frame_system::Pallet::<T>::block_number();
			let record = Agent {
				owner: owner.clone(),
				policy,
				deposit,
				paused: false,
				spent: Spending { period_start: now, in_period: Zero::zero(), total: Zero::zero() },
				open_jobs: 0,
				registered_at: now,
			};
			Agents::<T>::insert(&agent, record);
			OwnerAgents::<T>::insert(&owner, &agent, ());
			AgentCount::<T>::insert(&owner, count.saturating_add(1));
			Self::deposit_event(Event::AgentRegistered { owner, agent, deposit });
			Ok(())
		}

		/// Replace `agent`'s policy; what it spent so far, and its period, are kept.
		///
		/// Origin: the agent's owner. Emits `PolicyUpdated`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update_policy())]
		pub fn update_policy(
			origin: OriginFor<T>,
			agent: T::AccountId,
			policy: PolicyOf<T>,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::check_policy(&policy)?;
			Self::mutate_owned(&owner, &agent, |record| {
				record.policy = policy;
				Ok(())
			})?;
			Self::deposit_event(Event::PolicyUpdated { agent });
			Ok(())
		}

		/// Pause `agent`: every act is refused until it is resumed.
		///
		/// Origin: the agent's owner. Emits `AgentPaused`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::pause_agent())]
		pub fn pause_agent(origin: OriginFor<T>, agent: T::AccountId) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::mutate_owned(&owner, &agent, |record| {
				ensure!(!record.paused, Error::<T>::AgentPaused);
				record.paused = true;
				Ok(())
			})?;
			Self::deposit_event(Event::AgentPaused { agent });
			Ok(())
		}

		/// Resume a paused `agent`.
		///
		/// Origin: the agent's owner. Emits `AgentResumed`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::resume_agent())]
		pub fn resume_agent(origin: OriginFor<T>, agent: T::AccountId) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::mutate_owned(&owner, &agent, |record| {
				ensure!(record.paused, Error::<T>::NotPaused);
				record.paused = false;
				Ok(())
			})?;
			Self::deposit_event(Event::AgentResumed { agent });
			Ok(())
		}

		/// Revoke `agent`: its record is removed and the deposit released. Its unsettled jobs
		/// settle as usual, refunding the owner.
		///
		/// Origin: the agent's owner. Emits `AgentRevoked`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::revoke_agent())]
		pub fn revoke_agent(origin: OriginFor<T>, agent: T::AccountId) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			let record = Agents::<T>::get(&agent).ok_or(Error::<T>::NotAgent)?;
			ensure!(record.owner == owner, Error::<T>::NotOwner);
			T::Currency::release(
				&HoldReason::AgentDeposit.into(),
				&owner,
				record.deposit,
				Precision::BestEffort,
			)?;
			Agents::<T>::remove(&agent);
			OwnerAgents::<T>::remove(&owner, &agent);
			AgentCount::<T>::mutate_exists(&owner, |count| {
				*count = count.map(|c| c.saturating_sub(1)).filter(|c| *c > 0)
			});
			Self::deposit_event(Event::AgentRevoked { agent, owner });
			Ok(())
		}

		/// Make `call` for the caller's owner: it must be of a kind the policy allows, on an
		/// allowed model or dataset, before the policy's expiry, with its most possible cost
		/// within what is left of the period's and the total budget. The budgets are charged
		/// that cost and the call is dispatched with the owner as its signed origin; when it
		/// fails, nothing is charged and its error is returned.
		///
		/// Origin: a registered agent. Emits `Acted` with what is left of the budgets.
		///
		/// Weight: this pallet's checks and charge, plus the call's own weight.
		#[pallet::call_index(5)]
		#[pallet::weight({
			let info = call.get_dispatch_info();
			(T::WeightInfo::act().saturating_add(info.call_weight), info.class)
		})]
		pub fn act(
			origin: OriginFor<T>,
			call: Box<<T as Config>::RuntimeCall>,
		) -> DispatchResultWithPostInfo {
			let agent = ensure_signed(origin)?;
			let prepared = Self::prepare_act(&agent, &call)?;
			let owner = frame_system::RawOrigin::Signed(prepared.owner.clone());
			let inner = match call.dispatch(owner.into()) {
				Ok(post) => post,
				Err(mut error) => {
					error.post_info.actual_weight = error
						.post_info
						.actual_weight
						.map(|inner| T::WeightInfo::act().saturating_add(inner));
					return Err(error);
				},
			};
			Self::finish_act(agent, prepared);
			let actual =
				inner.actual_weight.map(|inner| T::WeightInfo::act().saturating_add(inner));
			Ok(PostDispatchInfo { actual_weight: actual, pays_fee: inner.pays_fee })
		}
	}

	/// An act checked and charged, before its call is dispatched.
	pub(crate) struct PreparedAct<T: Config> {
		/// The owner the call is dispatched for.
		pub owner: T::AccountId,
		/// The call's classification.
		pub classified: Classified<BalanceOf<T>>,
		/// The job the call will create, for a `RequestInference`.
		pub job: Option<u64>,
	}

	impl<T: Config> Pallet<T> {
		/// Checks `agent`'s `call` against its state and policy and charges the budgets. The
		/// charge is written before the call is dispatched; when the call fails, the extrinsic's
		/// changes (the charge with them) are rolled back.
		pub(crate) fn prepare_act(
			agent: &T::AccountId,
			call: &<T as Config>::RuntimeCall,
		) -> Result<PreparedAct<T>, DispatchError> {
			let mut record = Agents::<T>::get(agent).ok_or(Error::<T>::NotAgent)?;
			let now = frame_system::Pallet::<T>::block_number();
			let classified = Self::check_call(&record, call, now)?;
			Self::charge(&mut record, classified.max_cost, now)?;
			let job = (classified.kind == CallKind::RequestInference).then(T::Calls::next_job);
			if job.is_some() {
				ensure!(record.open_jobs < T::MaxOpenJobs::get(), Error::<T>::TooManyOpenJobs);
				record.open_jobs = record.open_jobs.saturating_add(1);
			}
			let owner = record.owner.clone();
			Agents::<T>::insert(agent, record);
			Ok(PreparedAct { owner, classified, job })
		}

		/// Records a dispatched act: the job whose settlement refunds the budget, the event with
		/// what is left.
		pub(crate) fn finish_act(agent: T::AccountId, prepared: PreparedAct<T>) {
			let PreparedAct { owner, classified, job } = prepared;
			let Some(record) = Agents::<T>::get(&agent) else { return };
			if let Some(job) = job {
				AgentJobs::<T>::insert(
					job,
					AgentJob {
						agent: agent.clone(),
						charged: classified.max_cost,
						period_start: record.spent.period_start,
						registered_at: record.registered_at,
					},
				);
			}
			Self::deposit_event(Event::Acted {
				agent,
				owner,
				kind: classified.kind,
				charged: classified.max_cost,
				period_left: record.policy.period_budget.saturating_sub(record.spent.in_period),
				total_left: record.policy.total_budget.saturating_sub(record.spent.total),
			});
		}

		/// A policy allows at least one kind of call, over periods of at least one block.
		fn check_policy(policy: &PolicyOf<T>) -> DispatchResult {
			ensure!(
				!policy.allowed_calls.is_empty() && !policy.period.is_zero(),
				Error::<T>::InvalidPolicy
			);
			Ok(())
		}

		/// Applies `change` to `agent`'s record when `owner` owns it.
		fn mutate_owned(
			owner: &T::AccountId,
			agent: &T::AccountId,
			change: impl FnOnce(&mut AgentOf<T>) -> DispatchResult,
		) -> DispatchResult {
			Agents::<T>::try_mutate(agent, |record| {
				let record = record.as_mut().ok_or(Error::<T>::NotAgent)?;
				ensure!(record.owner == *owner, Error::<T>::NotOwner);
				change(record)
			})
		}

		/// Checks `call` against the agent's state and policy at block `now`; its classification.
		pub(crate) fn check_call(
			record: &AgentOf<T>,
			call: &<T as Config>::RuntimeCall,
			now: BlockNumberFor<T>,
		) -> Result<Classified<BalanceOf<T>>, DispatchError> {
			ensure!(!record.paused, Error::<T>::AgentPaused);
			let policy = &record.policy;
			ensure!(policy.expires_at.is_none_or(|at| now < at), Error::<T>::PolicyExpired);
			let classified = T::Calls::classify(call).ok_or(Error::<T>::CallNotAllowed)?;
			ensure!(policy.allowed_calls.contains(&classified.kind), Error::<T>::CallNotAllowed);
			match classified.target {
				Some(Target::Model(model)) => ensure!(
					policy.models.as_ref().is_none_or(|allowed| allowed.contains(&model)),
					Error::<T>::ModelNotAllowed
				),
				Some(Target::Dataset(dataset)) => ensure!(
					policy.datasets.as_ref().is_none_or(|allowed| allowed.contains(&dataset)),
					Error::<T>::DatasetNotAllowed
				),
				None => {},
			}
			Ok(classified)
		}

		/// The start of the budget period that holds block `now`, for periods of `period`
		/// blocks counted from `start`.
		pub(crate) fn period_of(
			start: BlockNumberFor<T>,
			period: BlockNumberFor<T>,
			now: BlockNumberFor<T>,
		) -> BlockNumberFor<T> {
			if now <= start || period.is_zero() {
				return start;
			}
			let elapsed = now.saturating_sub(start);
			now.saturating_sub(elapsed % period)
		}

		/// Charges `cost` to the agent's budgets at block `now`, starting a new period when the
		/// last one is over.
		pub(crate) fn charge(
			record: &mut AgentOf<T>,
			cost: BalanceOf<T>,
			now: BlockNumberFor<T>,
		) -> DispatchResult {
			let current = Self::period_of(record.spent.period_start, record.policy.period, now);
			if current != record.spent.period_start {
				record.spent.period_start = current;
				record.spent.in_period = Zero::zero();
			}
			let in_period = record.spent.in_period.saturating_add(cost);
			ensure!(in_period <= record.policy.period_budget, Error::<T>::OverPeriodBudget);
			let total = record.spent.total.saturating_add(cost);
			ensure!(total <= record.policy.total_budget, Error::<T>::OverTotalBudget);
			record.spent.in_period = in_period;
			record.spent.total = total;
			Ok(())
		}

		/// Inference job `job` of `requester` settled, refunding `refunded` of its fee. When an
		/// agent of `requester` requested it (under its current registration), the refund (at
		/// most what was charged) returns to its total budget, and to its period's budget if the
		/// job was charged in the current period. The runtime calls this from the inference
		/// pallet's settlement (its `OnJobSettled`).
		///
		/// Weight: [`WeightInfo::job_settled`].
		pub fn job_settled(job: u64, requester: &T::AccountId, refunded: BalanceOf<T>) {
			let Some(entry) = AgentJobs::<T>::take(job) else { return };
			let now = frame_system::Pallet::<T>::block_number();
			Agents::<T>::mutate(&entry.agent, |record| {
				let Some(record) = record.as_mut() else { return };
				if record.owner != *requester || record.registered_at != entry.registered_at {
					return;
				}
				record.open_jobs = record.open_jobs.saturating_sub(1);
				let amount = refunded.min(entry.charged);
				if amount.is_zero() {
					return;
				}
				record.spent.total = record.spent.total.saturating_sub(amount);
				let current = Self::period_of(record.spent.period_start, record.policy.period, now);
				if entry.period_start == current && current == record.spent.period_start {
					record.spent.in_period = record.spent.in_period.saturating_sub(amount);
				}
				Self::deposit_event(Event::BudgetRefunded {
					agent: entry.agent.clone(),
					job,
					amount,
				});
			});
		}

		/// The agents of `owner`, with their records.
		pub fn agents_of(owner: &T::AccountId) -> alloc::vec::Vec<(T::AccountId, AgentOf<T>)> {
			OwnerAgents::<T>::iter_key_prefix(owner)
				.filter_map(|agent| Agents::<T>::get(&agent).map(|record| (agent, record)))
				.collect()
		}
	}
}
