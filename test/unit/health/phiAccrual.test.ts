import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addSample,
  firstEstimate,
  phi,
  PHI_WITHIN_EXPECTED,
  timeToSuspect,
} from '../../../src/health/phiAccrual.js';
import { logSeed, propertyRun, seedLabel } from '../../property/support/machinesPropertyRun.js';

const akka = { minStdDevMs: 100, acceptablePauseMs: 3_000 };

describe('phiAccrual', () => {
  it('should grow with silence, from near zero to past the threshold', () => {
    // Arrange: a link that beat every second
    const stats = firstEstimate(1_000);
    for (let i = 0; i < 50; i++) addSample(stats, 1_000);
    // Act
    const levels = [0, 1_000, 3_000, 4_000, 4_500, 5_000, 10_000].map((t) => phi(stats, t, akka));
    // Assert
    for (let i = 1; i < levels.length; i++) {
      expect(levels[i]!).toBeGreaterThanOrEqual(levels[i - 1]!);
    }
    expect(levels[4]!).toBeGreaterThan(levels[3]!);
    expect(levels[1]!).toBeLessThan(0.01);
    expect(levels[3]!).toBeCloseTo(0.3, 1); // at the expected arrival: P(later) = 1/2
    expect(levels[5]!).toBeGreaterThan(8);
    expect(levels[6]!).toBe(Infinity);
  });

  it('should learn the mean and spread of the intervals', () => {
    const stats = firstEstimate(1_000);
    for (let i = 0; i < 200; i++) addSample(stats, i % 2 === 0 ? 1_500 : 2_500);
    expect(stats.arrivalMean).toBeGreaterThan(1_900);
    expect(stats.arrivalMean).toBeLessThan(2_100);
    expect(Math.sqrt(stats.arrivalVariance)).toBeGreaterThan(400);
    expect(Math.sqrt(stats.arrivalVariance)).toBeLessThan(600);
  });

  it('should suspect a steady link about 5.2 standard deviations past mean + pause', () => {
    const stats = firstEstimate(2_000);
    for (let i = 0; i < 100; i++) addSample(stats, 2_000);
    // The spread has decayed below the floor: the floor counts.
    const t = timeToSuspect(stats, 8, akka);
    expect(t).toBeGreaterThan(2_000 + 3_000 + 500);
    expect(t).toBeLessThan(2_000 + 3_000 + 550);
    expect(phi(stats, t - 1, akka)).toBeLessThan(8);
    expect(phi(stats, t + 1, akka)).toBeGreaterThanOrEqual(8);
  });

  const boundRun = propertyRun();
  it(`should keep phi at most log10 2 until a link is overdue, and above it once overdue ${seedLabel(boundRun)}`, () => {
    logSeed('phi within expected', boundRun);
    const statsArb = fc.record({
      arrivalMean: fc.double({ min: 1, max: 100_000, noNaN: true }),
      arrivalVariance: fc.double({ min: 0, max: 1e9, noNaN: true }),
    });
    const settingsArb = fc.record({
      minStdDevMs: fc.double({ min: 1, max: 10_000, noNaN: true }),
      acceptablePauseMs: fc.double({ min: 0, max: 100_000, noNaN: true }),
    });
    fc.assert(
      fc.property(
        statsArb,
        settingsArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        (stats, settings, share) => {
          const expected = stats.arrivalMean + settings.acceptablePauseMs;
          expect(phi(stats, share * expected, settings)).toBeLessThanOrEqual(PHI_WITHIN_EXPECTED);
          expect(phi(stats, expected * 1.01 + 1, settings)).toBeGreaterThan(PHI_WITHIN_EXPECTED);
        },
      ),
      boundRun,
    );
  });
});
