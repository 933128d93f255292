//! The adversarial simulation of the job market (`docs/security.md`): honest, cheating and
//! silent providers, providers on another runtime build, honest requesters and requesters
//! attacking with their own Sybil providers, thousands of inline jobs through the real calls
//! and hooks of the mock runtime (commitments, reveals, settlement, disputes, audits and their
//! bisection). Each strategy's profit and loss is reported; `scripts/simulate.sh` runs it and
//! writes `docs/bench/integrity.json`. Ignored by `cargo test`: it is a measurement.

use crate::{mock::*, *};
use cairn_inference::{checkpoints::Leaves, Commitment, ExecutionProvider, TensorSet};
use frame_support::traits::fungible::{InspectHold, Mutate};
use std::collections::BTreeMap;

/// A party's strategy.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Strategy {
	/// Runs every job it is given, on the reference build.
	HonestProvider,
	/// Runs every job honestly on another ONNX Runtime build, whose floats differ in the last
	/// bits (1e-6 relative).
	OtherBuildProvider,
	/// Never runs a model: answers garbage, as provider, auditor or referee.
	CheatingProvider,
	/// Takes jobs and never answers.
	SilentProvider,
	/// Requests single- and three-provider jobs and takes what comes.
	HonestRequester,
	/// Requests three-provider jobs; its own Sybil providers answer the same garbage whenever two
	/// of them are assigned one (honestly otherwise), to outvote an honest provider.
	SybilRequester,
	/// Requests two-provider jobs; its Sybil provider stays silent on them, to leave the job
	/// without a majority and the result free.
	WithholdingRequester,
	/// Requests two-provider jobs demanding bit-exact agreement, hoping providers on different
	/// builds are slashed.
	ExactRequester,
}

impl Strategy {
	/// Whether a provider of this strategy runs the model when it answers.
	fn runs(self) -> bool {
		matches!(self, Strategy::HonestProvider | Strategy::OtherBuildProvider)
	}

	/// Whether this is an attack (its profit must not be positive).
	fn adversarial(self) -> bool {
		!matches!(
			self,
			Strategy::HonestProvider | Strategy::OtherBuildProvider | Strategy::HonestRequester
		)
	}
}

/// What an honest run costs a provider (compute, power): half the price of a job.
const RUN_COST: Balance = PRICE / 2;

/// What a correct result of a `k`-provider job costs in an honest market: `k` prices, their
/// royalties and, for one provider, the audit fee.
fn honest_cost(k: u32) -> Balance {
	let paid = Balance::from(k) * PRICE;
	let (tune, base, data) = royalties(paid);
	paid + tune + base + data + if k == 1 { Inference::audit_fee(PRICE) } else { 0 }
}

/// The garbage a cheater answers.
fn garbage() -> TensorSet {
	output([0.0, 0.0, 0.0])
}

/// The tiny model's output on another build: 1e-6 relative off, inside the floor.
fn other_build_output() -> TensorSet {
	output([27.000_027, -7.500_007, 11.500_011])
}

/// The checkpoint leaves of a run answering `outputs`: one checkpoint, then the outputs.
fn leaves_of(outputs: &TensorSet) -> Leaves {
	let first = if *outputs == garbage() { [0xbb; 32] } else { [0xcc; 32] };
	vec![first, outputs.hash()].try_into().unwrap()
}

/// The world: who plays what, and what they did.
#[derive(Default)]
struct World {
	/// The strategy whose accounts play honestly in this run (the counterfactual of that
	/// strategy): its providers run and answer, its Sybils answer honestly, its requests stay.
	honest: Option<Strategy>,
	/// Each account's strategy (a Sybil provider plays its requester's).
	strategy: BTreeMap<AccountId, Strategy>,
	/// The Sybil providers of each attacking requester.
	sybils: BTreeMap<AccountId, Vec<AccountId>>,
	/// Honest runs each account performed.
	runs: BTreeMap<AccountId, u64>,
	/// Jobs requested per requester.
	jobs: BTreeMap<AccountId, u64>,
	/// Answers given per account.
	answers: BTreeMap<AccountId, u64>,
	/// Each job requested: its requester and redundancy.
	requested: BTreeMap<JobId, (AccountId, u32)>,
	/// The output hash each settled job settled with.
	settled: BTreeMap<JobId, Option<cairn_inference::TensorSetHash>>,
}

