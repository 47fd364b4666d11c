/**
 * The plain-JavaScript floor: the same tree as plain objects, each with a mailbox (an array
 * queue), and one scheduler loop that drains the mailboxes. The same round as the other
 * sides: COMMAND down, ACK and COMPLETE up, leaves run the leaf work, coordinators count
 * their children's COMPLETEs. No XState, no envelopes, no protocol.
 *
 * The scheduler yields to the event loop (`setImmediate`) after 5 000 messages or 20 ms,
 * whichever comes first, with the same slicing rule as fractal-coord's in-process transport,
 * so the floor's event-loop blocks are comparable with the runtime's.
 */
import { performance } from 'node:perf_hooks';
import type { NodeSpec } from '../src/index.js';
import type { RoundSide } from './measure.js';
import { leafWork } from './trees.js';

/** Most messages delivered before the scheduler yields to the event loop. */
const SLICE = 5_000;
/** Longest a slice may run before yielding, ms (the clock is read every 64 messages). */
const SLICE_MS = 20;

interface FloorMessage {
  readonly type: 'COMMAND' | 'ACK' | 'COMPLETE';
  readonly id: number;
  readonly name: string;
  readonly result?: unknown;
}

/** Something with a mailbox that the scheduler drains. */
interface Mailbox {
  readonly queue: FloorMessage[];
  head: number;
  scheduled: boolean;
  receive(message: FloorMessage): void;
}

/** Runs mailboxes that have messages, in FIFO order, in slices. */
class Scheduler {
  private ready: Mailbox[] = [];
  private readyHead = 0;
  private running = false;
  sent = 0;

  send(to: Mailbox, message: FloorMessage): void {
    this.sent++;
    to.queue.push(message);
    if (to.scheduled) return;
    to.scheduled = true;
    this.ready.push(to);
    if (!this.running) {
      this.running = true;
      queueMicrotask(() => this.drain());
    }
  }

  private drain(): void {
    let budget = SLICE;
    const until = performance.now() + SLICE_MS;
    while (this.readyHead < this.ready.length && budget > 0) {
      const box = this.ready[this.readyHead]!;
      while (box.head < box.queue.length && budget > 0) {
        const message = box.queue[box.head++]!;
        budget--;
        box.receive(message);
        if ((budget & 63) === 0 && performance.now() >= until) budget = 0;
      }
      if (box.head < box.queue.length) break; // the slice ran out inside this mailbox
      box.queue.length = 0;
      box.head = 0;
      box.scheduled = false;
      this.readyHead++;
    }
    if (this.readyHead < this.ready.length) {
      setImmediate(() => this.drain());
      return;
    }
    this.ready = [];
    this.readyHead = 0;
    this.running = false;
  }
}

class FloorNode implements Mailbox {
  readonly queue: FloorMessage[] = [];
  head = 0;
  scheduled = false;
  readonly children: FloorNode[] = [];
  private commandId = -1;
  private commandName = '';
  private acks = 0;
  private completed = 0;

  constructor(
    readonly id: string,
    private readonly parent: Mailbox,
    private readonly scheduler: Scheduler,
  ) {}

  receive(message: FloorMessage): void {
    switch (message.type) {
      case 'COMMAND':
        this.commandId = message.id;
        this.commandName = message.name;
        this.acks = 0;
        this.completed = 0;
        this.scheduler.send(this.parent, { type: 'ACK', id: message.id, name: message.name });
        if (this.children.length === 0) {
          const result = leafWork(this.id, message.name);
          this.scheduler.send(this.parent, {
            type: 'COMPLETE',
            id: message.id,
            name: message.name,
            result,
          });
          return;
        }
        for (const child of this.children) this.scheduler.send(child, message);
        return;
      case 'ACK':
        if (message.id === this.commandId) this.acks++;
        return;
      case 'COMPLETE':
        if (message.id !== this.commandId) return;
        if (++this.completed === this.children.length) {
          this.scheduler.send(this.parent, {
            type: 'COMPLETE',
            id: this.commandId,
            name: this.commandName,
          });
        }
        return;
    }
  }
}

/** Where the root answers: resolves the round waiting for its COMPLETE. */
class FloorClient implements Mailbox {
  readonly queue: FloorMessage[] = [];
  head = 0;
  scheduled = false;
  waiting: { id: number; resolve: () => void } | undefined;

  receive(message: FloorMessage): void {
    if (message.type !== 'COMPLETE') return;
    if (this.waiting?.id !== message.id) {
      throw new Error(`floor: unexpected COMPLETE of ${message.id}`);
    }
    const { resolve } = this.waiting;
    this.waiting = undefined;
    resolve();
  }
}

/** Builds the floor's tree (iteratively, parents before children). */
export function buildFloor(spec: NodeSpec): Promise<RoundSide> {
  const scheduler = new Scheduler();
  const client = new FloorClient();
  const root = new FloorNode(spec.id, client, scheduler);
  const stack: [NodeSpec, FloorNode][] = [[spec, root]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [nodeSpec, node] = top;
    for (const childSpec of nodeSpec.children ?? []) {
      const child = new FloorNode(childSpec.id, node, scheduler);
      node.children.push(child);
      stack.push([childSpec, child]);
    }
  }
  let nextId = 0;
  return Promise.resolve({
    label: 'floor',
    round: async () => {
      const id = ++nextId;
      const sentBefore = scheduler.sent;
      await new Promise<void>((resolve) => {
        client.waiting = { id, resolve };
        scheduler.send(root, { type: 'COMMAND', id, name: 'bench' });
      });
      return scheduler.sent - sentBefore;
    },
    dispose: () => Promise.resolve(),
  });
}
