/**
 * A runtime conformance monitor: watches a tree's event stream and checks each link's message
 * sequence and each node's transitions against the protocol. A breach is reported as a
 * violation (never thrown), so it can run in production as well as under property tests.
 */
import { isAllowedTransition } from '../../machines/index.js';
import type { TreeEvent } from '../runtime/events.js';

type ObservedEvent = Exclude<TreeEvent, ViolationEvent>;

/** The rules the monitor checks. */
export type ConformanceRule =
  /** A node moved along an edge that is not in the transition table. */
  | 'transition-outside-table'
  /** A parent sent COORD_COMMAND on a link whose child has not answered READY in that session. */
  | 'command-before-ready'
  /** A node sent a message after it completed its shutdown (and before it came back). */
  | 'message-after-shutdown'
  /** A leaf ran the handler of one command twice. */
  | 'executed-twice';

/** A breach of the protocol, as seen on the event stream. */
export interface ViolationEvent {
  readonly type: 'violation';
  readonly rule: ConformanceRule;
  /** The node at fault. */
  readonly nodeId: string;
  /** What happened, in words. */
  readonly detail: string;
  readonly at: number;
}

/** Executions remembered per monitor to catch a second one (oldest forgotten first). */
export const EXECUTION_WINDOW = 65_536;

/** Violations kept in {@link ConformanceMonitor.violations} (oldest dropped first). */
export const VIOLATIONS_KEPT = 1_000;

/**
 * Checks the events it is given, in order. Use it through `createCoordinationTree({ monitor:
 * true })` (violations then appear on `tree.events$`), or feed it yourself:
 * `tree.events$.subscribe((e) => monitor.observe(e))`.
 */
export class ConformanceMonitor {
  /** The latest violations (at most {@link VIOLATIONS_KEPT}), oldest first. */
  readonly violations: ViolationEvent[] = [];
  /** Violations found in all. */
  violationCount = 0;
  /** How often each table transition fired, by `FROM→TO`. */
  readonly transitionCounts = new Map<string, number>();
  /** `child|parent|session` of every READY seen. */
  private readonly ready = new Set<string>();
  /** Nodes that completed their shutdown. */
  private readonly shutDown = new Set<string>();
  /** `node|command` of every handler run, within {@link EXECUTION_WINDOW}. */
  private readonly executed = new Set<string>();

  /** @param onViolation called with each violation as it is found */
  constructor(private readonly onViolation: (violation: ViolationEvent) => void = () => {}) {}

  /** Checks one event. */
  observe(event: TreeEvent): void {
    switch (event.type) {
      case 'transition': {
        const edge = `${event.from}→${event.to}`;
        if (!isAllowedTransition(event.from, event.to)) {
          this.report(
            'transition-outside-table',
            event.nodeId,
            `${edge} (${event.reason})`,
            event.at,
          );
        } else {
          this.transitionCounts.set(edge, (this.transitionCounts.get(edge) ?? 0) + 1);
        }
        return;
      }
      case 'message':
        return this.onMessage(event);
      case 'command':
        if (event.phase !== 'executed') return;
        return this.onExecuted(event.nodeId, event.commandId, event.at);
      case 'node':
        // A node that comes back (or a new one with the id) starts a new life.
        if (event.change === 'revived' || event.change === 'added') {
          this.shutDown.delete(event.nodeId);
        }
        return;
      default:
        return;
    }
  }

  private onMessage(event: Extract<ObservedEvent, { type: 'message' }>): void {
    const { envelope } = event;
    if (this.shutDown.has(envelope.from)) {
      this.report(
        'message-after-shutdown',
        envelope.from,
        `${envelope.kind} to ${envelope.to} after its shutdown completed`,
        event.at,
      );
    }
    switch (envelope.kind) {
      case 'COORD_READY':
        this.ready.add(`${envelope.from}|${envelope.to}|${envelope.session}`);
        return;
      case 'COORD_COMMAND':
        if (!this.ready.has(`${envelope.to}|${envelope.from}|${envelope.session}`)) {
          this.report(
            'command-before-ready',
            envelope.from,
            `COORD_COMMAND to ${envelope.to}, which has not answered READY in session ${envelope.session}`,
            event.at,
          );
        }
        return;
      case 'COORD_COMPLETE':
        if (envelope.body.of === 'shutdown') this.shutDown.add(envelope.from);
        return;
      default:
        return;
    }
  }

  private onExecuted(nodeId: string, commandId: string, at: number): void {
    const key = `${nodeId}|${commandId}`;
    if (this.executed.has(key)) {
      this.report('executed-twice', nodeId, `ran the handler of command ${commandId} again`, at);
      return;
    }
    this.executed.add(key);
    if (this.executed.size > EXECUTION_WINDOW) {
      this.executed.delete(this.executed.values().next().value!);
    }
  }

  private report(rule: ConformanceRule, nodeId: string, detail: string, at: number): void {
    const violation: ViolationEvent = { type: 'violation', rule, nodeId, detail, at };
    this.violationCount++;
    this.violations.push(violation);
    if (this.violations.length > VIOLATIONS_KEPT) this.violations.shift();
    this.onViolation(violation);
  }
}
