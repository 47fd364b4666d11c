/**
 * The phi-accrual failure detector (Hayashibara et al.; the variant Akka and Cassandra use):
 * instead of a yes/no timeout it gives a suspicion level phi = -log10(P(a heartbeat is still
 * to come this late)), from the mean and spread of past inter-arrival times. The history is
 * kept as an exponentially weighted mean and variance: three numbers per link, whatever the
 * tree's size.
 */

/** What the detector learned of one link's inter-arrival times. */
export interface ArrivalStats {
  /** Mean inter-arrival time, ms. */
  arrivalMean: number;
  /** Variance of inter-arrival times, ms². */
  arrivalVariance: number;
}

/** The detector's settings (the heartbeat policy's). */
export interface PhiSettings {
  readonly minStdDevMs: number;
  readonly acceptablePauseMs: number;
}

/** Weight of a new sample (as TCP's smoothed round-trip time: 1/8). */
const WEIGHT = 0.125;

/** Stats before any sample: the expected interval, with a spread of a quarter of it (as Akka). */
export function firstEstimate(intervalMs: number): ArrivalStats {
  return { arrivalMean: intervalMs, arrivalVariance: (intervalMs / 4) ** 2 };
}

/** Adds an inter-arrival sample, ms. */
export function addSample(stats: ArrivalStats, intervalMs: number): void {
  const diff = intervalMs - stats.arrivalMean;
  const increment = WEIGHT * diff;
  stats.arrivalMean += increment;
  stats.arrivalVariance = (1 - WEIGHT) * (stats.arrivalVariance + diff * increment);
}

/**
 * The most phi reaches while a link is silent no longer than expected (its mean inter-arrival
 * time plus the acceptable pause): log10 2, where a later arrival is as likely as not.
 */
export const PHI_WITHIN_EXPECTED = Math.log10(2);

/**
 * Suspicion that a link silent for `silentMs` has failed. The acceptable pause shifts the
 * expected arrival later; the normal distribution's tail is approximated with a logistic
 * function (as Akka does), so phi grows smoothly and reaches `Infinity` only far past due.
 */
export function phi(stats: ArrivalStats, silentMs: number, settings: PhiSettings): number {
  const mean = stats.arrivalMean + settings.acceptablePauseMs;
  const stdDev = Math.max(Math.sqrt(stats.arrivalVariance), settings.minStdDevMs);
  const y = (silentMs - mean) / stdDev;
  const e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
  return silentMs > mean ? -Math.log10(e / (1 + e)) : -Math.log10(1 - 1 / (1 + e));
}

/**
 * How long after its last arrival a link with these stats reaches `threshold`, ms: the
 * detection time for a crash, found by bisection on the monotonic `phi`.
 */
export function timeToSuspect(
  stats: ArrivalStats,
  threshold: number,
  settings: PhiSettings,
): number {
  let low = 0;
  let high = stats.arrivalMean + settings.acceptablePauseMs + 1;
  while (phi(stats, high, settings) < threshold) high *= 2;
  for (let i = 0; i < 40; i++) {
    const mid = (low + high) / 2;
    if (phi(stats, mid, settings) < threshold) low = mid;
    else high = mid;
  }
  return high;
}
