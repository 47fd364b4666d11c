import { createCoordinationTree, InProcessTransport, ReliableTransport } from 'fractal-coord';
import { FaultInjectingTransport } from 'fractal-coord/testing';

// A network that loses 20 % of envelopes, duplicates 10 % and reorders 10 %: the same faults
// on every run with the same seed and the same traffic.
const faults = new FaultInjectingTransport(new InProcessTransport(), { seed: 42 });
faults.setDefault({ drop: 0.2, duplicate: 0.1, reorder: 0.1 });

const runs = new Map<string, number>();
const tree = createCoordinationTree({
  root: {
    id: 'root',
    children: [{ id: 'a', children: [{ id: 'a1' }, { id: 'a2' }] }, { id: 'b' }],
  },
  // Exactly-once, in-order delivery on every link, over the lossy network.
  transport: new ReliableTransport(faults, { resendInitialMs: 20 }),
  handler: (command, { nodeId }) => {
    const run = `${nodeId}/${command.id}`;
    runs.set(run, (runs.get(run) ?? 0) + 1);
    return 'done';
  },
});
const applied: Record<string, number> = {};
tree.eventsOf('fault').subscribe((e) => {
  applied[e.fault] = (applied[e.fault] ?? 0) + 1;
});

await tree.start();
faults.partition('a', 'a2'); // both ways; { oneWay: true } cuts only a → a2
const during = tree.command('migrate');
setTimeout(() => faults.heal('a', 'a2'), 500);
console.log((await during).status); // 'completed': a2's answer arrives once the link heals
for (let i = 0; i < 10; i++) await tree.command(`step-${i}`);
console.log('most runs of one command at one leaf:', Math.max(...runs.values())); // 1
console.log(applied); // { drop: …, duplicate: …, reorder: …, partition: 1, heal: 1 }
faults.clear();
await tree.shutdown();
