//! The logic behind the calls: registration with its lineage and license checks, evaluations,
//! deprecation and revocation.

use super::*;
use alloc::{collections::BTreeSet, vec::Vec};
use codec::{Encode, MaxEncodedLen};
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision},
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_data_licensing::{
	DatasetId, DatasetInspect, LicenseId, LicenseInspect, LicenseStatus, LicenseUse,
};
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchError, DispatchResult,
};

/// What [`Pallet::check_parents`] finds: the depth, the parents as ancestors and their upstream
/// sets.
type ParentsChecked<T> =
	(u32, Vec<Ancestor<<T as frame_system::Config>::AccountId>>, Vec<UpstreamOf<T>>);

/// The largest royalty, in basis points.
pub const MAX_ROYALTY_BPS: u16 = 10_000;

/// Whether `bytes` is non-empty UTF-8.
fn is_text(bytes: &[u8]) -> bool {
	!bytes.is_empty() && core::str::from_utf8(bytes).is_ok()
}

impl<T: Config> Pallet<T> {
	/// Validates and registers a model owned by `owner`; returns its id. No registration
	/// commitment is used: this is for genesis and other pallets' test and benchmark setups;
	/// signed registrations go through [`Pallet::register_model`].
	///
	/// # Errors
	/// [`Error::DuplicateModelHash`], the file, name, interface and terms errors of
	/// [`Self::validate_description`], the parent errors of [`Self::check_parents`], the license
	/// errors of [`Self::check_license`], [`Error::DuplicateLicense`],
	/// [`Error::TooManyAncestors`], [`Error::TooManyUpstreamLicenses`],
	/// [`Error::CannotHoldDeposit`] and [`Error::IdsExhausted`].
	pub fn do_register_model(
		owner: T::AccountId,
		file: ModelFile,
		name: ModelName,
		interface: ModelInterface,
		terms: TermsOf<T>,
		parents: Parents,
		data: DataUses,
	) -> Result<ModelId, DispatchError> {
		ensure!(!ModelByHash::<T>::contains_key(file.sha256), Error::<T>::DuplicateModelHash);
		Self::validate_description(&file, &name, &interface, &terms)?;
		let (depth, direct, parent_upstreams) = Self::check_parents(&owner, &parents)?;

		let now = frame_system::Pallet::<T>::block_number();
		let mut listed = BTreeSet::new();
		for entry in data.iter() {
			ensure!(listed.insert(entry.license), Error::<T>::DuplicateLicense);
			Self::check_license(
				&owner,
				entry.dataset,
				entry.license,
				entry.purpose.license_use(),
				now,
			)?;
		}
		let upstream = Self::merge_upstream(direct, &parent_upstreams, &data)?;

		let id = NextModelId::<T>::get();
		NextModelId::<T>::put(id.checked_add(1).ok_or(Error::<T>::IdsExhausted)?);
		let mut model = Model {
			owner: owner.clone(),
			file,
			name,
			interface,
			terms,
			parents,
			data,
			depth,
			status: ModelStatus::Active,
			registered_at: now,
			deposit: Zero::zero(),
		};
		model.deposit = Self::model_deposit(&model, &upstream);
		T::Currency::hold(&HoldReason::ModelDeposit.into(), &owner, model.deposit)
			.map_err(|_| Error::<T>::CannotHoldDeposit)?;

		for edge in model.parents.iter() {
			Children::<T>::insert(edge.parent, id, edge.kind);
		}
		ModelByHash::<T>::insert(model.file.sha256, id);
		Upstreams::<T>::insert(id, upstream);
		Self::deposit_event(Event::ModelRegistered {
			model: id,
			owner,
			sha256: model.file.sha256,
			parents: model.parents.clone(),
			deposit: model.deposit,
		});
		Models::<T>::insert(id, model);
		Ok(id)
	}

