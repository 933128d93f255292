//! Lineage queries: ancestors and descendants with edge kinds, upstream datasets with license
//! status, the standing of a lineage at a block, royalty recipients, children and evaluations
//! page by page. Used by the runtime API and, through [`ModelInspect`], by other pallets.

use super::*;
use alloc::{
	collections::{BTreeMap, BTreeSet, VecDeque},
	vec::Vec,
};
use frame_support::traits::Get;
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_data_licensing::{DatasetInspect, LicenseInspect, LicenseStatus, LicenseUse};

/// The most entries one page of a query returns.
pub const MAX_PAGE_SIZE: u32 = 256;

impl<T: Config> Pallet<T> {
	/// The edges found walking from `model` toward its parents or its children, breadth first,
	/// at most `max_depth` (capped at `MaxLineageDepth`) steps; each edge once. Of that walk's
	/// edges, in order, the page of at most `limit` (capped at [`MAX_PAGE_SIZE`]) starting at
	/// position `start`: the walk is deterministic for a given state, so pages read at one block
	/// fit together. Empty for an unknown model.
	pub fn lineage(
		model: ModelId,
		direction: Direction,
		max_depth: u32,
		start: u32,
		limit: u32,
	) -> Vec<LineageEdge> {
		let Some(record) = Models::<T>::get(model) else { return Vec::new() };
		let upstream = match direction {
			Direction::Ancestors => Upstreams::<T>::get(model).unwrap_or_default(),
			Direction::Descendants => Default::default(),
		};
		Self::walk(model, &record, &upstream, direction, max_depth, start, limit)
	}

	/// A page of `model`'s lineage, as [`Self::lineage`], with the lineage's standing at the
	/// current block. Toward the ancestors this reads the model's record, its upstream set and
	/// the revocation index (one summary entry per 2^20 ids, and only those chunks that hold a
	/// revocation), not one record per ancestor. `None` for an unknown model.
	pub fn lineage_page(
		model: ModelId,
		direction: Direction,
		max_depth: u32,
		start: u32,
		limit: u32,
	) -> Option<LineagePage> {
		let record = Models::<T>::get(model)?;
		let upstream = Upstreams::<T>::get(model).unwrap_or_default();
		let now = frame_system::Pallet::<T>::block_number();
		let edges = Self::walk(model, &record, &upstream, direction, max_depth, start, limit);
		let revoked = Self::indexed_revoked(upstream.ancestors.iter().map(|a| a.model));
		let problems = Self::problems_of(&record, &upstream, None, now, false, |ancestor| {
			revoked.contains(&ancestor)
		});
		let status = if problems.is_empty() {
			LineageStatus::Clean
		} else {
			LineageStatus::Problems(problems)
		};
		Some(LineagePage { edges, status })
	}

	/// The breadth-first walk behind [`Self::lineage`] from `model` (whose record is `record`).
	/// Toward the ancestors every parent edge comes from `record` and `upstream`, `model`'s
	/// upstream set; toward the descendants from the child index.
	fn walk(
		model: ModelId,
		record: &ModelOf<T>,
		upstream: &UpstreamOf<T>,
		direction: Direction,
		max_depth: u32,
		start: u32,
		limit: u32,
	) -> Vec<LineageEdge> {
		let max_depth = max_depth.min(T::MaxLineageDepth::get());
		let limit = limit.min(MAX_PAGE_SIZE) as usize;
		let mut edges = Vec::new();
		if limit == 0 {
			return edges;
		}
		let parents_of: BTreeMap<ModelId, &Parents> = match direction {
			Direction::Ancestors => upstream
				.ancestors
				.iter()
				.map(|ancestor| (ancestor.model, &ancestor.parents))
				.chain(core::iter::once((model, &record.parents)))
				.collect(),
			Direction::Descendants => BTreeMap::new(),
		};
		// Edges of the walk before `start` are counted, not kept.
		let mut skip = start as usize;
		let mut visited = BTreeSet::from([model]);
		let mut queue = VecDeque::from([(model, 0u32)]);
		while let Some((current, distance)) = queue.pop_front() {
			if distance >= max_depth {
				continue;
			}
			let next = distance + 1;
			let wanted = skip.saturating_add(limit - edges.len());
			let neighbours: Vec<(ModelId, EdgeKind)> = match direction {
				Direction::Ancestors => parents_of
					.get(&current)
					.map(|parents| parents.iter().map(|e| (e.parent, e.kind)).collect())
					.unwrap_or_default(),
				Direction::Descendants => {
					Children::<T>::iter_prefix(current).take(wanted).collect()
				},
			};
			for (other, kind) in neighbours {
				let (child, parent) = match direction {
					Direction::Ancestors => (current, other),
					Direction::Descendants => (other, current),
				};
				if skip > 0 {
					skip -= 1;
				} else {
					edges.push(LineageEdge { child, parent, kind, distance: next });
					if edges.len() >= limit {
						return edges;
					}
				}
				if visited.insert(other) {
					queue.push_back((other, next));
				}
			}
		}
		edges
	}

