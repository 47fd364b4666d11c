/**
 * A transport decorator that injects network faults (drops, duplicates, delays, reordering,
 * partitions, node crashes) into the transport it wraps, deterministically from a seed, so
 * that the runtime and users' handlers can be tested under faults.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import type { AnyEnvelope } from '../../machines/index.js';
import { InvalidPolicyError, TreeLifecycleError } from '../errors.js';
import type { FaultEvent, Inbox, Transport, TransportHost } from '../transport/Transport.js';
import { DelayLine } from './DelayLine.js';
import { NO_FAULTS, resolveFaultRule, type ResolvedFaultRule } from './resolveFaultRule.js';

/**
 * The peer that stands for every node in {@link FaultInjectingTransport.partition} and
 * {@link FaultInjectingTransport.heal}: `partition(a, ANY_NODE)` cuts `a` off from everyone.
 * Ids starting with `$` are reserved, so no node of a tree has this id.
 */
export const ANY_NODE = '$all';

/** Faults applied to the envelopes of a link. Every field is optional. */
export interface FaultRule {
  /** Probability that an envelope is lost, in [0, 1]. Default 0. */
  readonly drop?: number;
  /** Probability that an envelope is delivered twice (the copy after it), in [0, 1]. Default 0. */
  readonly duplicate?: number;
  /**
   * Probability that an envelope is held back an extra `[1, reorderMs]` ms so that later
   * envelopes overtake it, in [0, 1]. Default 0.
   */
  readonly reorder?: number;
  /** Longest extra hold of a reordered envelope, whole ms ≥ 1. Default 20. */
  readonly reorderMs?: number;
  /**
   * Delay of every envelope, whole ms ≥ 0: fixed, or uniform in `[min, max]` (then envelopes
   * may overtake each other). Default 0. With a fixed delay and no reorder, a link stays FIFO.
   */
  readonly delayMs?: number | readonly [min: number, max: number];
}

/** Options of {@link FaultInjectingTransport}. */
export interface FaultInjectingTransportOptions {
  /**
   * Seed of the fault generator, an integer (its low 32 bits are used): the same seed and the
   * same sends give the same faults. Default 1.
   */
  readonly seed?: number;
}

/** Options of {@link FaultInjectingTransport.partition}. */
export interface PartitionOptions {
  /** Cut only `a → b`; `b → a` still delivers. Default false. */
  readonly oneWay?: boolean;
}

/** Envelopes the faults touched so far. A duplicate's copy counts as an envelope. */
export interface FaultStats {
  /** Envelopes lost, for any cause (chance or partition). */
  dropped: number;
  /** Of `dropped`, those lost because their link was partitioned. */
  partitioned: number;
  /** Envelopes delivered twice. */
  duplicated: number;
  /** Envelopes held by a link's `delayMs`. */
  delayed: number;
  /** Envelopes held back for reordering. */
  reordered: number;
}

const linkKey = (from: string, to: string): string => JSON.stringify([from, to]);

/**
 * Wraps a transport and applies faults to what is sent through it. Pass it to
 * `createCoordinationTree({ transport })`, e.g.
 * `new FaultInjectingTransport(new InProcessTransport(), { seed: 7 })`, under a reliable
 * transport if the tree should ride the faults out.
 *
 * Per envelope, random numbers are drawn only for the rule fields that need them, in this
 * order: drop, duplicate, then for the envelope and its copy each: delay (a range), reorder,
 * reorder hold. Partitions are checked when an envelope is sent and again when a held one is
 * released. Every fault applied is published as a {@link FaultEvent} on the tree's events.
 */
