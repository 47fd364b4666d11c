/**
 * A coordinator's side of its commands: fan-out to the available children (batched per link by
 * the outbox), acknowledgements, the children's answers and their aggregation, children lost,
 * and reconciliation of what a suspected child owes once it answers a COORD_SYNC.
 */
import {
  isAvailableState,
  type CoordinationState,
  type MessageBodies,
  type MessageKind,
  type Outcome,
  type SyncReport,
} from '../../machines/index.js';
import { childBudget } from '../policy/policy.js';
import type { Link } from './Link.js';
import { CommandOutbox } from './CommandOutbox.js';
import { settle, type Running } from './runningCommand.js';
import type { Timers } from './Timers.js';
import type { TreeKernel } from './TreeKernel.js';

/** What the fan-out needs from its node. */
export interface FanOutHost {
  readonly kernel: TreeKernel;
  readonly timers: Timers;
  readonly links: ReadonlyMap<string, Link>;
  sendToChild<K extends MessageKind>(link: Link, kind: K, body: MessageBodies[K]): string;
  markUnreachable(childId: string): void;
}

/** What the fan-out reports to the command engine. */
export interface FanOutEvents {
  /** Every child of `run` is settled: the aggregate is ready. */
  aggregated(run: Running): void;
  /** A child's answer of `run` lost to a partition was recovered through SYNC. */
  reconciled(run: Running): void;
}

/** One coordinator's commands toward its children. */
export class CommandFanOut {
  readonly outbox: CommandOutbox;

  /** @param running the node's commands in flight, by id (owned by the command engine) */
  constructor(
    private readonly host: FanOutHost,
    private readonly running: ReadonlyMap<string, Running>,
    private readonly events: FanOutEvents,
  ) {
    this.outbox = new CommandOutbox(host, (envelopeId, commandIds) => {
      for (const commandId of commandIds) running.get(commandId)?.batchIds.push(envelopeId);
    });
  }

  /** Sends `run` to every available child; the others are settled as skipped at once. */
  forward(run: Running): void {
    const timeoutMs = childBudget(run.deadlineAt - this.host.kernel.now());
    // One copy for every child: specs, like every body, are never mutated.
    const spec = { ...run.spec, timeoutMs };
    for (const link of this.host.links.values()) {
      if (isAvailableState(link.state as CoordinationState) && !link.removal) {
        run.waiting.add(link.childId);
        run.unacked.add(link.childId);
        this.outbox.enqueue(link.childId, spec);
      } else {
        const reason = link.removal
          ? 'child leaving'
          : link.state === 'pending'
            ? 'child joining'
            : `child ${link.state}`;
        settle(run, link.childId, { status: 'skipped', reason, leaves: link.subtree.leaves });
      }
    }
    if (run.waiting.size === 0) return this.events.aggregated(run);
    this.awaitAck(run);
  }

  /** A child acknowledged an envelope of commands. */
  onAck(childId: string, ackOf: string): void {
    for (const commandId of this.outbox.acknowledged(childId, ackOf) ?? []) {
      this.running.get(commandId)?.unacked.delete(childId);
    }
  }

  /** A child answered with its aggregate. */
  onChildComplete(
    link: Link,
    body: Extract<MessageBodies['COORD_COMPLETE'], { of: 'command' }>,
  ): void {
    const run = this.running.get(body.commandId);
    if (!run || !run.waiting.delete(link.childId)) return;
    run.unacked.delete(link.childId);
    run.counts.completed += body.counts.completed;
    run.counts.failed += body.counts.failed;
    run.counts.skipped += body.counts.skipped;
    run.counts.timedOut += body.counts.timedOut;
    for (const entry of body.outcomes) run.outcomes.push(entry);
    if (run.waiting.size === 0) this.events.aggregated(run);
  }

