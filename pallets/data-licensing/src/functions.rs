//! The logic behind the calls and traits.

use super::*;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::{Mutate, MutateHold},
		tokens::{Fortitude, Precision, Preservation},
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchError, DispatchResult,
};

/// The largest royalty, in basis points.
pub const MAX_ROYALTY_BPS: u16 = 10_000;

impl<T: Config> Pallet<T> {
	/// Validates and registers a dataset owned by `owner`; returns its id. No registration
	/// commitment is used: this is for genesis and other pallets' test and benchmark setups;
	/// signed registrations go through [`Pallet::register_dataset`].
	///
	/// # Errors
	/// [`Error::DuplicateContentHash`], [`Error::InvalidCid`], [`Error::InvalidName`],
	/// [`Error::InvalidSupersedes`], [`Error::CannotHoldDeposit`], [`Error::IdsExhausted`] and
	/// the offer errors of [`Self::validate_offers`].
	pub fn do_register_dataset(
		owner: T::AccountId,
		content_hash: ContentHash,
		cid: Option<Cid>,
		name: BoundedVec<u8, MaxNameLength>,
		size_bytes: u64,
		supersedes: Option<DatasetId>,
		offers: OffersOf<T>,
	) -> Result<DatasetId, DispatchError> {
		ensure!(!DatasetByHash::<T>::contains_key(content_hash), Error::<T>::DuplicateContentHash);
		if let Some(cid) = &cid {
			ensure!(cid::is_valid_cid_v1(cid), Error::<T>::InvalidCid);
		}
		ensure!(!name.is_empty() && core::str::from_utf8(&name).is_ok(), Error::<T>::InvalidName);
		if let Some(earlier) = supersedes {
			ensure!(
				Datasets::<T>::get(earlier).is_some_and(|d| d.owner == owner),
				Error::<T>::InvalidSupersedes
			);
		}
		let offers = Self::validate_offers(offers, None)?;

		let deposit = T::DatasetDeposit::get();
		T::Currency::hold(&HoldReason::DatasetDeposit.into(), &owner, deposit)
			.map_err(|_| Error::<T>::CannotHoldDeposit)?;
		let id = NextDatasetId::<T>::get();
		NextDatasetId::<T>::put(id.checked_add(1).ok_or(Error::<T>::IdsExhausted)?);
		DatasetByHash::<T>::insert(content_hash, id);
		Datasets::<T>::insert(
			id,
			Dataset {
				owner: owner.clone(),
				content_hash,
				cid,
				name,
				size_bytes,
				supersedes,
				offers,
				retired: false,
				live_licenses: 0,
				deposit,
				registered_at: frame_system::Pallet::<T>::block_number(),
			},
		);
		Self::deposit_event(Event::DatasetRegistered { dataset: id, owner, content_hash });
		Ok(id)
	}

