/**
 * Commands at one node, outside the statechart (they change no coordination state): ACK on
 * receipt, deduplication by message id and command id (a handler runs at most once per
 * command), bounded concurrency, batching per child link, fan-out to available children,
 * aggregation of their results, and the leaf's handler with retry, deadline and abort.
 */
import {
  isAvailableState,
  type CommandSpec,
  type CoordinationState,
  type Envelope,
  type MessageBodies,
  type MessageKind,
  type Outcome,
  type OutcomeCounts,
  type ShutdownMode,
  type SubtreeCounts,
} from '../../machines/index.js';
import { childBudget } from '../policy/policy.js';
import type { Link } from './ChildLinks.js';
import type { TimerHandle, Timers } from './Timers.js';
import { CommandOutbox } from './CommandOutbox.js';
import type { TreeEvent } from './events.js';
import type { TreeKernel } from './TreeKernel.js';

/** Command ids (and envelope ids) remembered per node: a command among them never runs again. */
export const DEDUP_WINDOW = 1_024;

/**
 * Final answers kept per node to repeat to a duplicate. Fewer than the ids: a coordinator's
 * answer carries every outcome of its subtree. A duplicate of an older command is dropped.
 */
export const REPLAY_WINDOW = 16;

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

type Reply =
  | { readonly kind: 'COORD_COMPLETE'; readonly body: MessageBodies['COORD_COMPLETE'] }
  | { readonly kind: 'COORD_ERROR'; readonly body: MessageBodies['COORD_ERROR'] };

interface Running {
  readonly spec: CommandSpec;
  readonly deadlineAt: number;
  readonly timers: TimerHandle[];
  /** Children whose answer is awaited. */
  readonly waiting: Set<string>;
  /** Children that have not acknowledged yet. */
  readonly unacked: Set<string>;
  readonly counts: OutcomeCounts;
  readonly outcomes: (readonly [string, Outcome])[];
  controller: AbortController | null;
  attempt: number;
  /** Envelopes this command travelled in, awaiting acknowledgement. */
  readonly batchIds: string[];
}

function remember<V>(map: Map<string, V>, key: string, value: V, window = DEDUP_WINDOW): void {
  map.set(key, value);
  if (map.size > window) map.delete(map.keys().next().value!);
}

