//! The inference pallet's errors: a section of [`crate::pallet`].

use frame_support::pallet_macros::pallet_section;

/// The inference pallet's errors: a section of [`crate::pallet`].
#[pallet_section]
mod errors {
	/// Errors of the inference pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// No such model.
		UnknownModel,
		/// The model is revoked.
		ModelRevoked,
		/// The model itself or an ancestor of it is revoked.
		UpstreamRevoked,
		/// A training-data license upstream of the model is expired or revoked.
		UpstreamLicenseInvalid,
		/// A training-data license upstream of the model does not allow inference.
		UpstreamLicenseForbidsInference,
		/// The model's terms require a usage license the requester does not hold valid.
		UsageLicenseRequired,
		/// The input is not a canonical tensor set (sorted, unique names, data matching shapes).
		InputNotCanonical,
		/// The encoded inline input is longer than 4 KiB: send it sealed.
		InputTooLarge,
		/// The input does not fit the model's registered inputs.
		InputMismatch,
		/// A redundancy of zero or above 5.
		InvalidRedundancy,
		/// A deadline of zero blocks or beyond `MaxDeadline`.
		InvalidDeadline,
		/// The deadlines of that block and of the [`MAX_DEADLINE_SPILL`] after it are full;
		/// choose another deadline.
		DeadlineFull,
		/// Fewer live eligible providers than the redundancy asks for.
		NotEnoughProviders,
		/// The fee ceiling does not cover the assigned providers' prices, a redundant job's referees
		/// (reserved at the highest of those prices each), the royalties and the audit fee.
		FeeTooLow,
		/// The requester cannot hold the fee ceiling and the job deposit.
		CannotHoldFee,
		/// No such job.
		UnknownJob,
		/// The job is settled.
		JobClosed,
		/// The caller is not assigned to the job.
		NotAssigned,
		/// The caller submitted a receipt for this job already.
		DuplicateReceipt,
		/// The outputs are not a canonical tensor set.
		OutputsNotCanonical,
		/// The outputs do not hash to the receipt's output hash.
		OutputHashMismatch,
		/// The receipt names another execution provider than the job requires (CPU, for a
		/// referee).
		WrongExecutionProvider,
		/// The job is in dispute: only its referees submit receipts now.
		InDispute,
		/// The caller is not a registered provider.
		NotProvider,
		/// An id counter is exhausted.
		IdsExhausted,
		/// The job is not settled yet, so it cannot be pruned.
		JobNotSettled,
		/// The job settled less than `RetentionPeriod` blocks ago.
		RetentionNotOver,
		/// A checkpoint commitment with no leaves or more than 17.
		InvalidCommitment,
		/// The job has no audit.
		NoAudit,
		/// The audit is not waiting for its auditor's result.
		NotAuditing,
		/// The caller is not the audit's auditor.
		NotAuditor,
		/// The audit is not in its reveal stage.
		NotRevealing,
		/// The caller is neither the audited provider nor the auditor.
		NotAuditParty,
		/// The caller revealed its checkpoints for this audit already.
		AlreadyRevealed,
		/// The revealed leaves do not hash to the caller's commitment.
		LeavesMismatch,
		/// The revealed leaves do not end in the caller's output hash.
		LeavesDoNotEndInOutput,
		/// The audit's referee does not start from a posted checkpoint (not refereeing, or its
		/// segment starts from the job's input).
		NoSegmentInputNeeded,
		/// The segment input was posted already.
		SegmentInputAlreadyPosted,
		/// The segment input is not a canonical tensor set.
		SegmentInputNotCanonical,
		/// The encoded segment input is longer than 2 MiB.
		SegmentInputTooLarge,
		/// The segment input does not hash to the agreed checkpoint leaf.
		SegmentInputMismatch,
		/// The caller cannot hold the segment input's deposit.
		CannotHoldDeposit,
		/// The audit is not waiting for a referee.
		NotRefereeing,
		/// The caller is not the audit's referee.
		NotReferee,
		/// The answer is of the other kind than the referee's task (a leaf for a segment, a
		/// commitment for the whole model).
		WrongRefereeAnswer,
		/// The job's audit is still going, so it cannot be pruned.
		UnderAudit,
		/// The blob quota is over `MaxBlobQuota`.
		BlobQuotaTooLarge,
		/// The caller cannot hold the deposit of the blob quota.
		CannotHoldQuotaDeposit,
		/// The sealed input's output key is not a usable X25519 key (a point of small order).
		InvalidOutputKey,
		/// The sealed input's blob is empty or larger than `MAX_SEALED_INPUT_BYTES`.
		InvalidSealedBlob,
		/// The caller is not the job's requester.
		NotRequester,
		/// The job's input is inline, not sealed.
		NotSealed,
		/// The job is sealed: its outputs are sealed too, and none of its tensors go on chain.
		JobIsSealed,
		/// The account holds no key grant for the job.
		NoKeyGrant,
		/// The content key was delivered to that party already.
		KeyAlreadyDelivered,
		/// The content key was not delivered to the caller yet.
		KeyNotDelivered,
		/// The sealed output blob is empty.
		InvalidSealedOutput,
		/// No longer returned (since spec 110 answers of an exact job computed on different
		/// platforms are compared under the floor, by attestation too); kept so that the errors
		/// after it keep their indexes.
		ToleranceIsExact,
		/// The caller has no receipt in the job's current phase (its providers, or the
		/// referees of its dispute).
		NotAnswered,
		/// An attestation names the caller, a party twice, or a party without a receipt in the
		/// job.
		InvalidAttestation,
		/// A blob location names neither a CID nor a URL, or a URL of a scheme nodes do not
		/// fetch (`https://`, `http://`, `ipfs://`).
		InvalidBlobSource,
		/// The account registered no source for this blob.
		NoBlobSource,
		/// The deposit of a blob source cannot be held.
		CannotHoldSourceDeposit,
		/// The job has one provider: its receipt is submitted without a commitment.
		NothingToCommit,
		/// The caller already committed to its receipt in the job's current phase.
		AlreadyCommitted,
		/// The reveal phase of the job's current phase is open: commitments are closed.
		RevealPhaseOpen,
		/// The job's receipts are committed first, and the caller made no commitment in its
		/// current phase.
		NotCommitted,
		/// The reveal phase of the job's current phase is not open yet: others are still to
		/// commit, and the deadline has not passed.
		RevealPhaseNotOpen,
		/// The receipt (its output hash, checkpoints and salt) does not match the caller's
		/// commitment.
		CommitmentMismatch,
	}
}
