//! The inference pallet's calls: a section of [`crate::pallet`].

use frame_support::pallet_macros::pallet_section;

/// The inference pallet's calls: a section of [`crate::pallet`].
#[pallet_section]
mod calls {
	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Post an inference job: the fee ceiling is held and `spec.redundancy` providers are
		/// assigned.
		///
		/// Origin must be signed; the caller pays.
		///
		/// - `model`: an active model whose lineage is clean and whose upstream licenses allow
		///   inference; with `spec.usage_license` where its terms require one.
		/// - `input`: `Inline`, a canonical tensor set fitting the model's inputs, at most 4 KiB
		///   encoded; or `Sealed`, the hashes and size of a sealed input blob and the requester's
		///   key for the outputs: only providers with an encryption key are assigned, each
		///   granted the content key, which the requester then delivers with
		///   [`Pallet::deliver_keys`].
		/// - `spec`: fee ceiling, redundancy (1 to 5), deadline (blocks; when that block's
		///   deadlines are full, the first of the next [`MAX_DEADLINE_SPILL`] with room),
		///   execution provider, tolerance.
		///
		/// Emits `JobRequested`.
		///
		/// Weight: O(p + k + d + a + l + i) in the providers registered for the execution
		/// provider, the redundancy, the full deadline blocks passed over, the model's ancestors
		/// and upstream licenses, and an inline input's size; charged for `MaxCandidates`,
		/// [`MAX_DEADLINE_SPILL`] and the largest lineage, refunded to what the request read.
		#[pallet::call_index(0)]
		#[pallet::weight(Pallet::<T>::request_weight(
			&functions::RequestWork {
				scanned: T::MaxCandidates::get(),
				redundancy: spec.redundancy,
				deadlines_skipped: MAX_DEADLINE_SPILL,
			},
			Pallet::<T>::largest_lineage(),
			input.inline_bytes(),
		))]
		pub fn request_job(
			origin: OriginFor<T>,
			model: ModelId,
			input: JobInput,
			spec: JobSpecOf<T>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let input_bytes = input.inline_bytes();
			let (_, work) = Self::do_request_job(who, model, input, spec)?;
			let lineage = T::Models::lineage_size(model);
			Ok(Some(Self::request_weight(&work, lineage, input_bytes)).into())
		}

		/// Submit a signed receipt for a job the caller is assigned to (or a referee of); settles
		/// the job when it is the last receipt expected and a majority agrees (otherwise the next
		/// block opens or resolves the dispute). Counts as the provider's heartbeat.
		///
		/// Origin must be signed by an assigned provider of an open job, or a referee of a job in
		/// dispute (whose receipt must name CPU), that has not answered yet.
		///
		/// - `output_hash`: SHA-256 of the canonical `outputs`.
		/// - `outputs`: the canonical encoded outputs, at most 16 KiB.
		/// - `checkpoints`: the run's checkpoint commitment (1 to 17 leaves, the last the output
		///   hash), which an audit's dispute reveals.
		/// - `execution_provider`, `runtime_version`, `elapsed_micros`: how it ran.
		/// - `salt`: the salt of the caller's commitment ([`Pallet::commit_receipt`]) for a job
		///   of more than one provider, whose receipts are revealed only in the reveal phase and
		///   must match their commitment; ignored for a one-provider job.
		///
		/// Emits `ReceiptSubmitted`, and the settlement events with the last receipt.
		///
		/// Weight: O(k · o + a + l) in the redundancy, the outputs' size, and the model's
		/// ancestors and upstream licenses (royalties); charged at the largest, refunded to the
		/// work done: a receipt that does not complete its job compares and pays nothing. Includes
		/// `OnJobSettled` when the receipt settles the job.
		#[pallet::call_index(1)]
		#[pallet::weight(Pallet::<T>::receipt_weight(
			MAX_OUTPUT_BYTES,
			MAX_REDUNDANCY,
			Some(Pallet::<T>::largest_lineage()),
		).saturating_add(T::OnJobSettled::weight()))]
		#[allow(clippy::too_many_arguments)]
		pub fn submit_receipt(
			origin: OriginFor<T>,
			job: JobId,
			output_hash: TensorSetHash,
			outputs: EncodedOutputs,
			checkpoints: Commitment,
			execution_provider: ExecutionProvider,
			runtime_version: RuntimeVersion,
			elapsed_micros: u64,
			salt: CommitmentSalt,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let (_, weight) = Self::do_submit_receipt(
				who,
				job,
				output_hash,
				ReceiptOutput::Inline(outputs),
				checkpoints,
				execution_provider,
				runtime_version,
				elapsed_micros,
				salt,
			)?;
			Ok(Some(weight).into())
		}

		/// Record a heartbeat of the caller's provider, as the compute registry's `heartbeat`
		/// does: what a provider node's offchain worker sends when one is due.
		///
		/// Origin must be signed by a registered provider.
		///
		/// Weight: O(1).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::heartbeat())]
		pub fn heartbeat(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			T::Providers::heartbeat(&who).map_err(|_| Error::<T>::NotProvider.into())
		}

		/// Prune a settled job whose retention period is over: its record and its receipts'
		/// outputs are removed, the requester's deposit is returned less the receipt record fee
		/// of each receipt, which stays (with its hashes and indexes) as provenance.
		///
		/// Origin must be signed; anyone may prune.
		///
		/// Emits `JobPruned`.
		///
		/// Weight: O(1), at the most receipts a job can have (inline or sealed).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::prune_job().max(T::WeightInfo::prune_sealed_job()))]
		pub fn prune_job(origin: OriginFor<T>, job: JobId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_prune_job(job)
		}

		/// Submit an auditor's result for a job it was drawn to audit: agreement with the
		/// receipt under the job's tolerance passes the audit and pays the auditor; disagreement
		/// opens the dispute's reveal stage. Counts as the auditor's heartbeat.
		///
		/// Origin must be signed by the audit's auditor while it waits for the result.
		///
		/// - `output_hash`, `outputs`, `checkpoints`, `execution_provider` (the job's),
		///   `runtime_version`, `elapsed_micros`: as for a receipt.
		///
		/// Emits `AuditAnswered`, then `AuditClosed` or `AuditDisputed`.
		///
		/// Weight: O(o) in the outputs' size (compared with the receipt's).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::submit_audit(outputs.len() as u32))]
		#[allow(clippy::too_many_arguments)]
		pub fn submit_audit(
			origin: OriginFor<T>,
			job: JobId,
			output_hash: TensorSetHash,
			outputs: EncodedOutputs,
			checkpoints: Commitment,
			execution_provider: ExecutionProvider,
			runtime_version: RuntimeVersion,
			elapsed_micros: u64,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_submit_audit(
				who,
				job,
				output_hash,
				audit::AuditOutputs::Inline(outputs),
				checkpoints,
				execution_provider,
				runtime_version,
				elapsed_micros,
			)
		}

		/// Reveal the leaves of the caller's checkpoint commitment in an audit's dispute; the
		/// second reveal finds the first leaf the parties disagree on and assigns a referee.
		///
		/// Origin must be signed by the audited provider or the auditor, once each.
		///
		/// - `leaves`: the leaves (1 to 17) hashing to the caller's commitment, the last its
		///   output hash.
		///
		/// Emits `CheckpointsRevealed`, and `CheckpointDiverged` (or `AuditClosed`) with the
		/// second.
		///
		/// Weight: O(p) in the providers scanned for a referee; charged for `MaxCandidates`,
		/// refunded to what was scanned.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::reveal_checkpoints(T::MaxCandidates::get()))]
		pub fn reveal_checkpoints(
			origin: OriginFor<T>,
			job: JobId,
			leaves: Leaves,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let scanned = Self::do_reveal_checkpoints(who, job, leaves)?;
			Ok(Some(T::WeightInfo::reveal_checkpoints(scanned)).into())
		}

		/// Post the tensors of the agreed checkpoint the referee's segment starts from: they
		/// must hash to the leaf both parties revealed before the diverging one. The caller's
		/// deposit (`JobDepositPerByte` per byte) is held until the audit closes.
		///
		/// Origin must be signed; anyone may post, once per dispute.
		///
		/// - `tensors`: a canonical tensor set, at most 2 MiB encoded.
		///
		/// Emits `SegmentInputPosted`.
		///
		/// Weight: O(b) in the encoded size.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::post_segment_input(tensors.encoded_size() as u32))]
		pub fn post_segment_input(
			origin: OriginFor<T>,
			job: JobId,
			tensors: TensorSet,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_post_segment_input(who, job, tensors)
		}

		/// Answer an audit's dispute as its referee: the hash of the re-run segment's output (or
		/// the commitment of a checkpointed run of the whole model, when the parties' leaf
		/// counts differ). The party it matches wins; the other is slashed. Counts as the
		/// referee's heartbeat.
		///
		/// Origin must be signed by the dispute's referee.
		///
		/// Emits `RefereeAnswered` and `AuditClosed`.
		///
		/// Weight: O(1).
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::submit_referee_answer())]
		pub fn submit_referee_answer(
			origin: OriginFor<T>,
			job: JobId,
			answer: RefereeAnswer,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_submit_referee_answer(who, job, answer)
		}

		/// Publish the caller's X25519 encryption key in the compute registry, as its
		/// `set_encryption_key` does: what a provider node's offchain worker sends for a key of
		/// its keystore (see [`encryption`]).
		///
		/// Origin must be signed by a registered provider that is not unbonding.
		///
		/// - `key`: an X25519 public key other than the current one, not of small order.
		///
		/// Emits the compute registry's `EncryptionKeySet`.
		///
		/// Weight: O(1).
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::publish_encryption_key())]
		pub fn publish_encryption_key(
			origin: OriginFor<T>,
			key: cairn_inference::seal::EncryptionPublicKey,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			T::Providers::set_encryption_key(&who, key).map(|_| ())
		}

		/// Set the caller's blob quota: how many bytes of sealed job data (ciphertext) it may
		/// keep in a node's blob store, uploaded through the node's `blob_put` JSON-RPC. The
		/// deposit (`JobDepositPerByte` per byte) is held, or released down to the new quota's;
		/// zero removes the quota and releases the whole deposit. Lowering the quota does not
		/// remove blobs a node holds already; it stops further uploads past it.
		///
		/// Origin must be signed.
		///
		/// - `bytes`: at most `MaxBlobQuota`.
		///
		/// Emits `BlobQuotaSet`.
		///
		/// Weight: O(1).
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::set_blob_quota())]
		pub fn set_blob_quota(origin: OriginFor<T>, bytes: u64) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_blob_quota(&who, bytes)
		}

		/// Deliver a sealed job's content key to parties granted it: each envelope wraps the
		/// key to the party's granted encryption key, bound to the job, the model, the party's
		/// account, the key's epoch and the party's role (see `docs/privacy.md`). The chain
		/// cannot open envelopes; a party whose envelope does not open reports
		/// `CannotDecrypt` with [`Pallet::report_unusable`].
		///
		/// Origin must be signed by the job's requester, while the job is live or, for its
		/// auditor and the audit's referee, while its audit is.
		///
		/// - `envelopes`: (party, envelope) for parties holding a grant not yet delivered.
		///
		/// Emits `KeysDelivered`.
		///
		/// Weight: O(n) in the envelopes (and an audit's record read after the job completed).
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::deliver_keys(envelopes.len() as u32)
			.max(T::WeightInfo::deliver_audit_key()))]
		pub fn deliver_keys(
			origin: OriginFor<T>,
			job: JobId,
			envelopes: BoundedVec<
				(T::AccountId, cairn_inference::seal::KeyEnvelope),
				ConstU32<MAX_KEY_GRANTS>,
			>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_deliver_keys(&who, job, envelopes)
		}

		/// Submit a signed receipt for a sealed job: as [`Pallet::submit_receipt`], but the
		/// outputs stay off chain, sealed to the requester's output key and served by the
		/// provider's node; the receipt names their plaintext hash and the sealed blob. Receipts
		/// of a sealed job agree when their output hashes are equal.
		///
		/// Origin must be signed by an assigned provider (or referee) of a live sealed job that
		/// has not answered yet.
		///
		/// - `output_hash`: SHA-256 of the canonical plaintext outputs.
		/// - `output`: the sealed output blob and its content key wrapped to the requester.
		/// - `checkpoints`, `execution_provider`, `runtime_version`, `elapsed_micros`, `salt`: as
		///   for a receipt.
		///
		/// Emits `ReceiptSubmitted`, and the settlement events with the last receipt.
		///
		/// Weight: O(k + a + l) in the redundancy and the model's ancestors and upstream
		/// licenses; charged at the largest, refunded to the work done.
		#[pallet::call_index(11)]
		#[pallet::weight(Pallet::<T>::sealed_receipt_weight(
			MAX_REDUNDANCY,
			Some(Pallet::<T>::largest_lineage()),
		).saturating_add(T::OnJobSettled::weight()))]
		#[allow(clippy::too_many_arguments)]
		pub fn submit_sealed_receipt(
			origin: OriginFor<T>,
			job: JobId,
			output_hash: TensorSetHash,
			output: cairn_inference::seal::SealedOutput,
			checkpoints: Commitment,
			execution_provider: ExecutionProvider,
			runtime_version: RuntimeVersion,
			elapsed_micros: u64,
			salt: CommitmentSalt,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let (_, weight) = Self::do_submit_receipt(
				who,
				job,
				output_hash,
				ReceiptOutput::Sealed(output),
				checkpoints,
				execution_provider,
				runtime_version,
				elapsed_micros,
				salt,
			)?;
			Ok(Some(weight).into())
		}

		/// Report that the caller cannot run a sealed job it is assigned to (or a referee of),
		/// for a named reason: no peer served the blob, the blob's hash did not match, the key
		/// or blob did not open, or the plaintext did not match the request. The report is the
		/// caller's answer: it is neither paid nor slashed for the job, and the job ends
		/// `Unusable` when every assigned provider reports. Counts as the caller's heartbeat.
		///
		/// Origin must be signed by an assigned provider (or referee) of a live sealed job that
		/// has not answered, after its content key was delivered.
		///
		/// Emits `InputUnusable`.
		///
		/// Weight: O(1).
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::report_unusable())]
		pub fn report_unusable(
			origin: OriginFor<T>,
			job: JobId,
			reason: cairn_inference::seal::UnusableReason,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_report_unusable(&who, job, reason)
		}

		/// Submit the auditor's result for a sealed job: as [`Pallet::submit_audit`], but the
		/// outputs stay off chain; the result agrees with the receipt when the output hashes
		/// are equal, or when the auditor found the outputs within the job's float tolerance.
		/// The auditor runs the job from its input, opened with the content key the requester
		/// delivered to it (`KeyRole::Auditor`), and opens the receipt's outputs with the key
		/// derived from it. Counts as the auditor's heartbeat.
		///
		/// Origin must be signed by the audit's auditor while it waits for the result.
		///
		/// - `output_hash`, `checkpoints`, `execution_provider` (the job's), `runtime_version`,
		///   `elapsed_micros`: as for a receipt.
		/// - `within_tolerance`: the receipt's outputs, differing by hash, agree with the
		///   auditor's under the job's tolerance (ignored for an exact tolerance).
		///
		/// Emits `AuditAnswered`, then `AuditClosed` or `AuditDisputed`.
		///
		/// Weight: O(1).
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::submit_sealed_audit())]
		#[allow(clippy::too_many_arguments)]
		pub fn submit_sealed_audit(
			origin: OriginFor<T>,
			job: JobId,
			output_hash: TensorSetHash,
			checkpoints: Commitment,
			execution_provider: ExecutionProvider,
			runtime_version: RuntimeVersion,
			elapsed_micros: u64,
			within_tolerance: bool,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_submit_audit(
				who,
				job,
				output_hash,
				audit::AuditOutputs::Sealed { within_tolerance },
				checkpoints,
				execution_provider,
				runtime_version,
				elapsed_micros,
			)
		}

		/// Register where a sealed blob can be fetched besides nodes' blob stores, an IPFS CID or
		/// URLs (the blob is ciphertext: any public host will do), or remove the caller's source
		/// with `None`. A deposit for the record is held while it stands. Nodes fetching a blob
		/// no peer serves try the sources of the requesters of the jobs that name it, verifying
		/// the bytes by hash and size.
		///
		/// Origin must be signed.
		///
		/// Emits `BlobSourceSet`.
		///
		/// Weight: O(1).
		#[pallet::call_index(15)]
		#[pallet::weight(T::WeightInfo::set_blob_source())]
		pub fn set_blob_source(
			origin: OriginFor<T>,
			blob: cairn_inference::seal::BlobHash,
			location: Option<cairn_inference::seal::BlobLocation>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_blob_source(&who, blob, location)
		}

		/// Attest which other parties' sealed outputs of a job agree with the caller's under the
		/// job's float tolerance, having opened them with keys derived from the job's content
		/// key. Two providers' outputs agree when each attested the other (or their hashes are
		/// equal); in a dispute, a referee's attestation judges the providers. Replaces the
		/// caller's earlier attestation. With every party answered and attested, the job settles
		/// now (a majority) or at the next block.
		///
		/// Origin must be signed by a provider of the live sealed job with a receipt (during a
		/// dispute, by a referee with a receipt).
		///
		/// - `agreeing`: the parties with receipts whose outputs agree with the caller's; empty
		///   when none does.
		///
		/// Emits `AgreementAttested`, and the settlement events when it completes a majority.
		///
		/// Weight: O(k + a + l) in the redundancy and the model's ancestors and upstream
		/// licenses; charged at the largest, refunded to the work done.
		#[pallet::call_index(14)]
		#[pallet::weight(Pallet::<T>::attestation_weight(
			MAX_REDUNDANCY,
			Some(Pallet::<T>::largest_lineage()),
		).saturating_add(T::OnJobSettled::weight()))]
		pub fn attest_agreement(
			origin: OriginFor<T>,
			job: JobId,
			agreeing: BoundedVec<T::AccountId, ConstU32<MAX_KEY_GRANTS>>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let weight = Self::do_attest_agreement(who, job, agreeing)?;
			Ok(Some(weight).into())
		}

		/// Commit to the caller's receipt for a job of more than one provider (or its dispute),
		/// before any receipt of the job's current phase is visible: `digest` is
		/// [`receipt_commitment`] of the job, the caller, the output hash, the checkpoint
		/// commitment and a secret salt. The receipt is revealed with the ordinary receipt call
		/// once every party of the phase has committed, or the phase's deadline has passed
		/// (`RevealPhaseOpened`); a commitment never revealed counts as silence. Counts as the
		/// provider's heartbeat.
		///
		/// Origin must be signed by an assigned provider of an open redundant job, or a referee
		/// of one in dispute, that has neither answered nor committed.
		///
		/// Emits `ReceiptCommitted`, and `RevealPhaseOpened` with the phase's last commitment.
		///
		/// Weight: O(k) in the parties of the phase, charged at the largest and refunded to the
		/// work done.
		#[pallet::call_index(16)]
		#[pallet::weight(T::WeightInfo::commit_receipt(MAX_REDUNDANCY))]
		pub fn commit_receipt(
			origin: OriginFor<T>,
			job: JobId,
			digest: CommitmentDigest,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let parties = Self::do_commit_receipt(who, job, digest)?;
			Ok(Some(T::WeightInfo::commit_receipt(parties.clamp(1, MAX_REDUNDANCY))).into())
		}
	}
}