impl World {
	/// The strategy of `who`.
	fn of(&self, who: &AccountId) -> Strategy {
		self.strategy.get(who).copied().unwrap_or(Strategy::HonestProvider)
	}

	/// The Sybil owner of provider `who`, if any.
	fn owner_of(&self, who: &AccountId) -> Option<AccountId> {
		self.sybils.iter().find(|(_, s)| s.contains(who)).map(|(owner, _)| *owner)
	}

	/// What `who` answers in job `job` (as provider or referee), with the build it ran;
	/// `None` when it stays silent.
	fn answer(&self, who: &AccountId, job: &JobOf<Test>) -> Option<(TensorSet, &'static [u8])> {
		let honest = Some((tiny_output(), &b"1.31.1"[..]));
		if self.of(who) == Strategy::OtherBuildProvider {
			return Some((other_build_output(), &b"1.32.0"[..]));
		}
		let strategy = self.owner_of(who).map_or(self.of(who), |owner| self.of(&owner));
		if self.honest == Some(strategy) {
			return honest;
		}
		if let Some(owner) = self.owner_of(who) {
			if job.requester != owner {
				return honest;
			}
			return match self.of(&owner) {
				Strategy::WithholdingRequester => None,
				Strategy::SybilRequester => {
					let mine = Inference::phase_of(job)
						.iter()
						.filter(|a| self.sybils[&owner].contains(&a.provider))
						.count();
					if mine >= 2 {
						Some((garbage(), &b"1.31.1"[..]))
					} else {
						honest
					}
				},
				_ => honest,
			};
		}
		match self.of(who) {
			Strategy::OtherBuildProvider => Some((other_build_output(), &b"1.32.0"[..])),
			Strategy::CheatingProvider => Some((garbage(), &b"1.31.1"[..])),
			Strategy::SilentProvider => None,
			_ => honest,
		}
	}

	/// Counts an answer of `who`, and its run when it ran the model.
	fn answered(&mut self, who: &AccountId, outputs: &TensorSet) {
		*self.answers.entry(*who).or_default() += 1;
		if *outputs != garbage() {
			*self.runs.entry(*who).or_default() += 1;
		}
	}
}

/// The salt `who` commits to its receipt for `job` with.
fn salt(who: &AccountId, job: JobId) -> CommitmentSalt {
	let mut salt = who.0;
	salt[..8].copy_from_slice(&job.to_le_bytes());
	salt
}

/// Records the jobs settled since the last call, with their output hashes, and clears the
/// events (the mock's blocks keep them otherwise, and reading them all every block is slow).
fn record_settlements(world: &mut World) {
	for record in System::events() {
		if let RuntimeEvent::Inference(Event::JobSettled { job, output_hash, .. }) = record.event {
			world.settled.insert(job, output_hash);
		}
	}
	System::reset_events();
}

/// Whether `hash` is a correct answer: the reference build's or another build's within the floor.
fn correct(hash: &Option<cairn_inference::TensorSetHash>) -> bool {
	*hash == Some(tiny_output().hash()) || *hash == Some(other_build_output().hash())
}

/// Everything `who` owns: free, held and bonded.
fn wealth(who: &AccountId) -> Balance {
	Balances::free_balance(who) + Balances::total_balance_on_hold(who)
}

/// Registers provider `who`, funded, at [`PRICE`], with `runtime`.
fn register(who: AccountId, runtime: &[u8]) {
	let _ = Balances::set_balance(&who, FUNDS);
	let profile = pallet_compute_registry::ProviderProfile {
		onnxruntime_version: runtime.to_vec().try_into().unwrap(),
		..profile()
	};
	assert!(ComputeRegistry::register(RuntimeOrigin::signed(who), profile, BOND).is_ok());
}