export class FaultInjectingTransport implements Transport {
  private readonly counts: FaultStats = {
    dropped: 0,
    partitioned: 0,
    duplicated: 0,
    delayed: 0,
    reordered: 0,
  };
  /** What the faults did so far (live counters). */
  readonly stats: Readonly<FaultStats> = this.counts;
  private readonly rng: RandomGenerator;
  private defaultRule = NO_FAULTS;
  private readonly linkRules = new Map<string, ResolvedFaultRule>();
  /** Cut directions `from → to` by {@link linkKey}; either end may be {@link ANY_NODE}. */
  private readonly cuts = new Map<string, readonly [from: string, to: string]>();
  private host: TransportHost | undefined;
  private line: DelayLine | undefined;
  private closed = false;

  /**
   * @param inner the transport that delivers what survives the faults
   * @throws InvalidPolicyError if `options.seed` is not an integer
   */
  constructor(
    private readonly inner: Transport,
    options: FaultInjectingTransportOptions = {},
  ) {
    const seed = options.seed ?? 1;
    if (!Number.isSafeInteger(seed)) {
      throw new InvalidPolicyError(
        `FaultInjectingTransport option seed must be an integer; got ${String(seed)}. Pass a whole number, e.g. { seed: 7 }.`,
      );
    }
    this.rng = xoroshiro128plus(seed);
  }

  /** Envelopes held back (delayed or reordered), not yet passed on. */
  get pending(): number {
    return this.line?.size ?? 0;
  }

  /** Takes the tree's clock and event stream, and passes the host on to the inner transport. */
  bind(host: TransportHost): void {
    this.line?.clear();
    this.host = host;
    this.line = new DelayLine(host, (envelope) => this.release(envelope));
    this.inner.bind?.(host);
  }

  /** Attaches `inbox` to the inner transport. */
  attach(nodeId: string, inbox: Inbox): () => void {
    return this.inner.attach(nodeId, inbox);
  }

  /**
   * Applies the link's partition and rule to `envelope`; passes it on at once if no fault
   * holds it back. @throws TreeLifecycleError if the rule holds envelopes and it is not bound
   */
  send(envelope: AnyEnvelope): void {
    if (this.closed) return;
    const { from, to } = envelope;
    if (this.isCut(from, to)) return this.drop(envelope, 'partition');
    const rule = this.linkRules.get(linkKey(from, to)) ?? this.defaultRule;
    const line = rule.needsClock ? (this.line ?? this.unbound('delay or reorder envelopes')) : null;
    if (this.chance(rule.drop)) return this.drop(envelope, 'chance');
    const copies = this.chance(rule.duplicate) ? 2 : 1;
    if (copies === 2) {
      this.counts.duplicated++;
      this.report('duplicate', envelope);
    }
    for (let copy = 0; copy < copies; copy++) this.forward(envelope, rule, line);
  }

  /** Stops every fault timer and the inner transport; nothing is delivered afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.line?.clear();
    this.inner.close();
  }

  /** Sets the rule of every link that has none of its own. @throws InvalidPolicyError */
  setDefault(rule: FaultRule): void {
    this.defaultRule = resolveFaultRule(rule, 'Default fault rule');
  }

  /** Sets the rule of the link `from → to` (that direction only). @throws InvalidPolicyError */
  setLink(from: string, to: string, rule: FaultRule): void {
    const where = `Fault rule for link ${JSON.stringify(from)} → ${JSON.stringify(to)}`;
    this.linkRules.set(linkKey(from, to), resolveFaultRule(rule, where));
  }

  /**
   * Back to a faultless network: removes every rule and heals every partition. Crashed nodes
   * stay crashed; envelopes already held are still delivered when due.
   */
  clear(): void {
    this.defaultRule = NO_FAULTS;
    this.linkRules.clear();
    this.healAll();
  }

  /** Drops every envelope `a → b` (and `b → a` unless `oneWay`) until healed. */
  partition(a: string, b: string, options: PartitionOptions = {}): void {
    const oneWay = options.oneWay ?? false;
    this.cuts.set(linkKey(a, b), [a, b]);
    if (!oneWay) this.cuts.set(linkKey(b, a), [b, a]);
    this.emit(() => ({ type: 'fault', fault: 'partition', from: a, to: b, oneWay }));
  }

