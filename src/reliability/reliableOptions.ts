/**
 * Options of the reliable transport: resend backoff, give-up budget, window and bounds, with
 * their defaults and validation.
 */
import { InvalidPolicyError } from '../errors.js';

/** Options of the reliable transport (`ReliableTransport`). Every one is optional. */
export interface ReliableTransportOptions {
  /** Delay before unacknowledged envelopes are first resent, ms. Default 200. */
  readonly resendInitialMs?: number;
  /** The resend delay is multiplied by this after each timeout without progress (≥ 1). Default 2. */
  readonly resendFactor?: number;
  /** Upper bound of the resend delay, ms (≥ `resendInitialMs`). Default 2 000. */
  readonly resendMaxMs?: number;
  /**
   * Each resend delay is spread by up to ± this fraction of itself, drawn from the tree's random
   * source, in [0, 1). Default 0.2.
   */
  readonly jitter?: number;
  /**
   * A stream whose acknowledgements made no progress for this long gives up at its next resend
   * timeout: its envelopes are dropped and the sender's node is told the link is lost, ms.
   * `Infinity` never gives up. Default 10 000.
   */
  readonly giveUpAfterMs?: number;
  /** Unacknowledged envelopes in flight per stream; more wait their turn, in order. Default 256. */
  readonly window?: number;
  /**
   * Envelopes a receiver holds back per stream while an earlier one is missing; past it an
   * out-of-order envelope is dropped (the sender resends it). Default 1 024.
   */
  readonly holdBack?: number;
  /** Incoming streams remembered per sending peer; the oldest is forgotten first. Default 8. */
  readonly streamsPerPeer?: number;
}

/** Every option, with its default applied. */
export type ResolvedReliableOptions = Required<ReliableTransportOptions>;

/** The defaults of {@link ReliableTransportOptions}. */
export const DEFAULT_RELIABLE_OPTIONS: ResolvedReliableOptions = {
  resendInitialMs: 200,
  resendFactor: 2,
  resendMaxMs: 2_000,
  jitter: 0.2,
  giveUpAfterMs: 10_000,
  window: 256,
  holdBack: 1_024,
  streamsPerPeer: 8,
};

type Rule = 'positiveMs' | 'budgetMs' | 'factor' | 'ratio' | 'positiveCount' | 'count';

const RULES: Readonly<Record<Rule, { readonly what: string; ok(n: number): boolean }>> = {
  positiveMs: { what: 'a duration > 0 (ms)', ok: (n) => Number.isFinite(n) && n > 0 },
  budgetMs: { what: 'a duration > 0 (ms) or Infinity', ok: (n) => n > 0 },
  factor: { what: 'a finite factor ≥ 1', ok: (n) => Number.isFinite(n) && n >= 1 },
  ratio: { what: 'a fraction in [0, 1)', ok: (n) => n >= 0 && n < 1 },
  positiveCount: { what: 'an integer ≥ 1', ok: (n) => Number.isInteger(n) && n >= 1 },
  count: { what: 'an integer ≥ 0', ok: (n) => Number.isInteger(n) && n >= 0 },
};

const RULE_OF: Readonly<Record<keyof ResolvedReliableOptions, Rule>> = {
  resendInitialMs: 'positiveMs',
  resendFactor: 'factor',
  resendMaxMs: 'positiveMs',
  jitter: 'ratio',
  giveUpAfterMs: 'budgetMs',
  window: 'positiveCount',
  holdBack: 'count',
  streamsPerPeer: 'positiveCount',
};

function fail(name: string, what: string, value: unknown): never {
  throw new InvalidPolicyError(`options.${name} must be ${what}; got ${String(value)}.`);
}

/**
 * Applies the defaults (to absent or `undefined` values) and checks every value.
 * @throws InvalidPolicyError naming the option, the rule and the value
 */
export function resolveReliableOptions(
  options: ReliableTransportOptions = {},
): ResolvedReliableOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidPolicyError(
      `ReliableTransport options must be an object; got ${String(options)}.`,
    );
  }
  const resolved: { -readonly [K in keyof ResolvedReliableOptions]: number } = {
    ...DEFAULT_RELIABLE_OPTIONS,
  };
  for (const name of Object.keys(RULE_OF) as (keyof ResolvedReliableOptions)[]) {
    const value: unknown = options[name] ?? DEFAULT_RELIABLE_OPTIONS[name];
    const rule = RULES[RULE_OF[name]];
    if (typeof value !== 'number' || !rule.ok(value)) fail(name, rule.what, value);
    resolved[name] = value;
  }
  if (resolved.resendMaxMs < resolved.resendInitialMs) {
    fail(
      'resendMaxMs',
      `≥ options.resendInitialMs (${resolved.resendInitialMs})`,
      resolved.resendMaxMs,
    );
  }
  return resolved;
}
