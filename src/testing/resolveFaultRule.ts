/**
 * Validation of a {@link FaultRule} at the call that sets it, and its defaults filled in.
 */
import { InvalidPolicyError } from '../errors.js';
import type { FaultRule } from './FaultInjectingTransport.js';

/** A checked {@link FaultRule} with its defaults. */
export interface ResolvedFaultRule {
  readonly drop: number;
  readonly duplicate: number;
  readonly reorder: number;
  readonly reorderMs: number;
  readonly delayMs: readonly [min: number, max: number];
  /** Whether envelopes may be held back, which needs the tree's clock. */
  readonly needsClock: boolean;
}

/** The rule of a faultless link. */
export const NO_FAULTS: ResolvedFaultRule = {
  drop: 0,
  duplicate: 0,
  reorder: 0,
  reorderMs: 20,
  delayMs: [0, 0],
  needsClock: false,
};

const FIELDS: readonly string[] = ['drop', 'duplicate', 'reorder', 'reorderMs', 'delayMs'];

/**
 * Checks `rule` and fills in its defaults.
 * @param where names the rule in error messages, e.g. `Default fault rule`
 * @throws InvalidPolicyError naming the rule, the field and the value, and what is expected
 */
export function resolveFaultRule(rule: FaultRule, where: string): ResolvedFaultRule {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) {
    throw new InvalidPolicyError(
      `${where} must be an object like { drop: 0.1 }; got ${show(rule)}.`,
    );
  }
  const unknown = Object.keys(rule).find((field) => !FIELDS.includes(field));
  if (unknown !== undefined) {
    throw new InvalidPolicyError(
      `${where} has an unknown field ${JSON.stringify(unknown)}; the fields are ${FIELDS.join(', ')}.`,
    );
  }
  const fail = (field: keyof FaultRule, value: unknown, expected: string): never => {
    throw new InvalidPolicyError(`${where}: ${field} must be ${expected}; got ${show(value)}.`);
  };
  const probability = (field: 'drop' | 'duplicate' | 'reorder'): number => {
    const p = rule[field] ?? 0;
    if (typeof p === 'number' && p >= 0 && p <= 1) return p;
    return fail(field, p, 'a probability in [0, 1] (0.1 means 10% of envelopes)');
  };
  const isWholeMs = (ms: unknown, least: number): ms is number =>
    typeof ms === 'number' && Number.isSafeInteger(ms) && ms >= least;

  const drop = probability('drop');
  const duplicate = probability('duplicate');
  const reorder = probability('reorder');
  const reorderMs = rule.reorderMs ?? NO_FAULTS.reorderMs;
  if (!isWholeMs(reorderMs, 1)) {
    fail('reorderMs', reorderMs, 'a whole number of ms ≥ 1 (default 20)');
  }
  const delay = rule.delayMs ?? 0;
  const range: unknown = typeof delay === 'number' ? [delay, delay] : delay;
  const [min, max] = Array.isArray(range) && range.length === 2 ? (range as unknown[]) : [];
  if (!isWholeMs(min, 0) || !isWholeMs(max, 0)) {
    return fail('delayMs', delay, 'a whole number of ms ≥ 0, or a range [min, max] of them');
  }
  if (min > max) {
    fail('delayMs', delay, `a range [min, max] with min ≤ max, e.g. [${max}, ${min}]`);
  }
  return {
    drop,
    duplicate,
    reorder,
    reorderMs,
    delayMs: [min, max],
    needsClock: max > 0 || reorder > 0,
  };
}

function show(value: unknown): string {
  return Array.isArray(value) ? `[${value.map(show).join(', ')}]` : String(value);
}