/** One node's commands. */
export class CommandEngine {
  private readonly running = new Map<string, Running>();
  private readonly queue: { spec: CommandSpec; receivedAt: number }[] = [];
  private readonly queued = new Set<string>();
  private readonly finished = new Map<string, true>();
  private readonly replies = new Map<string, Reply>();
  private readonly seenEnvelopes = new Map<string, true>();
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
    if (this.seenEnvelopes.has(envelope.id)) {
      return this.host.kernel.drop(this.host.nodeId, 'duplicate', envelope);
    }
    remember(this.seenEnvelopes, envelope.id, true);
    const receivedAt = this.host.kernel.now();
    for (const spec of envelope.body.commands) this.accept(spec, receivedAt);
  }

  private accept(spec: CommandSpec, receivedAt: number): void {
    if (this.finished.has(spec.commandId)) {
      const reply = this.replies.get(spec.commandId);
      return reply ? this.reply(reply) : this.host.kernel.emit(() => this.duplicateEvent(spec));
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
    const run: Running = {
      spec,
      deadlineAt: receivedAt + spec.timeoutMs,
      timers: [],
      waiting: new Set(),
      unacked: new Set(),
      counts: { completed: 0, failed: 0, skipped: 0, timedOut: 0 },
      outcomes: [],
      controller: null,
      attempt: 0,
      batchIds: [],
    };
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
    kernel.stats.handlerRuns++;
    const command = { id: run.spec.commandId, name: run.spec.name, payload: run.spec.payload };
    const context = {
      nodeId,
      signal: run.controller.signal,
      attempt: run.attempt,
      deadline: run.deadlineAt,
    };
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(kernel.handler(command, context));
    } catch (error) {
      // The handler threw synchronously; keep whatever it threw, Error or not.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      result = Promise.reject(error);
    }
    result.then(
      (value) => this.onHandlerDone(run, { ok: true, value }),
      (error: unknown) => this.onHandlerDone(run, { ok: false, error }),
    );
  }

  private onHandlerDone(
    run: Running,
    outcome: { ok: true; value: unknown } | { ok: false; error: unknown },
  ): void {
    if (this.running.get(run.spec.commandId) !== run) return; // already answered (deadline, abort)
    const { nodeId, kernel } = this.host;
    if (outcome.ok) {
      this.emit('executed', run.spec, 'completed');
      return this.finish(run.spec.commandId, run, {
        kind: 'COORD_COMPLETE',
        body: {
          of: 'command',
          commandId: run.spec.commandId,
          counts: { completed: 1, failed: 0, skipped: 0, timedOut: 0 },
          outcomes: [
            [
              nodeId,
              outcome.value === undefined
                ? { status: 'completed' }
                : { status: 'completed', result: outcome.value },
            ],
          ],
        },
      });
    }
    const error = describeError(outcome.error);
    const retry = kernel.policy.retry;
    if (
      error.retriable &&
      !retry.nonRetriableCodes.includes(error.code) &&
      run.attempt < retry.maxAttempts
    ) {
      const delay = kernel.jittered(
        Math.min(retry.maxDelayMs, retry.initialDelayMs * retry.factor ** (run.attempt - 1)),
      );
      if (kernel.now() + delay < run.deadlineAt) {
        run.timers.push(this.host.timers.set(() => this.runHandler(run), delay));
        return;
      }
    }
    this.emit('executed', run.spec, 'failed');
    this.finish(run.spec.commandId, run, {
      kind: 'COORD_ERROR',
      body: {
        scope: 'command',
        code: error.code,
        message: error.message,
        retriable: false,
        commandId: run.spec.commandId,
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
        this.settle(run, link.childId, { status: 'skipped', reason, leaves: link.subtree.leaves });
      }
    }
    if (run.waiting.size === 0) return this.finishAggregate(run);
    // The acknowledgement is due `ackMs` after the batch leaves, which may wait `maxDelayMs`.
    const ackDue = kernel.policy.timeouts.ackMs + kernel.policy.batching.maxDelayMs;
    run.timers.push(this.host.timers.set(() => this.onAckTimeout(run), ackDue));
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
    this.settle(run, link.childId, outcome);
    if (run.waiting.size === 0) this.finishAggregate(run);
  }

  /** A child became unavailable: what it owed is timed out. */
  onChildLost(link: Link): void {
    for (const run of [...this.running.values()]) {
      if (!run.waiting.has(link.childId)) continue;
      this.settle(run, link.childId, { status: 'timedOut', leaves: link.subtree.leaves });
      if (run.waiting.size === 0) this.finishAggregate(run);
    }
  }

  private settle(run: Running, childId: string, outcome: Outcome): void {
    run.waiting.delete(childId);
    run.unacked.delete(childId);
    run.outcomes.push([childId, outcome]);
    if (outcome.status === 'completed') run.counts.completed += 1;
    else if (outcome.status === 'failed') run.counts.failed += 1;
    else if (outcome.status === 'skipped') run.counts.skipped += outcome.leaves;
    else run.counts.timedOut += outcome.leaves;
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
      this.settle(run, childId, { status: 'timedOut', leaves });
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
    remember(this.finished, commandId, true);
    remember(this.replies, commandId, reply, REPLAY_WINDOW);
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
        for (const childId of [...run.waiting]) {
          const leaves = this.host.links.get(childId)?.subtree.leaves ?? 1;
          this.settle(run, childId, { status: 'skipped', reason: code, leaves });
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

  private duplicateEvent(spec: CommandSpec): TreeEvent {
    return {
      type: 'command',
      phase: 'duplicate',
      nodeId: this.host.nodeId,
      commandId: spec.commandId,
      name: spec.name,
      at: this.host.kernel.now(),
    };
  }

  private emit(
    phase: 'received' | 'executed' | 'replied',
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

function describeError(error: unknown): { code: string; message: string; retriable: boolean } {
  if (typeof error === 'object' && error !== null) {
    const e = error as { code?: unknown; message?: unknown; retriable?: unknown };
    return {
      code: typeof e.code === 'string' ? e.code : 'HANDLER_FAILED',
      message: typeof e.message === 'string' ? e.message : JSON.stringify(error),
      retriable: e.retriable === true,
    };
  }
  return { code: 'HANDLER_FAILED', message: String(error), retriable: false };
}