  /** Drops every envelope to or from `nodeId` until `heal(nodeId)`. */
  isolate(nodeId: string): void {
    this.partition(nodeId, ANY_NODE);
  }

  /** Restores `a → b` and `b → a`; `heal(nodeId)` ends `isolate(nodeId)`. No-op if not cut. */
  heal(a: string, b: string = ANY_NODE): void {
    const ab = this.cuts.delete(linkKey(a, b));
    const ba = this.cuts.delete(linkKey(b, a));
    if (!ab && !ba) return;
    const [from, to] = ab ? [a, b] : [b, a];
    this.emit(() => ({ type: 'fault', fault: 'heal', from, to, oneWay: !(ab && ba) }));
  }

  /** Heals every partition and isolation. */
  healAll(): void {
    for (const [a, b] of [...this.cuts.values()]) this.heal(a, b);
  }

  /** Crashes `nodeId` through the tree (as `tree.kill`). @throws TreeLifecycleError before bind */
  crash(nodeId: string): void {
    (this.host ?? this.unbound('crash a node')).killNode(nodeId);
    this.emit(() => ({ type: 'fault', fault: 'crash', from: nodeId }));
  }

  /** Brings `nodeId` back fresh (as `tree.revive`). @throws TreeLifecycleError before bind */
  restart(nodeId: string): void {
    (this.host ?? this.unbound('restart a node')).reviveNode(nodeId);
    this.emit(() => ({ type: 'fault', fault: 'restart', from: nodeId }));
  }

  private forward(envelope: AnyEnvelope, rule: ResolvedFaultRule, line: DelayLine | null): void {
    const [min, max] = rule.delayMs;
    const delayMs = min === max ? min : uniformInt(this.rng, min, max);
    const reorderMs = this.chance(rule.reorder) ? uniformInt(this.rng, 1, rule.reorderMs) : 0;
    if (delayMs + reorderMs === 0 || !line) return this.inner.send(envelope);
    if (delayMs > 0) {
      this.counts.delayed++;
      this.report('delay', envelope, { delayMs });
    }
    if (reorderMs > 0) {
      this.counts.reordered++;
      this.report('reorder', envelope, { delayMs: reorderMs });
    }
    line.hold(linkKey(envelope.from, envelope.to), envelope, delayMs + reorderMs);
  }

  private release(envelope: AnyEnvelope): void {
    if (this.closed) return;
    if (this.isCut(envelope.from, envelope.to)) this.drop(envelope, 'partition');
    else this.inner.send(envelope);
  }

  private isCut(from: string, to: string): boolean {
    if (this.cuts.size === 0) return false;
    return [from, ANY_NODE].some((f) => [to, ANY_NODE].some((t) => this.cuts.has(linkKey(f, t))));
  }

  private chance(probability: number): boolean {
    return probability > 0 && uniformFloat64(this.rng) < probability;
  }

  private drop(envelope: AnyEnvelope, cause: 'chance' | 'partition'): void {
    this.counts.dropped++;
    if (cause === 'partition') this.counts.partitioned++;
    this.report('drop', envelope, { cause });
  }

  /** Publishes a fault applied to `envelope`. */
  private report(
    fault: 'drop' | 'duplicate' | 'delay' | 'reorder',
    envelope: AnyEnvelope,
    extra: Pick<FaultEvent, 'cause' | 'delayMs'> = {},
  ): void {
    const { from, to } = envelope;
    this.emit(() => ({ type: 'fault', fault, from, to, envelope, ...extra }));
  }

  private emit(make: () => Omit<FaultEvent, 'at'>): void {
    const host = this.host;
    host?.emit(() => ({ ...make(), at: host.now() }));
  }

  private unbound(what: string): never {
    throw new TreeLifecycleError(
      `FaultInjectingTransport cannot ${what} before it is bound to a tree: pass it to createCoordinationTree({ transport }) (or call bind(host)) first.`,
    );
  }
}