	/// Checks the file, name, interface and terms of a registration.
	///
	/// # Errors
	/// [`Error::EmptyFile`], [`Error::InvalidCid`], [`Error::InvalidName`],
	/// [`Error::InvalidOpset`], [`Error::InvalidInterface`], [`Error::RoyaltyTooHigh`] and
	/// [`Error::UnknownRequiredDataset`].
	fn validate_description(
		file: &ModelFile,
		name: &ModelName,
		interface: &ModelInterface,
		terms: &TermsOf<T>,
	) -> DispatchResult {
		ensure!(file.size_bytes > 0, Error::<T>::EmptyFile);
		if let Some(cid) = &file.cid {
			ensure!(pallet_data_licensing::cid::is_valid_cid_v1(cid), Error::<T>::InvalidCid);
		}
		ensure!(is_text(name), Error::<T>::InvalidName);
		ensure!(interface.opset > 0, Error::<T>::InvalidOpset);
		for specs in [&interface.io.inputs, &interface.io.outputs] {
			let mut names = BTreeSet::new();
			ensure!(!specs.is_empty(), Error::<T>::InvalidInterface);
			for spec in specs.iter() {
				ensure!(
					is_text(&spec.name) && names.insert(&spec.name[..]),
					Error::<T>::InvalidInterface
				);
			}
		}
		ensure!(terms.royalty_bps <= MAX_ROYALTY_BPS, Error::<T>::RoyaltyTooHigh);
		if let Some(dataset) = terms.required_license {
			ensure!(T::Datasets::owner(dataset).is_some(), Error::<T>::UnknownRequiredDataset);
		}
		Ok(())
	}

	/// Checks the parents of a registration by `owner`; returns the new model's depth, the
	/// parents as ancestors and each parent's upstream set, in the parents' order.
	///
	/// # Errors
	/// [`Error::UnknownParent`], [`Error::ParentRevoked`], [`Error::DuplicateParent`],
	/// [`Error::RepeatedSingleParentKind`], [`Error::MergeNeedsTwoParents`],
	/// [`Error::DerivativesNotAllowed`], [`Error::OnlyConversionsAllowed`] and
	/// [`Error::LineageTooDeep`].
	fn check_parents(
		owner: &T::AccountId,
		parents: &Parents,
	) -> Result<ParentsChecked<T>, DispatchError> {
		let mut seen = BTreeSet::new();
		let mut single_kinds = BTreeSet::new();
		let mut merged = 0u32;
		let mut depth = 0u32;
		let mut direct = Vec::with_capacity(parents.len());
		let mut upstreams = Vec::with_capacity(parents.len());
		for edge in parents.iter() {
			ensure!(seen.insert(edge.parent), Error::<T>::DuplicateParent);
			if edge.kind.is_single_parent() {
				ensure!(single_kinds.insert(edge.kind), Error::<T>::RepeatedSingleParentKind);
			}
			if edge.kind == EdgeKind::MergedFrom {
				merged += 1;
			}
			let parent = Models::<T>::get(edge.parent).ok_or(Error::<T>::UnknownParent)?;
			ensure!(
				!matches!(parent.status, ModelStatus::Revoked { .. }),
				Error::<T>::ParentRevoked
			);
			if parent.owner != *owner {
				match parent.terms.derivatives {
					DerivativePolicy::Open => {},
					DerivativePolicy::ConversionsOnly => {
						ensure!(edge.kind.is_conversion(), Error::<T>::OnlyConversionsAllowed)
					},
					DerivativePolicy::OwnerOnly => Err(Error::<T>::DerivativesNotAllowed)?,
				}
			}
			depth = depth.max(parent.depth.saturating_add(1));
			upstreams.push(Upstreams::<T>::get(edge.parent).unwrap_or_default());
			direct.push(Ancestor {
				model: edge.parent,
				owner: parent.owner,
				royalty_bps: parent.terms.royalty_bps,
				parents: parent.parents,
			});
		}
		ensure!(merged != 1, Error::<T>::MergeNeedsTwoParents);
		ensure!(depth <= T::MaxLineageDepth::get(), Error::<T>::LineageTooDeep);
		Ok((depth, direct, upstreams))
	}

