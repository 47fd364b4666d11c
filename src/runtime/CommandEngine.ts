/**
 * Commands at one node, outside the statechart (they change no coordination state): ACK on
 * receipt, deduplication by message id and command id (a handler runs at most once per
 * command), bounded concurrency, batching per child link, fan-out to available children,
 * aggregation of their results, and the leaf's handler with retry, deadline and abort.
 */
import {
  isAvailableState,
  type CommandReply,
  type CommandSpec,
  type CoordinationState,
  type Envelope,
  type MessageBodies,
  type MessageKind,
  type Outcome,
  type ShutdownMode,
  type SubtreeCounts,
  type SyncReport,
} from '../../machines/index.js';
import { childBudget } from '../policy/policy.js';
import type { Link } from './ChildLinks.js';
import type { Timers } from './Timers.js';
import { CommandOutbox } from './CommandOutbox.js';
import { DedupMemory, type Reply } from './DedupMemory.js';
import { newRunning, settle, type Running } from './runningCommand.js';
import {
  completedBody,
  describeError,
  handlerRetryDelay,
  invokeHandler,
  type HandlerOutcome,
} from './leafHandler.js';
import type { TreeKernel } from './TreeKernel.js';

/** What the engine needs from its node. */
export interface CommandHost {
  readonly nodeId: string;
  readonly kernel: TreeKernel;
  readonly timers: Timers;
  readonly state: CoordinationState;
  readonly links: ReadonlyMap<string, Link>;
  sendToParent<K extends MessageKind>(kind: K, body: MessageBodies[K]): string;
  sendToChild<K extends MessageKind>(link: Link, kind: K, body: MessageBodies[K]): string;
  markUnreachable(childId: string): void;
  checkShutdownDone(): void;
  /** The node's subtree, by its children's latest reports. */
  subtree(): SubtreeCounts;
}

/** One node's commands. */
export class CommandEngine {
  private readonly running = new Map<string, Running>();
  private readonly queue: { spec: CommandSpec; receivedAt: number }[] = [];
  private readonly queued = new Set<string>();
  private readonly memory = new DedupMemory();
  private readonly outbox: CommandOutbox;
  private accepting = true;
  private draining = false;

  constructor(private readonly host: CommandHost) {
    this.outbox = new CommandOutbox(host, (envelopeId, commandIds) => {
      for (const commandId of commandIds) this.running.get(commandId)?.batchIds.push(envelopeId);
    });
  }

  /** Nothing running or queued. */
  get idle(): boolean {
    return this.running.size === 0 && this.queue.length === 0;
  }

  // ── from the parent ───────────────────────────────────────────────────────────────────

  /** A COORD_COMMAND: acknowledge, deduplicate, then run, queue or refuse each command. */
  onCommand(envelope: Envelope<'COORD_COMMAND'>): void {
    this.host.sendToParent('COORD_ACK', { ackOf: envelope.id });
    if (this.memory.seenEnvelope(envelope.id)) {
      return this.host.kernel.drop(this.host.nodeId, 'duplicate', envelope);
    }
    const receivedAt = this.host.kernel.now();
    for (const spec of envelope.body.commands) this.accept(spec, receivedAt);
  }

  private accept(spec: CommandSpec, receivedAt: number): void {
    if (this.memory.finishedCommand(spec.commandId)) {
      const reply = this.memory.replyOf(spec.commandId);
      return reply ? this.reply(reply) : this.emit('duplicate', spec);
    }
    if (this.running.has(spec.commandId) || this.queued.has(spec.commandId)) return;
    this.emit('received', spec);
    if (!this.accepting || !isAvailableState(this.host.state)) {
      const code = this.accepting ? 'NOT_READY' : 'SHUTTING_DOWN';
      return this.finish(spec.commandId, null, {
        kind: 'COORD_ERROR',
        body: {
          scope: 'node',
          code,
          leaves: this.host.subtree().leaves,
          message: `${this.host.nodeId} cannot take commands while ${this.accepting ? this.host.state : 'shutting down'}`,
          retriable: true,
          commandId: spec.commandId,
        },
      });
    }
    if (this.running.size >= this.host.kernel.policy.concurrency.maxInFlight) {
      this.queue.push({ spec, receivedAt });
      this.queued.add(spec.commandId);
      return;
    }
    this.start(spec, receivedAt);
  }