/// Every live assignment and audit task of `who`, answered by its strategy.
fn act(world: &mut World, who: AccountId) {
	let jobs: Vec<JobId> = AssignedJobs::<Test>::iter_key_prefix(who).collect();
	for job_id in jobs {
		let Some(job) = Jobs::<Test>::get(job_id).filter(|job| job.status.is_live()) else {
			continue;
		};
		let Some((outputs, runtime)) = world.answer(&who, &job) else { continue };
		let checkpoints = Commitment::of(&leaves_of(&outputs));
		let salt = salt(&who, job_id);
		let ep = if job.status == JobStatus::Disputed {
			ExecutionProvider::Cpu
		} else {
			job.spec.execution_provider
		};
		let reveal = || {
			Inference::submit_receipt(
				RuntimeOrigin::signed(who),
				job_id,
				outputs.hash(),
				codec::Encode::encode(&outputs).try_into().unwrap(),
				checkpoints,
				ep,
				runtime.to_vec().try_into().unwrap(),
				42,
				salt,
			)
		};
		if !Inference::commits(&job) {
			if reveal().is_ok() {
				world.answered(&who, &outputs);
			}
		} else if !ReceiptCommitments::<Test>::contains_key(job_id, who) {
			let digest = receipt_commitment(job_id, &who, &outputs.hash(), &checkpoints, &salt);
			if Inference::commit_receipt(RuntimeOrigin::signed(who), job_id, digest).is_ok() {
				world.answered(&who, &outputs);
			}
		} else if Inference::reveal_open(job_id) {
			let _ = reveal();
		}
	}
	for job_id in Inference::audit_tasks_of(&who) {
		let (Some(audit), Some(job)) = (Audits::<Test>::get(job_id), Jobs::<Test>::get(job_id))
		else {
			continue;
		};
		let Some((outputs, runtime)) = world.answer(&who, &job) else { continue };
		match audit.stage {
			AuditStage::Auditing if audit.auditor == Some(who) => {
				let leaves = leaves_of(&outputs);
				let done = Inference::submit_audit(
					RuntimeOrigin::signed(who),
					job_id,
					outputs.hash(),
					codec::Encode::encode(&outputs).try_into().unwrap(),
					Commitment::of(&leaves),
					job.spec.execution_provider,
					runtime.to_vec().try_into().unwrap(),
					42,
				);
				if done.is_ok() {
					world.answered(&who, &outputs);
				}
			},
			AuditStage::Revealing => {
				// Each party reveals the leaves it committed to.
				let party =
					if who == audit.provider { AuditParty::Provider } else { AuditParty::Auditor };
				if RevealedLeaves::<Test>::contains_key(job_id, party) {
					continue;
				}
				let committed = match party {
					AuditParty::Provider => {
						let receipt = Receipts::<Test>::get(audit.receipt).unwrap();
						let outputs = if receipt.output_hash == garbage().hash() {
							garbage()
						} else if receipt.output_hash == other_build_output().hash() {
							other_build_output()
						} else {
							tiny_output()
						};
						leaves_of(&outputs)
					},
					AuditParty::Auditor => leaves_of(&outputs),
				};
				let _ =
					Inference::reveal_checkpoints(RuntimeOrigin::signed(who), job_id, committed);
			},
			AuditStage::Refereeing { task, referee } if referee == who => {
				let leaves = leaves_of(&outputs);
				let answer = match task {
					RefereeTask::Segment(at) => RefereeAnswer::Leaf(leaves[at as usize]),
					RefereeTask::Checkpoints => RefereeAnswer::Checkpoints(Commitment::of(&leaves)),
				};
				if Inference::submit_referee_answer(RuntimeOrigin::signed(who), job_id, answer)
					.is_ok()
				{
					world.answered(&who, &outputs);
				}
			},
			_ => {},
		}
	}
}

/// One strategy's result in one run.
#[derive(Clone, Copy)]
struct Outcome {
	/// The strategy.
	strategy: Strategy,
	/// Its accounts (a requester's with its Sybil providers).
	accounts: usize,
	/// Jobs it requested (requesters).
	jobs: u64,
	/// Answers it gave (providers, and requesters' Sybils).
	answers: u64,
	/// Its profit and loss: the change in its wealth, less what its honest runs cost, plus
	/// what the correct results it requested would cost in an honest market (a requester
	/// profits only by getting correct results for less).
	pnl: i128,
}