	/// Checks that `license` is `holder`'s license of `dataset`, valid at `now` and allowing
	/// `use_`.
	///
	/// # Errors
	/// [`Error::UnknownLicense`], [`Error::LicenseDatasetMismatch`], [`Error::NotLicenseHolder`],
	/// [`Error::LicenseNotYetValid`], [`Error::LicenseExpired`], [`Error::LicenseRevoked`] and
	/// [`Error::LicenseUseNotAllowed`].
	pub(crate) fn check_license(
		holder: &T::AccountId,
		dataset: DatasetId,
		license: LicenseId,
		use_: LicenseUse,
		now: BlockNumberFor<T>,
	) -> DispatchResult {
		let of = T::Licenses::dataset_of(license).ok_or(Error::<T>::UnknownLicense)?;
		ensure!(of == dataset, Error::<T>::LicenseDatasetMismatch);
		ensure!(
			T::Licenses::holder(license).as_ref() == Some(holder),
			Error::<T>::NotLicenseHolder
		);
		match T::Licenses::status(license, now) {
			LicenseStatus::Valid { .. } => {},
			LicenseStatus::NotYetValid => Err(Error::<T>::LicenseNotYetValid)?,
			LicenseStatus::Expired => Err(Error::<T>::LicenseExpired)?,
			LicenseStatus::Revoked => Err(Error::<T>::LicenseRevoked)?,
			LicenseStatus::Unknown => Err(Error::<T>::UnknownLicense)?,
		}
		ensure!(
			T::Licenses::allowed_uses(license).is_some_and(|uses| uses.allows(use_)),
			Error::<T>::LicenseUseNotAllowed
		);
		Ok(())
	}

	/// The upstream set of a new model: its parents, then their ancestors (nearest first), and
	/// the licenses of its own weight-shaping data, then its parents'; each entry once.
	///
	/// # Errors
	/// [`Error::TooManyAncestors`] and [`Error::TooManyUpstreamLicenses`].
	fn merge_upstream(
		direct: Vec<Ancestor<T::AccountId>>,
		parent_upstreams: &[UpstreamOf<T>],
		data: &DataUses,
	) -> Result<UpstreamOf<T>, DispatchError> {
		let mut upstream = UpstreamOf::<T>::default();
		let mut seen_models = BTreeSet::new();
		let inherited = parent_upstreams.iter().flat_map(|u| u.ancestors.iter().cloned());
		for ancestor in direct.into_iter().chain(inherited) {
			if seen_models.insert(ancestor.model) {
				upstream.ancestors.try_push(ancestor).map_err(|_| Error::<T>::TooManyAncestors)?;
			}
		}

		let mut seen_licenses = BTreeSet::new();
		let own = data
			.iter()
			.filter(|entry| entry.purpose.shapes_weights())
			.map(|entry| (entry.dataset, entry.license));
		let inherited = parent_upstreams.iter().flat_map(|u| u.licenses.iter().copied());
		for (dataset, license) in own.chain(inherited) {
			if seen_licenses.insert(license) {
				upstream
					.licenses
					.try_push((dataset, license))
					.map_err(|_| Error::<T>::TooManyUpstreamLicenses)?;
			}
		}
		Ok(upstream)
	}

	/// The deposit of a model: the base plus the per-byte rate for its record (with the status
	/// at its largest, so revocation needs no top-up), its upstream set and one byte, its share
	/// of the revocation index (an entry of 128 bytes per 1024 models).
	pub fn model_deposit(model: &ModelOf<T>, upstream: &UpstreamOf<T>) -> BalanceOf<T> {
		let bytes = model
			.encoded_size()
			.saturating_sub(model.status.encoded_size())
			.saturating_add(ModelStatus::<BlockNumberFor<T>>::max_encoded_len())
			.saturating_add(upstream.encoded_size())
			.saturating_add(1);
		let bytes: BalanceOf<T> = (bytes as u32).into();
		T::ModelDepositBase::get().saturating_add(T::DepositPerByte::get().saturating_mul(bytes))
	}