  private start(spec: CommandSpec, receivedAt: number): void {
    const now = this.host.kernel.now();
    const run = newRunning(spec, receivedAt);
    this.running.set(spec.commandId, run);
    run.timers.push(
      this.host.timers.set(() => this.onDeadline(run), Math.max(0, run.deadlineAt - now)),
    );
    if (this.host.links.size === 0) this.runHandler(run);
    else this.forward(run);
  }

  // ── leaf: the user's handler ──────────────────────────────────────────────────────────

  private runHandler(run: Running): void {
    run.controller ??= new AbortController();
    run.attempt++;
    const { kernel, nodeId } = this.host;
    const context = {
      signal: run.controller.signal,
      attempt: run.attempt,
      deadline: run.deadlineAt,
    };
    void invokeHandler(kernel, nodeId, run.spec, context).then((outcome) =>
      this.onHandlerDone(run, outcome),
    );
  }

  private onHandlerDone(run: Running, outcome: HandlerOutcome): void {
    if (this.running.get(run.spec.commandId) !== run) return; // already answered (deadline, abort)
    const { commandId } = run.spec;
    if (outcome.ok) {
      this.emit('executed', run.spec, 'completed');
      const body = completedBody(this.host.nodeId, commandId, outcome.value);
      return this.finish(commandId, run, { kind: 'COORD_COMPLETE', body });
    }
    const error = describeError(outcome.error);
    const delay = handlerRetryDelay(this.host.kernel, error, run.attempt, run.deadlineAt);
    if (delay !== null) {
      run.timers.push(this.host.timers.set(() => this.runHandler(run), delay));
      return;
    }
    this.emit('executed', run.spec, 'failed');
    this.finish(commandId, run, {
      kind: 'COORD_ERROR',
      body: {
        scope: 'command',
        code: error.code,
        message: error.message,
        retriable: false,
        commandId,
      },
    });
  }

  // ── coordinator: fan-out and aggregation ──────────────────────────────────────────────

  private forward(run: Running): void {
    const { kernel } = this.host;
    const timeoutMs = childBudget(run.deadlineAt - kernel.now());
    for (const link of this.host.links.values()) {
      if (isAvailableState(link.state as CoordinationState) && !link.removal) {
        run.waiting.add(link.childId);
        run.unacked.add(link.childId);
        this.outbox.enqueue(link.childId, { ...run.spec, timeoutMs });
      } else {
        const reason = link.removal
          ? 'child leaving'
          : link.state === 'pending'
            ? 'child joining'
            : `child ${link.state}`;
        settle(run, link.childId, { status: 'skipped', reason, leaves: link.subtree.leaves });
      }
    }
    if (run.waiting.size === 0) return this.finishAggregate(run);
    this.awaitAck(run);
  }

  /** The acknowledgement is due `ackMs` after the batch leaves, which may wait `maxDelayMs`. */
  private awaitAck(run: Running): void {
    const { timeouts, batching } = this.host.kernel.policy;
    run.timers.push(
      this.host.timers.set(() => this.onAckTimeout(run), timeouts.ackMs + batching.maxDelayMs),
    );
  }

  /** A child acknowledged an envelope of commands. */
  onAck(childId: string, ackOf: string): void {
    for (const commandId of this.outbox.acknowledged(childId, ackOf) ?? []) {
      this.running.get(commandId)?.unacked.delete(childId);
    }
  }

  private onAckTimeout(run: Running): void {
    for (const childId of [...run.unacked]) this.host.markUnreachable(childId);
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
    if (run.waiting.size === 0) this.finishAggregate(run);
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
    settle(run, link.childId, outcome);
    if (run.waiting.size === 0) this.finishAggregate(run);
  }

  // ── reconciliation (COORD_SYNC) ───────────────────────────────────────────────────────

