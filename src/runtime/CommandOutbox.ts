/**
 * Commands on their way to children: batched per child link (everything queued for a child in
 * the same tick, or within `batching.maxDelayMs`, travels in one COORD_COMMAND of at most
 * `batching.maxBatchSize`), and remembered per envelope until acknowledged or no longer awaited.
 */
import type { CommandSpec, MessageBodies, MessageKind } from '../../machines/index.js';
import type { Link } from './Link.js';
import type { TimerHandle, Timers } from './Timers.js';
import type { TreeKernel } from './TreeKernel.js';

/** What the outbox needs from its node. */
export interface OutboxHost {
  readonly kernel: TreeKernel;
  readonly timers: Timers;
  readonly links: ReadonlyMap<string, Link>;
  sendToChild<K extends MessageKind>(link: Link, kind: K, body: MessageBodies[K]): string;
}

/** A COORD_COMMAND envelope sent to a child. */
interface Batch {
  readonly childId: string;
  readonly commandIds: readonly string[];
  /** Its commands still awaited here. */
  open: number;
}

/** One node's outgoing commands. */
export class CommandOutbox {
  /** Built on first use (a leaf sends no command). */
  private queued: Map<string, CommandSpec[]> | null = null;
  private batches: Map<string, Batch> | null = null;
  private flushPending = false;
  private flushTimer: TimerHandle | null = null;

  /** @param onSent called for each envelope sent, with the commands it carried */
  constructor(
    private readonly host: OutboxHost,
    private readonly onSent: (envelopeId: string, commandIds: readonly string[]) => void,
  ) {}

  /** Queues a command for a child; it leaves with the child's next batch. */
  enqueue(childId: string, spec: CommandSpec): void {
    const queued = (this.queued ??= new Map<string, CommandSpec[]>());
    let batch = queued.get(childId);
    if (!batch) queued.set(childId, (batch = []));
    batch.push(spec);
    if (this.flushPending) return;
    this.flushPending = true;
    const delay = this.host.kernel.policy.batching.maxDelayMs;
    if (delay === 0) queueMicrotask(this.flush);
    else this.flushTimer = this.host.timers.set(this.flush, delay);
  }

  /** Sends what is queued now (before a SHUTDOWN overtakes it). */
  flushNow(): void {
    if (this.flushPending) this.flush();
  }

  /** A child acknowledged an envelope: the ids of the commands it carried, if it was ours. */
  acknowledged(childId: string, envelopeId: string): readonly string[] | null {
    const batch = this.batches?.get(envelopeId);
    if (!batch || batch.childId !== childId) return null;
    this.batches!.delete(envelopeId);
    return batch.commandIds;
  }

  /** A command ended: forget the envelopes it travelled in once none of theirs is awaited. */
  release(envelopeIds: readonly string[]): void {
    for (const id of envelopeIds) {
      const batch = this.batches?.get(id);
      if (batch && --batch.open === 0) this.batches!.delete(id);
    }
  }

  /** Drop everything (crash, disposal). */
  clear(): void {
    this.queued?.clear();
    this.batches?.clear();
    this.host.timers.clear(this.flushTimer);
    this.flushTimer = null;
    this.flushPending = false;
  }

  private readonly flush = (): void => {
    this.flushPending = false;
    this.host.timers.clear(this.flushTimer);
    this.flushTimer = null;
    const size = this.host.kernel.policy.batching.maxBatchSize;
    const queued = this.queued;
    if (queued === null) return;
    const batches = (this.batches ??= new Map<string, Batch>());
    for (const [childId, specs] of queued) {
      const link = this.host.links.get(childId);
      if (!link) continue;
      for (let i = 0; i < specs.length; i += size) {
        // The queue is dropped below: a batch that takes it whole takes the array itself.
        const commands = specs.length <= size ? specs : specs.slice(i, i + size);
        const id = this.host.sendToChild(link, 'COORD_COMMAND', { commands });
        const commandIds = commands.map((c) => c.commandId);
        batches.set(id, { childId, commandIds, open: commandIds.length });
        this.onSent(id, commandIds);
      }
    }
    queued.clear();
  };
}
