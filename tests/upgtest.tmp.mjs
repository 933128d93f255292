import { readFileSync } from 'node:fs';
import { ApiPromise, WsProvider, Keyring } from '@polkadot/api';
import { u8aToHex } from '@polkadot/util';
const api = await ApiPromise.create({ provider: new WsProvider('ws://127.0.0.1:9978'), noInitWarn: true });
const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
const code = readFileSync(process.argv[2]);
const tx = api.tx.sudo.sudoUncheckedWeight(api.tx.system.setCode(u8aToHex(code)), { refTime: 0, proofSize: 0 });
const hash = await new Promise((res, rej) => tx.signAndSend(alice, (r) => { if (r.status.isInBlock) res(r.status.asInBlock); if (r.dispatchError) rej(new Error('dispatch')); }));
console.log('in block', hash.toHex());
try { const ev = await (await api.at(hash)).query.system.events(); console.log('events', ev.length); } catch (e) { console.log('at(block) failed:', e.message.slice(0, 200)); }
const header = await api.rpc.chain.getHeader(hash);
try { const ev = await (await api.at(header.parentHash)).query.system.events(); console.log('parent events ok', ev.length); } catch (e) { console.log('parent failed', e.message.slice(0,100)); }
const raw = await api.rpc.state.getStorage(api.query.system.events.key(), hash);
try { const ev = api.registry.createType('Vec<FrameSystemEventRecord>', raw.toU8a(true)); console.log('decoded with current registry:', ev.length); } catch (e) { console.log('current registry failed', e.message.slice(0,150)); }
await api.disconnect();