  /** The commands this node awaits from a child. */
  awaitedFrom(childId: string): string[] {
    const ids: string[] = [];
    for (const [commandId, run] of this.running) if (run.waiting.has(childId)) ids.push(commandId);
    return ids;
  }

  /** This node's answer to its parent's SYNC: where it is with each command asked about. */
  syncReport(incarnation: string, commandIds: readonly string[]): SyncReport {
    const finished: { commandId: string; reply?: CommandReply }[] = [];
    const running: string[] = [];
    const missing: string[] = [];
    for (const commandId of commandIds) {
      if (this.memory.finishedCommand(commandId)) {
        const reply = this.memory.replyOf(commandId);
        finished.push(reply ? { commandId, reply } : { commandId });
      } else if (this.running.has(commandId) || this.queued.has(commandId)) {
        running.push(commandId);
      } else {
        missing.push(commandId);
      }
    }
    return { incarnation, finished, running, missing };
  }

  /**
   * A child answered a SYNC: a command it finished meanwhile is taken from its answer, not run
   * again; one it never received is sent again (unless the child restarted since it was sent:
   * then its outcome is unknown); one it still runs is awaited.
   */
  onSync(link: Link, report: SyncReport): void {
    // The child has these: no acknowledgement is owed any more.
    for (const commandId of report.running)
      this.running.get(commandId)?.unacked.delete(link.childId);
    for (const { commandId, reply } of report.finished) {
      const run = this.running.get(commandId);
      if (!run?.waiting.has(link.childId)) continue;
      this.emit('reconciled', run.spec);
      if (reply?.kind === 'COORD_COMPLETE' && reply.body.of === 'command') {
        this.onChildComplete(link, reply.body);
      } else if (reply?.kind === 'COORD_ERROR') {
        this.onChildError(link, reply.body);
      } else {
        // Finished there, but its answer is no longer kept: the outcome is unknown.
        settle(run, link.childId, { status: 'timedOut', leaves: link.subtree.leaves });
        if (run.waiting.size === 0) this.finishAggregate(run);
      }
    }
    if (!isAvailableState(link.state as CoordinationState)) return;
    const now = this.host.kernel.now();
    for (const commandId of report.missing) {
      const run = this.running.get(commandId);
      if (!run?.waiting.has(link.childId)) continue;
      if (link.joinedAt > run.receivedAt) {
        // The child (re)started since: an earlier incarnation may have run it. At most once.
        settle(run, link.childId, { status: 'timedOut', leaves: link.subtree.leaves });
        if (run.waiting.size === 0) this.finishAggregate(run);
        continue;
      }
      run.unacked.add(link.childId);
      this.outbox.enqueue(link.childId, {
        ...run.spec,
        timeoutMs: childBudget(run.deadlineAt - now),
      });
      this.awaitAck(run);
    }
  }

  /** A child is gone (failed, disconnected, removed): what it owed is timed out. */
  onChildLost(link: Link): void {
    for (const run of [...this.running.values()]) {
      if (!run.waiting.has(link.childId)) continue;
      settle(run, link.childId, { status: 'timedOut', leaves: link.subtree.leaves });
      if (run.waiting.size === 0) this.finishAggregate(run);
    }
  }

  private finishAggregate(run: Running): void {
    this.finish(run.spec.commandId, run, {
      kind: 'COORD_COMPLETE',
      body: {
        of: 'command',
        commandId: run.spec.commandId,
        counts: run.counts,
        outcomes: run.outcomes,
      },
    });
  }

  private onDeadline(run: Running): void {
    if (this.running.get(run.spec.commandId) !== run) return;
    if (this.host.links.size === 0 || run.controller) {
      run.controller?.abort(new Error('command deadline passed'));
      this.emit('executed', run.spec, 'timedOut');
      return this.finish(run.spec.commandId, run, {
        kind: 'COORD_ERROR',
        body: {
          scope: 'command',
          code: 'DEADLINE_EXCEEDED',
          message: `${this.host.nodeId}: deadline passed`,
          retriable: false,
          commandId: run.spec.commandId,
        },
      });
    }
    for (const childId of [...run.waiting]) {
      const leaves = this.host.links.get(childId)?.subtree.leaves ?? 1;
      settle(run, childId, { status: 'timedOut', leaves });
    }
    this.finishAggregate(run);
  }

