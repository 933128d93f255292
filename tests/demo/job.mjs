// The development chain's demo, run by scripts/dev.sh once the node is up: a sealed inference job
// on the genesis demo lineage's fine-tune (Eve's fine-tune of Charlie's tiny model, trained and
// fine-tuned on Dave's licensed dataset). Ferdie seals his input with the client library
// (client/jobs.mjs) and uploads it to the node's blob store; the chain sees only hashes; he
// delivers the content key wrapped to Alice's encryption key; Alice's offchain worker fetches and
// opens the input, runs the model, seals the outputs to Ferdie and submits a receipt naming only
// hashes; Ferdie fetches and opens the outputs. Then the settlement: Alice's pay, the royalties
// up the lineage and the refund.
//
//   node tests/demo/job.mjs [ws://127.0.0.1:9944]

import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { deliverKeys, modelHash, openOutputs, sealInput, send, serveAudit } from '../../client/jobs.mjs';
import { collectInferenceEvents, demoLineage, eventOf, f32Tensors, f32Values, jobSpec, UNIT } from '../lib/jobs.mjs';

const url = process.argv[2] ?? 'ws://127.0.0.1:9944';
const say = (line) => console.log(`[demo] ${line}`);
const cairn = (amount) => `${(Number(amount) / Number(UNIT)).toFixed(6)} CAIRN`;

const provider = new WsProvider(url);
const api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true });
try {
  const keyring = new Keyring({ type: 'sr25519' });
  const [alice, charlie, dave, eve, ferdie] = ['//Alice', '//Charlie', '//Dave', '//Eve', '//Ferdie'].map((u) => keyring.addFromUri(u));
  const names = new Map([alice, charlie, dave, eve, ferdie].map((who, i) => [who.address, ['Alice', 'Charlie', 'Dave', 'Eve', 'Ferdie'][i]]));
  const name = (account) => names.get(account.toString()) ?? account.toString();
  const demo = await demoLineage(api);
  const model = demo.tuned;
  say(`genesis lineage: dataset 0 (Dave) → model ${demo.base} (Charlie, trained under license ${demo.trainingLicense}) → model ${model} (Eve's fine-tune, license ${demo.fineTuningLicense})`);

  // A deposit for the sealed data Ferdie keeps on the node.
  if ((await api.query.inference.blobQuotas(ferdie.address)).isNone) {
    await send(api, api.tx.inference.setBlobQuota(64 * 1024), ferdie);
    say('Ferdie holds a blob quota of 64 KiB (a deposit of 1 µCAIRN per byte)');
  }
  const modelFile = await modelHash(api, model);
  const x = [1, 2, 3, 4];
  const { sealed, contentKey, outputKeys } = await sealInput(api, provider, ferdie, { model: modelFile, input: f32Tensors('x', [1, 4], x) });
  say(`Ferdie sealed x = [${x.join(', ')}] and uploaded it: blob ${sealed.blob.sha256} (${sealed.blob.sizeBytes} bytes of ciphertext), plaintext hash ${sealed.plaintextHash}`);

  const collector = await collectInferenceEvents(api);
  const r = await send(api, api.tx.inference.requestJob(model, { Sealed: sealed }, jobSpec({ maxFee: UNIT / 10n, deadline: 50 })), ferdie);
  const requested = eventOf(r.events, api.events.inference.JobRequested);
  const job = requested.data.job.toNumber();
  say(`job ${job} posted by Ferdie on model ${model} with only hashes on chain; fee held ${cairn(requested.data.feeHeld.toBigInt())}, storage deposit ${cairn(requested.data.deposit.toBigInt())} (returned when the job is pruned)`);
  say(`assigned to ${requested.data.providers.map(name).join(', ')}`);
  const delivered = await deliverKeys(api, ferdie, job, modelFile, contentKey);
  say(`content key delivered, wrapped to the encryption key of ${delivered} assigned provider(s)`);

  const { settled, events } = await collector.settled(job, { timeoutMs: 120_000 });
  collector.stop();
  for (const { event, block } of events) {
    const d = event.data;
    switch (event.method) {
      case 'ReceiptSubmitted': {
        const receipt = (await api.query.inference.receipts(d.receipt)).unwrap();
        const output = (await api.query.inference.sealedOutputs(d.receipt)).unwrap();
        say(`#${block} sealed receipt ${d.receipt} signed by ${name(d.provider)}:`);
        say(`    model ${receipt.modelHash.toHex()}`);
        say(`    input ${receipt.inputHash.toHex()}`);
        say(`    output ${receipt.outputHash.toHex()}`);
        say(`    sealed outputs: blob ${output.blob.sha256.toHex()} (${output.blob.sizeBytes} bytes) on ${name(d.provider)}'s node`);
        say(`    ran on ${receipt.executionProvider.type} with ONNX Runtime ${receipt.runtimeVersion.toUtf8()} in ${receipt.elapsedMicros.toNumber()} µs`);
        const { outputs } = await openOutputs(api, provider, {
          job,
          receipt: d.receipt.toNumber(),
          model: modelFile,
          requester: ferdie.publicKey,
          outputSecret: outputKeys.secretKey,
        });
        say(`    Ferdie opened them with his key, checked their hash: y = [${f32Values(outputs, 'y').join(', ')}]`);
        break;
      }
      case 'ProviderPaid':
        say(`#${block} provider ${name(d.provider)} paid ${cairn(d.amount.toBigInt())}`);
        break;
      case 'RoyaltyPaid':
        say(`#${block} royalty ${cairn(d.amount.toBigInt())} to ${name(d.recipient)}`);
        break;
      case 'AuditFeeCharged':
        say(`#${block} audit fee ${cairn(d.amount.toBigInt())} to the audit pot (docs/verification.md)`);
        break;
      default:
        break;
    }
  }
  const s = settled.data;
  say(`job ${job} ${s.status.type}: paid ${cairn(s.paid.toBigInt())}, royalties ${cairn(s.royalties.toBigInt())}, refunded ${cairn(s.refunded.toBigInt())}`);
  // A drawn audit's auditor needs the content key too (docs/privacy.md, step 7).
  const verdict = await serveAudit(api, job, () => deliverKeys(api, ferdie, job, modelFile, contentKey), { timeoutMs: 60_000 });
  say(verdict ? `audit closed: ${verdict}` : 'not audited (drawn at the audit rate, and an auditor needs a second provider)');
} finally {
  await api.disconnect();
}