  /** A child answered a command with an error: a leaf's failure, or a node that could not take it. */
  onChildError(link: Link, body: MessageBodies['COORD_ERROR']): void {
    const run = body.commandId === undefined ? undefined : this.running.get(body.commandId);
    if (!run || !run.waiting.has(link.childId)) return;
    let outcome: Outcome;
    if (body.scope === 'node')
      outcome = {
        status: 'skipped',
        reason: body.code,
        leaves: body.leaves ?? link.subtree.leaves,
      };
    else if (body.code === 'DEADLINE_EXCEEDED') outcome = { status: 'timedOut', leaves: 1 };
    else outcome = { status: 'failed', error: { code: body.code, message: body.message } };
    this.settleChild(run, link.childId, outcome);
  }

  /** A child is gone (failed, disconnected, removed): what it owed is timed out. */
  onChildLost(link: Link): void {
    for (const run of [...this.running.values()]) {
      if (!run.waiting.has(link.childId)) continue;
      this.settleChild(run, link.childId, { status: 'timedOut', leaves: link.subtree.leaves });
    }
  }

  /** Stops waiting for `run`'s children: each still awaited comes to `outcome(leaves)`. */
  giveUp(run: Running, outcome: (leaves: number) => Outcome): void {
    for (const childId of [...run.waiting]) {
      settle(run, childId, outcome(this.host.links.get(childId)?.subtree.leaves ?? 1));
    }
    this.events.aggregated(run);
  }

  /** The commands this node awaits from a child. */
  awaitedFrom(childId: string): string[] {
    const ids: string[] = [];
    for (const [commandId, run] of this.running) if (run.waiting.has(childId)) ids.push(commandId);
    return ids;
  }

  /**
   * A child answered a SYNC: a command it finished meanwhile is taken from its answer, not run
   * again; one it never received is sent again (unless the child restarted since it was sent:
   * then its outcome is unknown); one it still runs is awaited.
   */
  onSync(link: Link, report: SyncReport): void {
    const { childId } = link;
    // The child has these: no acknowledgement is owed any more.
    for (const commandId of report.running) this.running.get(commandId)?.unacked.delete(childId);
    for (const { commandId, reply } of report.finished) {
      const run = this.running.get(commandId);
      if (!run?.waiting.has(childId)) continue;
      this.events.reconciled(run);
      if (reply?.kind === 'COORD_COMPLETE' && reply.body.of === 'command') {
        this.onChildComplete(link, reply.body);
      } else if (reply?.kind === 'COORD_ERROR') {
        this.onChildError(link, reply.body);
      } else {
        // Finished there, but its answer is no longer kept: the outcome is unknown.
        this.settleChild(run, childId, { status: 'timedOut', leaves: link.subtree.leaves });
      }
    }
    if (!isAvailableState(link.state as CoordinationState)) return;
    const now = this.host.kernel.now();
    for (const commandId of report.missing) {
      const run = this.running.get(commandId);
      if (!run?.waiting.has(childId)) continue;
      if (link.joinedAt > run.receivedAt) {
        // The child (re)started since: an earlier incarnation may have run it. At most once.
        this.settleChild(run, childId, { status: 'timedOut', leaves: link.subtree.leaves });
        continue;
      }
      run.unacked.add(childId);
      this.outbox.enqueue(childId, { ...run.spec, timeoutMs: childBudget(run.deadlineAt - now) });
      this.awaitAck(run);
    }
  }

  /**
   * A child is back without a SYNC answer (e.g. READY to a re-INIT): it is asked for what it
   * still owes, whose answers were lost or fenced as an older epoch's.
   */
  childBack(link: Link): void {
    if (!isAvailableState(link.state as CoordinationState)) return;
    const commandIds = this.awaitedFrom(link.childId);
    if (commandIds.length > 0) this.host.sendToChild(link, 'COORD_SYNC', { commandIds });
  }

  private settleChild(run: Running, childId: string, outcome: Outcome): void {
    settle(run, childId, outcome);
    if (run.waiting.size === 0) this.events.aggregated(run);
  }

  /** The acknowledgement is due `ackMs` after the batch leaves, which may wait `maxDelayMs`. */
  private awaitAck(run: Running): void {
    const { timeouts, batching } = this.host.kernel.policy;
    run.timers.push(
      this.host.timers.set(() => {
        for (const childId of [...run.unacked]) this.host.markUnreachable(childId);
      }, timeouts.ackMs + batching.maxDelayMs),
    );
  }
}
