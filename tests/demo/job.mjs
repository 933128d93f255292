// The development chain's demo, run by scripts/dev.sh once the node is up: posts an inference job
// on the genesis demo lineage's fine-tune (Eve's fine-tune of Charlie's tiny model, trained and
// fine-tuned on Dave's licensed dataset), and prints the signed receipt from Alice's offchain
// worker and the settlement: her pay, the royalties up the lineage and the refund.
//
//   node tests/demo/job.mjs [ws://127.0.0.1:9944]

import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { collectInferenceEvents, decodeTensorSet, demoLineage, eventOf, f32Tensors, f32Values, jobSpec, UNIT } from '../lib/jobs.mjs';
import { sendAndFinalize } from '../lib/tx.mjs';

const url = process.argv[2] ?? 'ws://127.0.0.1:9944';
const say = (line) => console.log(`[demo] ${line}`);
const cairn = (amount) => `${(Number(amount) / Number(UNIT)).toFixed(6)} CAIRN`;

const api = await ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true, throwOnConnect: true });
try {
  const keyring = new Keyring({ type: 'sr25519' });
  const [alice, charlie, dave, eve, ferdie] = ['//Alice', '//Charlie', '//Dave', '//Eve', '//Ferdie'].map((u) => keyring.addFromUri(u));
  const names = new Map([alice, charlie, dave, eve, ferdie].map((who, i) => [who.address, ['Alice', 'Charlie', 'Dave', 'Eve', 'Ferdie'][i]]));
  const name = (account) => names.get(account.toString()) ?? account.toString();
  const demo = await demoLineage(api);
  const model = demo.tuned;
  say(`genesis lineage: dataset 0 (Dave) → model ${demo.base} (Charlie, trained under license ${demo.trainingLicense}) → model ${model} (Eve's fine-tune, license ${demo.fineTuningLicense})`);

  const collector = await collectInferenceEvents(api);
  const x = [1, 2, 3, 4];
  const r = await sendAndFinalize(
    api,
    api.tx.inference.requestJob(model, f32Tensors('x', [1, 4], x), jobSpec({ maxFee: UNIT / 10n })),
    ferdie,
  );
  const requested = eventOf(r.events, api.events.inference.JobRequested);
  const job = requested.data.job.toNumber();
  say(`job ${job} posted by Ferdie on model ${model}: x = [${x.join(', ')}], fee held ${cairn(requested.data.feeHeld.toBigInt())}, storage deposit ${cairn(requested.data.deposit.toBigInt())} (returned when the job is pruned)`);
  say(`assigned to ${requested.data.providers.map(name).join(', ')}`);

  const { settled, events } = await collector.settled(job, { timeoutMs: 120_000 });
  collector.stop();
  for (const { event, block } of events) {
    const d = event.data;
    switch (event.method) {
      case 'ReceiptSubmitted': {
        const [receipt, outputs] = (await api.call.inferenceApi.receipt(d.receipt)).unwrap();
        const decoded = decodeTensorSet(api, outputs);
        say(`#${block} receipt ${d.receipt} signed by ${name(d.provider)}:`);
        say(`    model ${receipt.modelHash.toHex()}`);
        say(`    input ${receipt.inputHash.toHex()}`);
        say(`    output ${receipt.outputHash.toHex()}`);
        say(`    ran on ${receipt.executionProvider.type} with ONNX Runtime ${receipt.runtimeVersion.toUtf8()} in ${receipt.elapsedMicros.toNumber()} µs`);
        say(`    y = [${f32Values(decoded, 'y').join(', ')}]`);
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
} finally {
  await api.disconnect();
}