/// Plays `rounds` rounds of the market, every attacker attacking but those of `honest`, which
/// play honestly (its counterfactual); each strategy's outcome, the jobs requested, those still
/// live at the end and the audit pot's change.
fn play(rounds: u64, honest: Option<Strategy>) -> (Vec<Outcome>, u64, usize, i128) {
	let mut ext = new_test_ext().0;
	let mut setup = None;
	ext.execute_with(|| {
		AuditRate::set(sp_runtime::Perbill::from_percent(5));
		let (model, _) = lineage();
		let mut world = World { honest, ..Default::default() };
		let mut providers: Vec<AccountId> = providers();
		for p in providers.clone() {
			world.strategy.insert(p, Strategy::HonestProvider);
		}
		let groups: [(core::ops::RangeInclusive<u8>, Strategy, &[u8]); 4] = [
			(20..=31, Strategy::HonestProvider, b"1.31.1"),
			(32..=35, Strategy::OtherBuildProvider, b"1.32.0"),
			(40..=43, Strategy::CheatingProvider, b"1.31.1"),
			(44..=45, Strategy::SilentProvider, b"1.31.1"),
		];
		for (range, strategy, runtime) in groups {
			for n in range {
				register(acc(n), runtime);
				world.strategy.insert(acc(n), strategy);
				providers.push(acc(n));
			}
		}
		let requesters = [
			(acc(1), Strategy::HonestRequester, Vec::new()),
			(acc(5), Strategy::SybilRequester, (50..=52).map(acc).collect::<Vec<_>>()),
			(acc(6), Strategy::WithholdingRequester, (53..=54).map(acc).collect()),
			(acc(7), Strategy::ExactRequester, Vec::new()),
		];
		for (who, strategy, sybils) in &requesters {
			let _ = Balances::set_balance(who, FUNDS);
			world.strategy.insert(*who, *strategy);
			for sybil in sybils {
				register(*sybil, b"1.31.1");
				providers.push(*sybil);
			}
			world.sybils.insert(*who, sybils.clone());
		}
		let everyone: Vec<AccountId> = world
			.strategy
			.keys()
			.copied()
			.chain(world.sybils.values().flatten().copied())
			.collect();
		let start: BTreeMap<AccountId, Balance> =
			everyone.iter().map(|a| (*a, wealth(a))).collect();
		let pot_start = wealth(&Inference::audit_pot());
		setup = Some((world, providers, requesters, model, start, pot_start));
	});
	let (mut world, providers, requesters, model, start, pot_start) =
		setup.expect("the market was set up");
	let fee = |k: u32| {
		let reserved = Balance::from(k + DISPUTE_REFEREES) * PRICE;
		let (t, b, d) = royalties(reserved);
		reserved + t + b + d + Inference::audit_fee(PRICE)
	};
	let mut block = 1;
	// In chunks, each committed to the backend: an overlay of thousands of blocks' changes
	// makes every storage iteration slower.
	for chunk in (0..rounds).collect::<Vec<_>>().chunks(25) {
		ext.execute_with(|| {
			for &round in chunk {
				for (who, strategy, _) in &requesters {
					let k = match strategy {
						Strategy::HonestRequester => {
							if round % 2 == 0 {
								1
							} else {
								3
							}
						},
						Strategy::SybilRequester => 3,
						_ => 2,
					};
					let id = NextJobId::<Test>::get();
					let requested = Inference::request_job(
						RuntimeOrigin::signed(*who),
						model,
						input([1.0, 2.0, 3.0, 4.0]).into(),
						job_spec(fee(k), k),
					);
					if requested.is_ok() {
						world.requested.insert(id, (*who, k));
						*world.jobs.entry(*who).or_default() += 1;
					}
				}
				for _ in 0..2 {
					for who in providers.clone() {
						act(&mut world, who);
					}
					record_settlements(&mut world);
					block += 1;
					run_to_block(block);
					if block % 40 == 0 {
						for who in &providers {
							let _ = ComputeRegistry::heartbeat(RuntimeOrigin::signed(*who));
						}
					}
				}
			}
		});
		ext.commit_all().expect("the overlay commits");
	}
	let mut result = None;
	ext.execute_with(|| {
		// Let every job, dispute and audit end.
		for _ in 0..60 {
			for who in providers.clone() {
				act(&mut world, who);
			}
			record_settlements(&mut world);
			block += 1;
			run_to_block(block);
		}
		let live = Jobs::<Test>::iter().filter(|(_, job)| job.status.is_live()).count();

		let mut outcomes: Vec<Outcome> = Vec::new();
		let strategies: std::collections::BTreeSet<Strategy> =
			world.strategy.values().copied().collect();
		for strategy in strategies {
			let mut accounts: Vec<AccountId> =
				world.strategy.iter().filter(|(_, s)| **s == strategy).map(|(a, _)| *a).collect();
			let owned: Vec<AccountId> = accounts
				.iter()
				.flat_map(|a| world.sybils.get(a).cloned().unwrap_or_default())
				.collect();
			accounts.extend(owned);
			let delta: i128 = accounts.iter().map(|a| wealth(a) as i128 - start[a] as i128).sum();
			let runs: u64 = accounts.iter().map(|a| world.runs.get(a).copied().unwrap_or(0)).sum();
			// What the correct results it requested are worth: their cost in an honest market.
			let value: i128 = world
				.requested
				.iter()
				.filter(|(job, (requester, _))| {
					accounts.contains(requester) && world.settled.get(*job).is_some_and(correct)
				})
				.map(|(_, (_, k))| i128::from(honest_cost(*k)))
				.sum();
			outcomes.push(Outcome {
				strategy,
				accounts: accounts.len(),
				jobs: accounts.iter().map(|a| world.jobs.get(a).copied().unwrap_or(0)).sum(),
				answers: accounts.iter().map(|a| world.answers.get(a).copied().unwrap_or(0)).sum(),
				pnl: delta - i128::from(runs) * RUN_COST as i128 + value,
			});
		}
		let pot = wealth(&Inference::audit_pot()) as i128 - pot_start as i128;
		result = Some((outcomes, world.jobs.values().sum(), live, pot));
	});
	result.expect("the simulation ran")
}