	/// Records an evaluation by `evaluator`; returns its id.
	///
	/// # Errors
	/// [`Error::UnknownModel`], [`Error::ModelRevoked`], [`Error::InvalidMetric`], the license
	/// errors of [`Self::check_license`], [`Error::UnknownReceipt`],
	/// [`Error::ReceiptOfOtherModel`], [`Error::DuplicateReceipt`],
	/// [`Error::CannotHoldDeposit`] and [`Error::IdsExhausted`].
	pub(crate) fn do_attest_evaluation(
		evaluator: T::AccountId,
		model: ModelId,
		dataset: DatasetId,
		license: LicenseId,
		metric: MetricName,
		value_micro: i64,
		receipts: BoundedVec<ReceiptId, MaxEvaluationReceipts>,
	) -> Result<EvaluationId, DispatchError> {
		let record = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(!matches!(record.status, ModelStatus::Revoked { .. }), Error::<T>::ModelRevoked);
		ensure!(is_text(&metric), Error::<T>::InvalidMetric);
		let now = frame_system::Pallet::<T>::block_number();
		Self::check_license(&evaluator, dataset, license, LicenseUse::Evaluation, now)?;
		let mut cited = BTreeSet::new();
		for receipt in receipts.iter() {
			ensure!(cited.insert(*receipt), Error::<T>::DuplicateReceipt);
			let ran = T::Receipts::model_of(*receipt).ok_or(Error::<T>::UnknownReceipt)?;
			ensure!(ran == record.file.sha256, Error::<T>::ReceiptOfOtherModel);
		}

		let deposit = T::EvaluationDeposit::get();
		T::Currency::hold(&HoldReason::EvaluationDeposit.into(), &evaluator, deposit)
			.map_err(|_| Error::<T>::CannotHoldDeposit)?;
		let id = NextEvaluationId::<T>::get();
		NextEvaluationId::<T>::put(id.checked_add(1).ok_or(Error::<T>::IdsExhausted)?);
		Self::deposit_event(Event::EvaluationAttested {
			model,
			evaluation: id,
			evaluator: evaluator.clone(),
			metric: metric.clone(),
			value_micro,
		});
		Evaluations::<T>::insert(
			model,
			id,
			Evaluation {
				evaluator,
				dataset,
				license,
				metric,
				value_micro,
				receipts,
				at: now,
				deposit,
			},
		);
		Ok(id)
	}

	/// Sets the URIs of `who`'s model `model`, holding or releasing the deposit difference.
	///
	/// # Errors
	/// [`Error::UnknownModel`], [`Error::NotOwner`], [`Error::ModelRevoked`],
	/// [`Error::InvalidUri`], [`Error::DuplicateUri`], and the currency's when the deposit
	/// cannot be held.
	pub(crate) fn do_set_model_sources(
		who: &T::AccountId,
		model: ModelId,
		uris: ModelUris,
	) -> DispatchResult {
		let record = Self::owned(who, model)?;
		ensure!(!matches!(record.status, ModelStatus::Revoked { .. }), Error::<T>::ModelRevoked);
		ensure!(uris.iter().all(|uri| is_fetchable_uri(uri)), Error::<T>::InvalidUri);
		for (index, uri) in uris.iter().enumerate() {
			ensure!(!uris[..index].contains(uri), Error::<T>::DuplicateUri);
		}
		let before = Sources::<T>::get(model).map(|sources| sources.deposit).unwrap_or_default();
		let deposit = if uris.is_empty() { Zero::zero() } else { Self::sources_deposit(&uris) };
		let reason = HoldReason::SourcesDeposit.into();
		if deposit > before {
			T::Currency::hold(&reason, who, deposit.saturating_sub(before))?;
		} else if before > deposit {
			T::Currency::release(&reason, who, before.saturating_sub(deposit), Precision::Exact)?;
		}
		if uris.is_empty() {
			Sources::<T>::remove(model);
		} else {
			Sources::<T>::insert(model, ModelSources { uris: uris.clone(), deposit });
		}
		Self::deposit_event(Event::ModelSourcesSet { model, uris, deposit });
		Ok(())
	}