  // ── endings ───────────────────────────────────────────────────────────────────────────

  private finish(commandId: string, run: Running | null, reply: Reply): void {
    if (run) {
      this.running.delete(commandId);
      for (const timer of run.timers) this.host.timers.clear(timer);
      this.outbox.release(run.batchIds);
    }
    this.memory.finish(commandId, reply);
    this.reply(reply);
    this.emit('replied', run?.spec ?? { commandId, name: '', payload: undefined, timeoutMs: 0 });
    this.dequeue();
    if (this.draining || !this.accepting) this.host.checkShutdownDone();
  }

  private reply(reply: Reply): void {
    this.host.sendToParent(reply.kind, reply.body);
  }

  private dequeue(): void {
    const max = this.host.kernel.policy.concurrency.maxInFlight;
    while (this.running.size < max && this.queue.length > 0) {
      const { spec, receivedAt } = this.queue.shift()!;
      this.queued.delete(spec.commandId);
      this.start(spec, receivedAt);
    }
  }

  /** Stop taking commands; `abort` also cancels what runs. Queued work still runs when draining. */
  beginShutdown(mode: ShutdownMode): void {
    this.accepting = false;
    this.draining = mode === 'drain';
    this.outbox.flushNow();
    // Leaves cancel their handlers; coordinators keep waiting for their children's answers,
    // which come quickly because the children are aborting too (the deadline bounds it).
    if (mode === 'abort')
      this.abortAll('ABORTED', `${this.host.nodeId} shut down (abort)`, 'leaves');
  }

  /**
   * Answers everything queued, and what runs (`all`) or only the running handlers (`leaves`),
   * with an error now, aborting handlers.
   */
  abortAll(code: string, message: string, scope: 'all' | 'leaves' = 'all'): void {
    this.outbox.flushNow();
    for (const { spec } of this.queue.splice(0)) {
      this.queued.delete(spec.commandId);
      this.finish(spec.commandId, null, {
        kind: 'COORD_ERROR',
        body: {
          scope: 'node',
          code,
          message,
          retriable: false,
          commandId: spec.commandId,
          leaves: this.host.subtree().leaves,
        },
      });
    }
    for (const run of [...this.running.values()]) {
      if (run.controller) {
        run.controller.abort(new Error(message));
        this.finish(run.spec.commandId, run, {
          kind: 'COORD_ERROR',
          body: {
            scope: 'command',
            code,
            message,
            retriable: false,
            commandId: run.spec.commandId,
          },
        });
      } else if (scope === 'all') {
        // Sent to these children, unanswered: whether they ran it is unknown.
        for (const childId of [...run.waiting]) {
          const leaves = this.host.links.get(childId)?.subtree.leaves ?? 1;
          settle(run, childId, { status: 'timedOut', leaves });
        }
        this.finishAggregate(run);
      }
    }
  }

  /** Crash or disposal: abort handlers, forget everything, answer nothing. */
  kill(): void {
    this.accepting = false;
    for (const run of this.running.values()) {
      run.controller?.abort(new Error(`${this.host.nodeId} stopped`));
      for (const timer of run.timers) this.host.timers.clear(timer);
    }
    this.running.clear();
    this.queue.length = 0;
    this.queued.clear();
    this.outbox.clear();
  }

  private emit(
    phase: 'received' | 'executed' | 'replied' | 'duplicate' | 'reconciled',
    spec: CommandSpec,
    status?: 'completed' | 'failed' | 'timedOut',
  ): void {
    const { kernel, nodeId } = this.host;
    kernel.emit(() => ({
      type: 'command',
      phase,
      nodeId,
      commandId: spec.commandId,
      name: spec.name,
      ...(status ? { status } : {}),
      at: kernel.now(),
    }));
  }
}