#[test]
#[ignore = "a measurement: scripts/simulate.sh runs it and writes the report"]
fn adversarial_market_simulation() {
	let rounds: u64 =
		std::env::var("CAIRN_SIM_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(600);
	let (attacked, jobs, live, pot) = play(rounds, None);
	// Each attack against the same market with only its own accounts playing honestly.
	let honest: Vec<Outcome> = attacked
		.iter()
		.map(|o| match o.strategy.adversarial() {
			true => play(rounds, Some(o.strategy))
				.0
				.into_iter()
				.find(|c| c.strategy == o.strategy)
				.expect("every strategy plays"),
			false => Outcome { pnl: o.pnl, ..*o },
		})
		.collect();
	let mut json = format!(
		"{{\"jobs\": {jobs}, \"rounds\": {rounds}, \"live_at_end\": {live}, \"price\": {PRICE}, \"run_cost\": {RUN_COST}, \"audit_pot_delta\": {pot}, \"strategies\": ["
	);
	let mut failures = Vec::new();
	for (i, (o, h)) in attacked.iter().zip(&honest).enumerate() {
		assert_eq!(o.strategy, h.strategy);
		let gain = o.pnl - h.pnl;
		if i > 0 {
			json.push_str(", ");
		}
		json.push_str(&format!(
			"{{\"strategy\": \"{:?}\", \"adversarial\": {}, \"accounts\": {}, \"jobs\": {}, \"answers\": {}, \"pnl\": {}, \"honest_pnl\": {}, \"gain\": {}}}",
			o.strategy,
			o.strategy.adversarial(),
			o.accounts,
			o.jobs,
			o.answers,
			o.pnl,
			h.pnl,
			gain
		));
		if o.strategy.adversarial() && gain > 0 {
			failures.push(format!("{:?} gains {gain} by attacking", o.strategy));
		}
		if o.strategy.runs() && o.pnl <= 0 {
			failures.push(format!("{:?} loses {}", o.strategy, o.pnl));
		}
	}
	json.push_str("]}");
	println!("{json}");
	if let Ok(path) = std::env::var("CAIRN_SIM_OUT") {
		std::fs::write(path, &json).unwrap();
	}
	assert!(failures.is_empty(), "{failures:?}");
}