	/// The deposit of a model's URIs: `DepositPerByte` for each byte of their encoding.
	pub fn sources_deposit(uris: &ModelUris) -> BalanceOf<T> {
		T::DepositPerByte::get().saturating_mul((uris.encoded_size() as u32).into())
	}

	/// Gives `model` to `new_owner`: burns its owner's deposit, holds as much from `new_owner`,
	/// and removes its URIs, returning their deposit.
	///
	/// # Errors
	/// [`Error::UnknownModel`], [`Error::AlreadyOwner`], [`Error::CannotHoldDeposit`].
	pub(crate) fn do_reassign_model(model: ModelId, new_owner: T::AccountId) -> DispatchResult {
		let mut record = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(record.owner != new_owner, Error::<T>::AlreadyOwner);
		let reason = HoldReason::ModelDeposit.into();
		T::Currency::hold(&reason, &new_owner, record.deposit)
			.map_err(|_| Error::<T>::CannotHoldDeposit)?;
		let forfeited = T::Currency::burn_held(
			&reason,
			&record.owner,
			record.deposit,
			Precision::BestEffort,
			Fortitude::Force,
		)?;
		if let Some(sources) = Sources::<T>::take(model) {
			T::Currency::release(
				&HoldReason::SourcesDeposit.into(),
				&record.owner,
				sources.deposit,
				Precision::BestEffort,
			)?;
		}
		let from = core::mem::replace(&mut record.owner, new_owner.clone());
		Models::<T>::insert(model, record);
		Self::deposit_event(Event::ModelReassigned { model, from, to: new_owner, forfeited });
		Ok(())
	}

