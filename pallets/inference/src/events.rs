//! The inference pallet's events: a section of [`crate::pallet`].

use frame_support::pallet_macros::pallet_section;

/// The inference pallet's events: a section of [`crate::pallet`].
#[pallet_section]
mod events {
	/// Events of the inference pallet.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A job was posted and assigned.
		JobRequested {
			/// The job.
			job: JobId,
			/// Who pays.
			requester: T::AccountId,
			/// The model.
			model: ModelId,
			/// SHA-256 of the canonical input.
			input_hash: TensorSetHash,
			/// The providers assigned.
			providers: BoundedVec<T::AccountId, ConstU32<MAX_REDUNDANCY>>,
			/// The fee held.
			fee_held: BalanceOf<T>,
			/// The storage deposit held.
			deposit: BalanceOf<T>,
			/// The block the job settles after at the latest: the one asked for, or one of the
			/// next [`MAX_DEADLINE_SPILL`] when its deadlines were full.
			deadline_at: BlockNumberFor<T>,
		},
		/// A provider's signed receipt was accepted.
		ReceiptSubmitted {
			/// The receipt.
			receipt: ReceiptId,
			/// The job.
			job: JobId,
			/// The provider.
			provider: T::AccountId,
			/// SHA-256 of the canonical outputs.
			output_hash: TensorSetHash,
		},
		/// A provider was paid for a job.
		ProviderPaid {
			/// The job.
			job: JobId,
			/// The provider.
			provider: T::AccountId,
			/// The amount.
			amount: BalanceOf<T>,
		},
		/// A royalty was paid up the model's lineage.
		RoyaltyPaid {
			/// The job.
			job: JobId,
			/// The recipient (model owner or dataset licensor).
			recipient: T::AccountId,
			/// The amount.
			amount: BalanceOf<T>,
		},
		/// A job was settled.
		JobSettled {
			/// The job.
			job: JobId,
			/// How it ended.
			status: JobStatus,
			/// SHA-256 of the accepted outputs, when a majority agreed.
			output_hash: Option<TensorSetHash>,
			/// Paid to providers.
			paid: BalanceOf<T>,
			/// Paid in royalties.
			royalties: BalanceOf<T>,
			/// Returned to the requester.
			refunded: BalanceOf<T>,
		},
		/// A provider whose receipt disagreed with the majority (or with a dispute's referees)
		/// was slashed to the audit pot.
		ProviderOutvoted {
			/// The job.
			job: JobId,
			/// The provider.
			provider: T::AccountId,
			/// The amount slashed.
			slashed: BalanceOf<T>,
		},
		/// No majority agreed: CPU referees were assigned to re-run the job.
		DisputeOpened {
			/// The job.
			job: JobId,
			/// The referees.
			referees: BoundedVec<T::AccountId, ConstU32<MAX_REFEREES>>,
			/// The last block their receipts are accepted in.
			deadline: BlockNumberFor<T>,
		},
		/// A job run by one provider paid its audit fee into the audit pot.
		AuditFeeCharged {
			/// The job.
			job: JobId,
			/// The fee.
			amount: BalanceOf<T>,
		},
		/// A drawn audit found no auditor (none eligible and free, or no room for its step) and
		/// looks again at the start of the block after `at`.
		AuditDeferred {
			/// The job.
			job: JobId,
			/// The block of its next step.
			at: BlockNumberFor<T>,
		},
		/// A drawn audit that no auditor could serve was given up and its fee refunded to the
		/// requester.
		AuditFeeRefunded {
			/// The job.
			job: JobId,
			/// The fee refunded.
			amount: BalanceOf<T>,
		},
		/// The draw decided whether a completed job is audited.
		AuditDrawn {
			/// The job.
			job: JobId,
			/// Whether it is.
			audited: bool,
		},
		/// A job that would have been audited is not.
		AuditSkipped {
			/// The job.
			job: JobId,
			/// Why.
			reason: AuditSkipReason,
		},
		/// An auditor was assigned to re-run a job.
		AuditOpened {
			/// The job.
			job: JobId,
			/// The provider whose receipt is audited.
			provider: T::AccountId,
			/// The auditor.
			auditor: T::AccountId,
			/// The last block its result is accepted in.
			deadline: BlockNumberFor<T>,
		},
		/// The auditor's result is in.
		AuditAnswered {
			/// The job.
			job: JobId,
			/// The auditor.
			auditor: T::AccountId,
			/// SHA-256 of its outputs.
			output_hash: TensorSetHash,
			/// Whether they agree with the receipt's under the job's tolerance.
			agrees: bool,
		},
		/// The auditor's outputs disagreed: both parties reveal their checkpoints.
		AuditDisputed {
			/// The job.
			job: JobId,
			/// SHA-256 of the provider's outputs.
			provider_output: TensorSetHash,
			/// SHA-256 of the auditor's outputs.
			auditor_output: TensorSetHash,
			/// The last block reveals are accepted in.
			deadline: BlockNumberFor<T>,
		},
		/// A party of an audit's dispute revealed the leaves of its commitment.
		CheckpointsRevealed {
			/// The job.
			job: JobId,
			/// Which party.
			party: AuditParty,
			/// How many leaves.
			leaves: u32,
		},
		/// Both parties revealed: the chain found what they first disagree on and assigned a
		/// referee to re-run it.
		CheckpointDiverged {
			/// The job.
			job: JobId,
			/// What the referee re-runs: one segment, or the whole model when the leaf counts
			/// differ.
			task: RefereeTask,
			/// The referee.
			referee: T::AccountId,
			/// The last block its answer is accepted in.
			deadline: BlockNumberFor<T>,
		},
		/// The agreed checkpoint a referee's segment starts from was posted.
		SegmentInputPosted {
			/// The job.
			job: JobId,
			/// The checkpoint (the segment's number less one).
			checkpoint: u32,
			/// Who posted it.
			poster: T::AccountId,
			/// Its encoded size.
			bytes: u32,
		},
		/// A dispute's referee answered.
		RefereeAnswered {
			/// The job.
			job: JobId,
			/// The referee.
			referee: T::AccountId,
			/// Its answer.
			answer: RefereeAnswer,
		},
		/// An auditor or referee was paid from the audit pot.
		AuditRewardPaid {
			/// The job.
			job: JobId,
			/// Who was paid.
			recipient: T::AccountId,
			/// The amount.
			amount: BalanceOf<T>,
		},
		/// An audit ended.
		AuditClosed {
			/// The job.
			job: JobId,
			/// How.
			verdict: AuditVerdict,
			/// The party slashed and the amount, when one was.
			slashed: Option<(T::AccountId, BalanceOf<T>)>,
		},
		/// An account set its blob quota (zero: none) and the deposit held for it.
		BlobQuotaSet {
			/// The account.
			account: T::AccountId,
			/// The quota in bytes.
			bytes: u64,
			/// The deposit held now.
			deposit: BalanceOf<T>,
		},
		/// The requester of a sealed job delivered its content key, wrapped, to parties granted
		/// it.
		KeysDelivered {
			/// The job.
			job: JobId,
			/// The parties it was delivered to.
			recipients: BoundedVec<T::AccountId, ConstU32<MAX_KEY_GRANTS>>,
		},
		/// An assigned party reported that it cannot run a sealed job.
		InputUnusable {
			/// The job.
			job: JobId,
			/// The party.
			provider: T::AccountId,
			/// Why.
			reason: cairn_inference::seal::UnusableReason,
		},
		/// A party assigned to a job (provider, referee, auditor) stayed silent through a
		/// deadline that others met, and was slashed to the audit pot.
		SilenceSlashed {
			/// The job.
			job: JobId,
			/// The silent party.
			party: T::AccountId,
			/// The amount slashed.
			slashed: BalanceOf<T>,
		},
		/// A provider assigned to a sealed job whose content key was never delivered to it was
		/// compensated its price from the requester's held fee.
		ProviderCompensated {
			/// The job.
			job: JobId,
			/// The provider.
			provider: T::AccountId,
			/// The amount.
			amount: BalanceOf<T>,
		},
		/// A party of a sealed job attested which other parties' outputs agree with its own
		/// under the job's tolerance.
		AgreementAttested {
			/// The job.
			job: JobId,
			/// The attesting party.
			party: T::AccountId,
			/// The parties whose outputs agree with the attesting party's.
			agreeing: BoundedVec<T::AccountId, ConstU32<MAX_KEY_GRANTS>>,
		},
		/// An account registered (or, with `location` `None`, removed) a source of a sealed
		/// blob.
		BlobSourceSet {
			/// The blob's hash.
			blob: cairn_inference::seal::BlobHash,
			/// The account.
			account: T::AccountId,
			/// Where the blob can be fetched, or `None` when removed.
			location: Option<cairn_inference::seal::BlobLocation>,
			/// The deposit now held for it.
			deposit: BalanceOf<T>,
		},
		/// A sealed job's differing outputs formed no majority: its parties may compare them
		/// and attest agreement until `until`, when the job settles (or its dispute resolves).
		AgreementWindowOpened {
			/// The job.
			job: JobId,
			/// The block whose start settles the job.
			until: BlockNumberFor<T>,
		},
		/// A party of a redundant job committed to its receipt, not yet revealed.
		ReceiptCommitted {
			/// The job.
			job: JobId,
			/// The party.
			party: T::AccountId,
		},
		/// The reveal phase of a redundant job's current phase opened: its committed parties
		/// reveal their receipts until `until`, when the phase settles (or its dispute resolves).
		RevealPhaseOpened {
			/// The job.
			job: JobId,
			/// The block whose start settles the phase at the latest.
			until: BlockNumberFor<T>,
		},
		/// A settled job past its retention period was pruned; its receipt records stay.
		JobPruned {
			/// The job.
			job: JobId,
			/// The deposit returned to the requester.
			refunded: BalanceOf<T>,
			/// The receipt record fees burned from the deposit.
			burned: BalanceOf<T>,
		},
	}
}