	/// Replaces the offers of `dataset`.
	///
	/// # Errors
	/// [`Error::UnknownDataset`], [`Error::NotOwner`], [`Error::DatasetRetired`] and the offer
	/// errors.
	pub(crate) fn do_update_offers(
		who: &T::AccountId,
		dataset: DatasetId,
		offers: OffersOf<T>,
	) -> DispatchResult {
		Datasets::<T>::try_mutate(dataset, |maybe| {
			let record = maybe.as_mut().ok_or(Error::<T>::UnknownDataset)?;
			ensure!(record.owner == *who, Error::<T>::NotOwner);
			ensure!(!record.retired, Error::<T>::DatasetRetired);
			record.offers = Self::validate_offers(offers, Some(&record.offers))?;
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(Event::OffersUpdated { dataset });
		Ok(())
	}

	/// `buyer` buys a license under `offer` of `dataset`; returns its id.
	///
	/// # Errors
	/// [`Error::UnknownDataset`], [`Error::UnknownOffer`], [`Error::DatasetRetired`],
	/// [`Error::SoldOut`], [`Error::PriceAboveLimit`], [`Error::CannotPay`],
	/// [`Error::CannotHoldDeposit`], [`Error::IdsExhausted`].
	pub(crate) fn do_purchase_license(
		buyer: T::AccountId,
		dataset: DatasetId,
		offer: u32,
		max_price: BalanceOf<T>,
	) -> Result<LicenseId, DispatchError> {
		let (license, owner, price) = Self::create_license(dataset, offer, &buyer, &buyer)?;
		ensure!(price <= max_price, Error::<T>::PriceAboveLimit);
		if !price.is_zero() && owner != buyer {
			T::Currency::transfer(&buyer, &owner, price, Preservation::Preserve)
				.map_err(|_| Error::<T>::CannotPay)?;
		}
		Self::deposit_event(Event::LicensePurchased {
			license,
			dataset,
			offer,
			holder: buyer,
			price,
		});
		Ok(license)
	}

	/// The owner of `dataset` grants `to` a free license under `offer`; returns its id.
	///
	/// # Errors
	/// [`Error::NotOwner`] and the errors of a purchase, except the payment ones.
	pub(crate) fn do_grant_license(
		owner: T::AccountId,
		dataset: DatasetId,
		offer: u32,
		to: T::AccountId,
	) -> Result<LicenseId, DispatchError> {
		let record = Datasets::<T>::get(dataset).ok_or(Error::<T>::UnknownDataset)?;
		ensure!(record.owner == owner, Error::<T>::NotOwner);
		let (license, _, _) = Self::create_license(dataset, offer, &to, &owner)?;
		Self::deposit_event(Event::LicenseGranted { license, dataset, offer, holder: to });
		Ok(license)
	}

	/// Creates a license of `holder` under `offer` of `dataset`, holding the license deposit
	/// from `depositor`; returns the license id, the dataset's owner and the offer's price.
	fn create_license(
		dataset: DatasetId,
		offer: u32,
		holder: &T::AccountId,
		depositor: &T::AccountId,
	) -> Result<(LicenseId, T::AccountId, BalanceOf<T>), DispatchError> {
		let (owner, terms) = Datasets::<T>::try_mutate(dataset, |maybe| {
			let record = maybe.as_mut().ok_or(Error::<T>::UnknownDataset)?;
			ensure!(!record.retired, Error::<T>::DatasetRetired);
			let entry = record.offers.get_mut(offer as usize).ok_or(Error::<T>::UnknownOffer)?;
			if let Some(cap) = entry.terms.max_licensees {
				ensure!(entry.licensees < cap, Error::<T>::SoldOut);
			}
			entry.licensees = entry.licensees.saturating_add(1);
			let terms = entry.terms.clone();
			record.live_licenses = record.live_licenses.saturating_add(1);
			Ok::<_, DispatchError>((record.owner.clone(), terms))
		})?;

		let deposit = T::LicenseDeposit::get();
		T::Currency::hold(&HoldReason::LicenseDeposit.into(), depositor, deposit)
			.map_err(|_| Error::<T>::CannotHoldDeposit)?;
		let id = NextLicenseId::<T>::get();
		NextLicenseId::<T>::put(id.checked_add(1).ok_or(Error::<T>::IdsExhausted)?);
		let start = frame_system::Pallet::<T>::block_number();
		let price = terms.price;
		Licenses::<T>::insert(
			id,
			License {
				dataset,
				offer,
				holder: holder.clone(),
				expiry: terms.duration.map(|d| start.saturating_add(d)),
				terms,
				start,
				revoked: None,
				depositor: depositor.clone(),
				deposit,
			},
		);
		LicensesByHolder::<T>::insert(holder, id, ());
		Ok((id, owner, price))
	}

	/// Moves `license` from `who` to `to`.
	///
	/// # Errors
	/// [`Error::UnknownLicense`], [`Error::NotHolder`], [`Error::SelfTransfer`],
	/// [`Error::NotTransferable`], [`Error::LicenseNotValid`].
	pub(crate) fn do_transfer_license(
		who: &T::AccountId,
		license: LicenseId,
		to: T::AccountId,
	) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		Licenses::<T>::try_mutate(license, |maybe| {
			let record = maybe.as_mut().ok_or(Error::<T>::UnknownLicense)?;
			ensure!(record.holder == *who, Error::<T>::NotHolder);
			ensure!(*who != to, Error::<T>::SelfTransfer);
			ensure!(record.terms.transferable, Error::<T>::NotTransferable);
			ensure!(
				matches!(Self::status_of(record, now), LicenseStatus::Valid { .. }),
				Error::<T>::LicenseNotValid
			);
			LicensesByHolder::<T>::remove(who, license);
			LicensesByHolder::<T>::insert(&to, license, ());
			record.holder = to.clone();
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(Event::LicenseTransferred { license, from: who.clone(), to });
		Ok(())
	}

	/// The owner `who` revokes `license` for `reason`.
	///
	/// # Errors
	/// [`Error::UnknownLicense`], [`Error::NotOwner`], [`Error::NotRevocable`],
	/// [`Error::AlreadyRevoked`], [`Error::InvalidReason`].
	pub(crate) fn do_revoke_license(
		who: &T::AccountId,
		license: LicenseId,
		reason: BoundedVec<u8, MaxReasonLength>,
	) -> DispatchResult {
		ensure!(core::str::from_utf8(&reason).is_ok(), Error::<T>::InvalidReason);
		Licenses::<T>::try_mutate(license, |maybe| {
			let record = maybe.as_mut().ok_or(Error::<T>::UnknownLicense)?;
			let owner = Datasets::<T>::get(record.dataset).map(|d| d.owner);
			ensure!(owner.as_ref() == Some(who), Error::<T>::NotOwner);
			ensure!(record.terms.revocable, Error::<T>::NotRevocable);
			ensure!(record.revoked.is_none(), Error::<T>::AlreadyRevoked);
			record.revoked = Some((frame_system::Pallet::<T>::block_number(), reason.clone()));
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(Event::LicenseRevoked { license, reason });
		Ok(())
	}

	/// Retires `dataset`.
	///
	/// # Errors
	/// [`Error::UnknownDataset`], [`Error::NotOwner`], [`Error::DatasetRetired`].
	pub(crate) fn do_retire_dataset(who: &T::AccountId, dataset: DatasetId) -> DispatchResult {
		Datasets::<T>::try_mutate(dataset, |maybe| {
			let record = maybe.as_mut().ok_or(Error::<T>::UnknownDataset)?;
			ensure!(record.owner == *who, Error::<T>::NotOwner);
			ensure!(!record.retired, Error::<T>::DatasetRetired);
			record.retired = true;
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(Event::DatasetRetired { dataset });
		Ok(())
	}

	/// Removes a retired `dataset` without licenses and releases its deposit.
	///
	/// # Errors
	/// [`Error::UnknownDataset`], [`Error::NotOwner`], [`Error::DatasetNotRetired`],
	/// [`Error::DatasetHasLicenses`].
	pub(crate) fn do_remove_dataset(who: &T::AccountId, dataset: DatasetId) -> DispatchResult {
		let record = Datasets::<T>::get(dataset).ok_or(Error::<T>::UnknownDataset)?;
		ensure!(record.owner == *who, Error::<T>::NotOwner);
		ensure!(record.retired, Error::<T>::DatasetNotRetired);
		ensure!(record.live_licenses == 0, Error::<T>::DatasetHasLicenses);
		T::Currency::release(
			&HoldReason::DatasetDeposit.into(),
			who,
			record.deposit,
			Precision::BestEffort,
		)?;
		DatasetByHash::<T>::remove(record.content_hash);
		Datasets::<T>::remove(dataset);
		Self::deposit_event(Event::DatasetRemoved { dataset });
		Ok(())
	}

	/// Holds `RegistrationCommitmentDeposit` from `who` for its commitment `digest`.
	///
	/// # Errors
	/// [`Error::AlreadyCommitted`], [`Error::CannotHoldDeposit`].
	pub(crate) fn do_commit_registration(
		who: &T::AccountId,
		digest: CommitmentDigest,
	) -> DispatchResult {
		ensure!(
			!RegistrationCommitments::<T>::contains_key(who, digest),
			Error::<T>::AlreadyCommitted
		);
		let deposit = T::RegistrationCommitmentDeposit::get();
		T::Currency::hold(&HoldReason::RegistrationCommitment.into(), who, deposit)
			.map_err(|_| Error::<T>::CannotHoldDeposit)?;
		let committed_at = frame_system::Pallet::<T>::block_number();
		RegistrationCommitments::<T>::insert(
			who,
			digest,
			RegistrationCommitment { committed_at, deposit },
		);
		Self::deposit_event(Event::RegistrationCommitted { who: who.clone(), digest });
		Ok(())
	}

	/// Removes `who`'s commitment `digest` and releases its deposit.
	///
	/// # Errors
	/// [`Error::UnknownCommitment`].
	pub(crate) fn do_cancel_registration_commitment(
		who: &T::AccountId,
		digest: CommitmentDigest,
	) -> DispatchResult {
		let commitment =
			RegistrationCommitments::<T>::take(who, digest).ok_or(Error::<T>::UnknownCommitment)?;
		Self::release_commitment_deposit(who, commitment.deposit);
		Self::deposit_event(Event::RegistrationCommitmentCancelled { who: who.clone(), digest });
		Ok(())
	}

	/// Uses `registrant`'s commitment to register `content_hash` as `kind`, made before this
	/// block: removes it and releases its deposit.
	///
	/// # Errors
	/// [`CommitmentProblem::Missing`], [`CommitmentProblem::TooRecent`].
	pub(crate) fn take_commitment(
		kind: RegistrationKind,
		registrant: &T::AccountId,
		content_hash: &[u8; 32],
	) -> Result<(), CommitmentProblem> {
		let digest = registration_commitment(kind, registrant, content_hash);
		let commitment = RegistrationCommitments::<T>::get(registrant, digest)
			.ok_or(CommitmentProblem::Missing)?;
		let now = frame_system::Pallet::<T>::block_number();
		if commitment.committed_at >= now {
			return Err(CommitmentProblem::TooRecent);
		}
		RegistrationCommitments::<T>::remove(registrant, digest);
		Self::release_commitment_deposit(registrant, commitment.deposit);
		Ok(())
	}

	/// Releases a commitment's `deposit` to `who`; what is held for commitments is never less
	/// than the deposits recorded, so nothing is left behind.
	fn release_commitment_deposit(who: &T::AccountId, deposit: BalanceOf<T>) {
		let _ = T::Currency::release(
			&HoldReason::RegistrationCommitment.into(),
			who,
			deposit,
			Precision::BestEffort,
		);
	}

	/// Gives `dataset` to `new_owner`, burning its owner's deposit and holding a fresh one
	/// from `new_owner`.
	///
	/// # Errors
	/// [`Error::UnknownDataset`], [`Error::AlreadyOwner`], [`Error::CannotHoldDeposit`].
	pub(crate) fn do_reassign_dataset(
		dataset: DatasetId,
		new_owner: T::AccountId,
	) -> DispatchResult {
		let mut record = Datasets::<T>::get(dataset).ok_or(Error::<T>::UnknownDataset)?;
		ensure!(record.owner != new_owner, Error::<T>::AlreadyOwner);
		let deposit = T::DatasetDeposit::get();
		T::Currency::hold(&HoldReason::DatasetDeposit.into(), &new_owner, deposit)
			.map_err(|_| Error::<T>::CannotHoldDeposit)?;
		let forfeited = T::Currency::burn_held(
			&HoldReason::DatasetDeposit.into(),
			&record.owner,
			record.deposit,
			Precision::BestEffort,
			Fortitude::Force,
		)?;
		let from = core::mem::replace(&mut record.owner, new_owner.clone());
		record.deposit = deposit;
		Datasets::<T>::insert(dataset, record);
		Self::deposit_event(Event::DatasetReassigned { dataset, from, to: new_owner, forfeited });
		Ok(())
	}

	/// Removes an expired or revoked `license` and releases its deposit to its depositor.
	///
	/// # Errors
	/// [`Error::UnknownLicense`], [`Error::LicenseStillValid`].
	pub(crate) fn do_clear_license(license: LicenseId) -> DispatchResult {
		let record = Licenses::<T>::get(license).ok_or(Error::<T>::UnknownLicense)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			matches!(
				Self::status_of(&record, now),
				LicenseStatus::Expired | LicenseStatus::Revoked
			),
			Error::<T>::LicenseStillValid
		);
		T::Currency::release(
			&HoldReason::LicenseDeposit.into(),
			&record.depositor,
			record.deposit,
			Precision::BestEffort,
		)?;
		Datasets::<T>::mutate(record.dataset, |maybe| {
			if let Some(dataset) = maybe {
				dataset.live_licenses = dataset.live_licenses.saturating_sub(1);
			}
		});
		LicensesByHolder::<T>::remove(&record.holder, license);
		Licenses::<T>::remove(license);
		Self::deposit_event(Event::LicenseCleared { license });
		Ok(())
	}

	/// Checks `offers` and pairs them with licensee counts (carried over by index from
	/// `previous`).
	///
	/// # Errors
	/// [`Error::NoOffers`], [`Error::NoAllowedUse`], [`Error::RoyaltyTooHigh`],
	/// [`Error::ZeroDuration`], [`Error::InvalidSpdx`].
	pub(crate) fn validate_offers(
		offers: OffersOf<T>,
		previous: Option<&DatasetOffersOf<T>>,
	) -> Result<DatasetOffersOf<T>, DispatchError> {
		ensure!(!offers.is_empty(), Error::<T>::NoOffers);
		let mut checked = BoundedVec::new();
		for (index, terms) in offers.into_iter().enumerate() {
			ensure!(!terms.allowed_uses.is_empty(), Error::<T>::NoAllowedUse);
			ensure!(terms.royalty_bps <= MAX_ROYALTY_BPS, Error::<T>::RoyaltyTooHigh);
			ensure!(terms.duration.is_none_or(|d| !d.is_zero()), Error::<T>::ZeroDuration);
			ensure!(
				!terms.spdx.is_empty() && terms.spdx.iter().all(|b| b.is_ascii_graphic()),
				Error::<T>::InvalidSpdx
			);
			let licensees = previous.and_then(|p| p.get(index)).map_or(0, |o| o.licensees);
			// `offers` and `checked` share the bound, so this cannot fail.
			checked.try_push(Offer { terms, licensees }).map_err(|_| Error::<T>::NoOffers)?;
		}
		Ok(checked)
	}

	/// The status of `license` at block `at`.
	pub(crate) fn status_of(license: &LicenseOf<T>, at: BlockNumberFor<T>) -> LicenseStatus {
		if license.revoked.as_ref().is_some_and(|(block, _)| *block <= at) {
			return LicenseStatus::Revoked;
		}
		if at < license.start {
			return LicenseStatus::NotYetValid;
		}
		if license.expiry.is_some_and(|expiry| at >= expiry) {
			return LicenseStatus::Expired;
		}
		let dataset_retired = Datasets::<T>::get(license.dataset).is_none_or(|d| d.retired);
		LicenseStatus::Valid { dataset_retired }
	}

	/// The status of license `license` at block `at`.
	pub fn license_status(license: LicenseId, at: BlockNumberFor<T>) -> LicenseStatus {
		Licenses::<T>::get(license).map_or(LicenseStatus::Unknown, |l| Self::status_of(&l, at))
	}

	/// Up to `limit` (at most [`runtime_api::MAX_PAGE_SIZE`]) license ids of `holder`, after
	/// `start_after` when given, in id order of their storage keys.
	pub fn licenses_of(
		holder: &T::AccountId,
		start_after: Option<LicenseId>,
		limit: u32,
	) -> alloc::vec::Vec<LicenseId> {
		let limit = limit.min(runtime_api::MAX_PAGE_SIZE) as usize;
		let iter = match start_after {
			Some(last) => LicensesByHolder::<T>::iter_key_prefix_from(
				holder,
				LicensesByHolder::<T>::hashed_key_for(holder, last),
			),
			None => LicensesByHolder::<T>::iter_key_prefix(holder),
		};
		iter.take(limit).collect()
	}

	/// Checks the pallet's invariants: held deposits equal the recorded ones, indexes agree
	/// with the records, license counts match.
	#[cfg(any(test, feature = "try-runtime"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		let mut held: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut licenses_per_dataset: BTreeMap<DatasetId, u32> = BTreeMap::new();
		for (id, license) in Licenses::<T>::iter() {
			ensure!(
				LicensesByHolder::<T>::contains_key(&license.holder, id),
				"license missing from its holder's index"
			);
			ensure!(Datasets::<T>::contains_key(license.dataset), "license of a removed dataset");
			*licenses_per_dataset.entry(license.dataset).or_default() += 1;
			let entry = held.entry(license.depositor.clone()).or_default();
			*entry = entry.saturating_add(license.deposit);
		}
		for (holder, id, ()) in LicensesByHolder::<T>::iter() {
			ensure!(
				Licenses::<T>::get(id).is_some_and(|l| l.holder == holder),
				"holder index lists a license the holder does not hold"
			);
		}
		Self::ensure_held(
			HoldReason::LicenseDeposit,
			&held,
			"license deposits differ from the held balance",
		)?;
		let mut dataset_deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (id, dataset) in Datasets::<T>::iter() {
			ensure!(
				DatasetByHash::<T>::get(dataset.content_hash) == Some(id),
				"content-hash index out of step"
			);
			ensure!(
				dataset.live_licenses == licenses_per_dataset.get(&id).copied().unwrap_or(0),
				"live license count out of step"
			);
			ensure!(id < NextDatasetId::<T>::get(), "dataset id above the counter");
			let entry = dataset_deposits.entry(dataset.owner.clone()).or_default();
			*entry = entry.saturating_add(dataset.deposit);
		}
		Self::ensure_held(
			HoldReason::DatasetDeposit,
			&dataset_deposits,
			"dataset deposits differ from the held balance",
		)?;
		ensure!(
			DatasetByHash::<T>::iter().count() == Datasets::<T>::iter().count(),
			"content-hash index holds removed datasets"
		);
		let mut commitment_deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (who, _, commitment) in RegistrationCommitments::<T>::iter() {
			let entry = commitment_deposits.entry(who).or_default();
			*entry = entry.saturating_add(commitment.deposit);
		}
		Self::ensure_held(
			HoldReason::RegistrationCommitment,
			&commitment_deposits,
			"registration commitment deposits differ from the held balance",
		)
	}

	/// Checks that each account in `recorded` holds exactly its recorded total for `reason`.
	#[cfg(any(test, feature = "try-runtime"))]
	fn ensure_held(
		reason: HoldReason,
		recorded: &alloc::collections::btree_map::BTreeMap<T::AccountId, BalanceOf<T>>,
		mismatch: &'static str,
	) -> Result<(), sp_runtime::TryRuntimeError> {
		use frame_support::traits::fungible::InspectHold;
		let reason = reason.into();
		for (who, total) in recorded {
			ensure!(T::Currency::balance_on_hold(&reason, who) == *total, mismatch);
		}
		Ok(())
	}
}