	/// Sets `model`'s record of `ancestor`'s owner to its owner now.
	///
	/// # Errors
	/// [`Error::UnknownModel`], [`Error::NotAnAncestor`], [`Error::OwnerUpToDate`].
	pub(crate) fn do_refresh_ancestor_owner(model: ModelId, ancestor: ModelId) -> DispatchResult {
		let owner = Models::<T>::get(ancestor).ok_or(Error::<T>::UnknownModel)?.owner;
		Upstreams::<T>::try_mutate(model, |upstream| {
			let upstream = upstream.as_mut().ok_or(Error::<T>::UnknownModel)?;
			let entry = upstream
				.ancestors
				.iter_mut()
				.find(|entry| entry.model == ancestor)
				.ok_or(Error::<T>::NotAnAncestor)?;
			ensure!(entry.owner != owner, Error::<T>::OwnerUpToDate);
			entry.owner = owner.clone();
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(Event::AncestorOwnerRefreshed { model, ancestor, owner });
		Ok(())
	}

	/// Removes an evaluation of `who`'s and releases its deposit.
	///
	/// # Errors
	/// [`Error::UnknownEvaluation`] and [`Error::NotEvaluator`].
	pub(crate) fn do_withdraw_evaluation(
		who: &T::AccountId,
		model: ModelId,
		evaluation: EvaluationId,
	) -> DispatchResult {
		let record =
			Evaluations::<T>::get(model, evaluation).ok_or(Error::<T>::UnknownEvaluation)?;
		ensure!(record.evaluator == *who, Error::<T>::NotEvaluator);
		T::Currency::release(
			&HoldReason::EvaluationDeposit.into(),
			who,
			record.deposit,
			Precision::Exact,
		)?;
		Evaluations::<T>::remove(model, evaluation);
		Self::deposit_event(Event::EvaluationWithdrawn { model, evaluation });
		Ok(())
	}

	/// The model `model` if `who` owns it.
	///
	/// # Errors
	/// [`Error::UnknownModel`] and [`Error::NotOwner`].
	fn owned(who: &T::AccountId, model: ModelId) -> Result<ModelOf<T>, DispatchError> {
		let record = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(record.owner == *who, Error::<T>::NotOwner);
		Ok(record)
	}

	/// Marks `model` of `who` deprecated.
	///
	/// # Errors
	/// [`Error::UnknownModel`], [`Error::NotOwner`], [`Error::ModelRevoked`],
	/// [`Error::AlreadyDeprecated`] and [`Error::InvalidSuccessor`].
	pub(crate) fn do_deprecate_model(
		who: &T::AccountId,
		model: ModelId,
		successor: Option<ModelId>,
	) -> DispatchResult {
		let mut record = Self::owned(who, model)?;
		match record.status {
			ModelStatus::Active => {},
			ModelStatus::Deprecated { .. } => Err(Error::<T>::AlreadyDeprecated)?,
			ModelStatus::Revoked { .. } => Err(Error::<T>::ModelRevoked)?,
		}
		if let Some(next) = successor {
			ensure!(
				next != model && <Self as ModelInspect<_, _, _>>::is_active(next),
				Error::<T>::InvalidSuccessor
			);
		}
		record.status =
			ModelStatus::Deprecated { at: frame_system::Pallet::<T>::block_number(), successor };
		Models::<T>::insert(model, record);
		Self::deposit_event(Event::ModelDeprecated { model, successor });
		Ok(())
	}

	/// Marks `model` of `who` revoked; only its own record is written.
	///
	/// # Errors
	/// [`Error::UnknownModel`], [`Error::NotOwner`], [`Error::ModelRevoked`] and
	/// [`Error::InvalidReason`].
	pub(crate) fn do_revoke_model(
		who: &T::AccountId,
		model: ModelId,
		reason: RevocationReason,
	) -> DispatchResult {
		let mut record = Self::owned(who, model)?;
		ensure!(!matches!(record.status, ModelStatus::Revoked { .. }), Error::<T>::ModelRevoked);
		ensure!(is_text(&reason), Error::<T>::InvalidReason);
		record.status = ModelStatus::Revoked {
			at: frame_system::Pallet::<T>::block_number(),
			reason: reason.clone(),
		};
		Models::<T>::insert(model, record);
		Self::index_revocation(model);
		Self::deposit_event(Event::ModelRevoked { model, reason });
		Ok(())
	}

	/// Sets `model`'s bit in [`RevokedModels`] and its chunk's in [`RevokedChunks`].
	fn index_revocation(model: ModelId) {
		let at = RevocationBits::index_position(model);
		RevokedModels::<T>::mutate(at.chunk, |bits| {
			bits.get_or_insert_with(Default::default).insert(at.offset)
		});
		RevokedChunks::<T>::mutate(at.group, |bits| {
			bits.get_or_insert_with(Default::default).insert(at.chunk_offset)
		});
	}

	/// Checks the pallet's invariants: every edge points to an older model and is indexed,
	/// hashes and upstream sets exist for every model, depths and deposits are right, and held
	/// deposits equal the recorded ones.
	#[cfg(any(test, feature = "try-runtime"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::BTreeMap;
		use frame_support::traits::fungible::InspectHold;
		let mut model_deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut evaluation_deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut models = 0u64;
		for (id, model) in Models::<T>::iter() {
			models += 1;
			ensure!(id < NextModelId::<T>::get(), "model id at or above the counter");
			ensure!(ModelByHash::<T>::get(model.file.sha256) == Some(id), "hash index disagrees");
			let upstream = Upstreams::<T>::get(id).ok_or("model without upstream set")?;
			ensure!(Self::model_deposit(&model, &upstream) == model.deposit, "deposit disagrees");
			let mut depth = 0;
			for edge in model.parents.iter() {
				ensure!(edge.parent < id, "edge to a younger model: a cycle would be possible");
				ensure!(Children::<T>::get(edge.parent, id) == Some(edge.kind), "edge not indexed");
				let parent = Models::<T>::get(edge.parent).ok_or("edge to an unknown model")?;
				depth = depth.max(parent.depth + 1);
			}
			ensure!(depth == model.depth, "depth disagrees");
			ensure!(
				upstream.ancestors.iter().all(|a| a.model < id),
				"ancestor younger than its descendant"
			);
			for ancestor in upstream.ancestors.iter() {
				let record = Models::<T>::get(ancestor.model).ok_or("unknown ancestor")?;
				ensure!(record.parents == ancestor.parents, "ancestor's edges disagree");
			}
			let (chunk, offset) = RevocationBits::locate(id);
			let indexed = RevokedModels::<T>::get(chunk).is_some_and(|bits| bits.contains(offset));
			ensure!(
				indexed == matches!(model.status, ModelStatus::Revoked { .. }),
				"revocation index disagrees"
			);
			let entry = model_deposits.entry(model.owner.clone()).or_default();
			*entry = entry.saturating_add(model.deposit);
		}
		ensure!(ModelByHash::<T>::iter().count() as u64 == models, "stray hash index entries");
		ensure!(Upstreams::<T>::iter().count() as u64 == models, "stray upstream sets");
		for (chunk, bits) in RevokedModels::<T>::iter() {
			ensure!(!bits.is_empty(), "empty revocation index entry");
			for offset in bits.iter() {
				let id = chunk.saturating_mul(REVOCATION_SPAN).saturating_add(offset);
				ensure!(
					Models::<T>::get(id)
						.is_some_and(|m| matches!(m.status, ModelStatus::Revoked { .. })),
					"revocation index bit for a model not revoked"
				);
			}
			let (group, offset) = RevocationBits::locate(chunk);
			ensure!(
				RevokedChunks::<T>::get(group).is_some_and(|g| g.contains(offset)),
				"revocation chunk not in the summary"
			);
		}
		for (group, bits) in RevokedChunks::<T>::iter() {
			for offset in bits.iter() {
				let chunk = group.saturating_mul(REVOCATION_SPAN).saturating_add(offset);
				ensure!(RevokedModels::<T>::contains_key(chunk), "summary bit without a chunk");
			}
		}
		for (parent, child, kind) in Children::<T>::iter() {
			let edge = ParentEdge { parent, kind };
			ensure!(
				Models::<T>::get(child).is_some_and(|m| m.parents.contains(&edge)),
				"child index entry without an edge"
			);
		}
		for (_, id, evaluation) in Evaluations::<T>::iter() {
			ensure!(id < NextEvaluationId::<T>::get(), "evaluation id at or above the counter");
			let entry = evaluation_deposits.entry(evaluation.evaluator.clone()).or_default();
			*entry = entry.saturating_add(evaluation.deposit);
		}
		for (who, amount) in model_deposits {
			let held = T::Currency::balance_on_hold(&HoldReason::ModelDeposit.into(), &who);
			ensure!(held == amount, "model deposits held disagree");
		}
		for (who, amount) in evaluation_deposits {
			let held = T::Currency::balance_on_hold(&HoldReason::EvaluationDeposit.into(), &who);
			ensure!(held == amount, "evaluation deposits held disagree");
		}
		let mut sources_deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (id, sources) in Sources::<T>::iter() {
			let model = Models::<T>::get(id).ok_or("URIs of an unknown model")?;
			ensure!(!sources.uris.is_empty(), "an empty URI list is stored");
			ensure!(
				Self::sources_deposit(&sources.uris) == sources.deposit,
				"URI deposit disagrees"
			);
			let entry = sources_deposits.entry(model.owner).or_default();
			*entry = entry.saturating_add(sources.deposit);
		}
		for (who, amount) in sources_deposits {
			let held = T::Currency::balance_on_hold(&HoldReason::SourcesDeposit.into(), &who);
			ensure!(held == amount, "URI deposits held disagree");
		}
		Ok(())
	}
}
