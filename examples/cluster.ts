import { connect } from 'nats';
import {
  createCoordinationTree,
  hostedSpec,
  NatsTransport,
  ReliableTransport,
  type CommandHandler,
  type NodeSpec,
} from 'fractal-coord';

const servers = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const wholeSpec: NodeSpec = {
  id: 'root',
  children: [
    { id: 'eu', remote: true, children: [{ id: 'eu-1' }, { id: 'eu-2' }] },
    { id: 'audit' },
  ],
};
const handler: CommandHandler = (command, { nodeId }) => `${nodeId} ran ${command.name}`;

// The host of eu (usually its own process, on another machine): its subtree, answering `root`.
const hostConnection = await connect({ servers });
const { root, parent } = hostedSpec(wholeSpec, 'eu');
const eu = createCoordinationTree({
  root,
  parent,
  handler,
  transport: new ReliableTransport(new NatsTransport({ connection: hostConnection, tree: 'shop' })),
});
const joined = eu.start(); // resolves once its parent has initialised it

// The root's process: the whole spec, remote nodes marked.
const rootConnection = await connect({ servers });
const tree = createCoordinationTree({
  root: wholeSpec,
  handler,
  transport: new ReliableTransport(new NatsTransport({ connection: rootConnection, tree: 'shop' })),
});
console.log('root is', await tree.start(), 'and eu is', await joined);
console.log((await tree.command('deploy')).counts);
await tree.shutdown(); // shuts eu's subtree down too
console.log('eu shut down:', (await eu.done).graceful);
await Promise.all([hostConnection.close(), rootConnection.close()]);
