import { ApiPromise, WsProvider } from '@polkadot/api';
const api = await ApiPromise.create({ provider: new WsProvider('ws://127.0.0.1:9944'), noInitWarn: true });
const header = await api.rpc.chain.getHeader();
const fin = await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead());
const alice = await api.call.computeRegistryApi.provider('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY');
console.log('chain', (await api.rpc.system.chain()).toString(), 'best', header.number.toNumber(), 'finalized', fin.number.toNumber(), 'alice provider live', alice.unwrap().isLive.toString());
await api.disconnect();