	/// Of `models`, those the revocation index holds revoked, reading each summary entry and
	/// each chunk with a revocation in it at most once.
	fn indexed_revoked(models: impl IntoIterator<Item = ModelId>) -> BTreeSet<ModelId> {
		let mut groups: BTreeMap<u64, Option<RevocationBits>> = BTreeMap::new();
		let mut chunks: BTreeMap<u64, Option<RevocationBits>> = BTreeMap::new();
		models
			.into_iter()
			.filter(|model| {
				let at = RevocationBits::index_position(*model);
				let group_bits =
					groups.entry(at.group).or_insert_with(|| RevokedChunks::<T>::get(at.group));
				group_bits.is_some_and(|bits| bits.contains(at.chunk_offset))
					&& chunks
						.entry(at.chunk)
						.or_insert_with(|| RevokedModels::<T>::get(at.chunk))
						.is_some_and(|bits| bits.contains(at.offset))
			})
			.collect()
	}

	/// Up to `limit` (capped at [`MAX_PAGE_SIZE`]) children of `model` with their edge kinds,
	/// after `start_after` when given, in storage-key order.
	pub fn children(
		model: ModelId,
		start_after: Option<ModelId>,
		limit: u32,
	) -> Vec<(ModelId, EdgeKind)> {
		let limit = limit.min(MAX_PAGE_SIZE) as usize;
		match start_after {
			Some(last) => {
				Children::<T>::iter_prefix_from(model, Children::<T>::hashed_key_for(model, last))
					.take(limit)
					.collect()
			},
			None => Children::<T>::iter_prefix(model).take(limit).collect(),
		}
	}

	/// Every dataset whose data shaped `model`'s weights (its own and its ancestors'), with the
	/// license it was used under and that license's status at block `at`. `None` for an unknown
	/// model.
	pub fn upstream_datasets(
		model: ModelId,
		at: BlockNumberFor<T>,
	) -> Option<Vec<UpstreamDataset>> {
		let upstream = Upstreams::<T>::get(model)?;
		Some(
			upstream
				.licenses
				.iter()
				.map(|(dataset, license)| UpstreamDataset {
					dataset: *dataset,
					license: *license,
					status: T::Licenses::status(*license, at),
				})
				.collect(),
		)
	}

	/// Whether a model in `status` is revoked as of block `at`.
	fn revoked_by(status: &ModelStatus<BlockNumberFor<T>>, at: BlockNumberFor<T>) -> bool {
		matches!(status, ModelStatus::Revoked { at: when, .. } if *when <= at)
	}

	/// What is wrong with `model`'s lineage at block `at`: itself or an ancestor revoked by then,
	/// an upstream license not valid then, or (with `use_`) one not allowing `use_`. Stops at the
	/// first problem when `first_only`. `None` for an unknown model.
	pub(crate) fn problems(
		model: ModelId,
		use_: Option<LicenseUse>,
		at: BlockNumberFor<T>,
		first_only: bool,
	) -> Option<Vec<LineageProblem>> {
		let record = Models::<T>::get(model)?;
		let upstream = Upstreams::<T>::get(model).unwrap_or_default();
		Some(Self::problems_of(&record, &upstream, use_, at, first_only, |ancestor| {
			Models::<T>::get(ancestor).is_none_or(|a| Self::revoked_by(&a.status, at))
		}))
	}

	/// [`Self::problems`] of the model whose record is `record` and upstream set `upstream`;
	/// `ancestor_revoked` tells whether an ancestor is revoked (or gone) at `at`.
	fn problems_of(
		record: &ModelOf<T>,
		upstream: &UpstreamOf<T>,
		use_: Option<LicenseUse>,
		at: BlockNumberFor<T>,
		first_only: bool,
		mut ancestor_revoked: impl FnMut(ModelId) -> bool,
	) -> Vec<LineageProblem> {
		let mut problems = Vec::new();
		if Self::revoked_by(&record.status, at) {
			problems.push(LineageProblem::Revoked);
			if first_only {
				return problems;
			}
		}
		for ancestor in upstream.ancestors.iter() {
			if ancestor_revoked(ancestor.model) {
				problems.push(LineageProblem::AncestorRevoked(ancestor.model));
				if first_only {
					return problems;
				}
			}
		}
		for (_, license) in upstream.licenses.iter() {
			let problem =
				if !matches!(T::Licenses::status(*license, at), LicenseStatus::Valid { .. }) {
					Some(LineageProblem::LicenseInvalid(*license))
				} else if use_.is_some_and(|use_| {
					!T::Licenses::allowed_uses(*license).is_some_and(|uses| uses.allows(use_))
				}) {
					Some(LineageProblem::UseNotAllowed(*license))
				} else {
					None
				};
			if let Some(problem) = problem {
				problems.push(problem);
				if first_only {
					return problems;
				}
			}
		}
		problems
	}

	/// The standing of `model`'s lineage at block `at`: every problem, each once.
	pub fn lineage_status(model: ModelId, at: BlockNumberFor<T>) -> LineageStatus {
		match Self::problems(model, None, at, false) {
			None => LineageStatus::UnknownModel,
			Some(problems) if problems.is_empty() => LineageStatus::Clean,
			Some(problems) => LineageStatus::Problems(problems),
		}
	}

	/// Who is owed royalties on an inference of `model` and how much: its owner and every
	/// ancestor's owner by their models' royalties, and the owner of every dataset upstream by
	/// its license's royalty. Each model and each dataset counts once, however many paths lead to
	/// it (a dataset licensed twice upstream counts at its highest royalty); an account owed for
	/// several is listed once with the sum. In order of first appearance; zero shares left out.
	/// Empty for an unknown model.
	pub fn royalties(model: ModelId) -> Vec<RoyaltyRecipient<T::AccountId>> {
		let Some(record) = Models::<T>::get(model) else { return Vec::new() };
		let upstream = Upstreams::<T>::get(model).unwrap_or_default();
		let mut shares: Vec<(T::AccountId, u32)> = Vec::new();
		// Each account's place in `shares`: adding is O(log n), not a scan of the shares.
		let mut places: BTreeMap<T::AccountId, usize> = BTreeMap::new();
		let mut add = |account: T::AccountId, bps: u16| {
			if bps == 0 {
				return;
			}
			match places.get(&account).and_then(|place| shares.get_mut(*place)) {
				Some((_, total)) => *total = total.saturating_add(bps.into()),
				None => {
					places.insert(account.clone(), shares.len());
					shares.push((account, bps.into()));
				},
			}
		};
		add(record.owner, record.terms.royalty_bps);
		for ancestor in upstream.ancestors {
			add(ancestor.owner, ancestor.royalty_bps);
		}
		let mut by_dataset: BTreeMap<pallet_data_licensing::DatasetId, (T::AccountId, u16)> =
			BTreeMap::new();
		let mut order = Vec::new();
		for (dataset, license) in upstream.licenses.iter() {
			let Some((owner, bps)) = T::Datasets::royalty(*license) else { continue };
			match by_dataset.get_mut(dataset) {
				Some(entry) => entry.1 = entry.1.max(bps),
				None => {
					order.push(*dataset);
					by_dataset.insert(*dataset, (owner, bps));
				},
			}
		}
		for dataset in order {
			if let Some((owner, bps)) = by_dataset.remove(&dataset) {
				add(owner, bps);
			}
		}
		shares.into_iter().map(|(account, bps)| RoyaltyRecipient { account, bps }).collect()
	}

	/// Up to `limit` (capped at [`MAX_PAGE_SIZE`]) evaluations of `model`, after `start_after`
	/// when given, in storage-key order.
	pub fn evaluations(
		model: ModelId,
		start_after: Option<EvaluationId>,
		limit: u32,
	) -> Vec<(EvaluationId, EvaluationOf<T>)> {
		let limit = limit.min(MAX_PAGE_SIZE) as usize;
		match start_after {
			Some(last) => Evaluations::<T>::iter_prefix_from(
				model,
				Evaluations::<T>::hashed_key_for(model, last),
			)
			.take(limit)
			.collect(),
			None => Evaluations::<T>::iter_prefix(model).take(limit).collect(),
		}
	}
}
