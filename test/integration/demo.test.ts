import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/cli/demo.js';
import { startCli } from '../helpers/hostProcess.js';

describe('the demo (npm start -- --headless)', () => {
  it('should start, degrade on a crash, recover and shut down gracefully', async () => {
    // Arrange
    const lines: string[] = [];
    let progress = '';
    // Act: real time, about 3 s
    await runDemo({
      print: (line) => lines.push(line),
      color: false,
      headless: true,
      progress: true,
      write: (chunk) => (progress += chunk),
    });
    // Assert
    const text = lines.join('\n');
    expect(text).toMatch(/root started: SYNCHRONIZED/);
    expect(text).toMatch(/eu\s+SYNCHRONIZED → DEGRADED\s+1 child unavailable/);
    expect(text).toMatch(/command "deploy" partial .*1 skipped/);
    expect(text).toMatch(/eu\s+DEGRADED → SYNCHRONIZED/);
    expect(text).toMatch(/link ap ↔ ap-2 cut[\s\S]*link ap ↔ ap-2 healed/);
    expect(text).toMatch(/command "migrate" completed .*7 completed/);
    expect(text).toMatch(/ap-2 ran "migrate" once/);
    expect(text).toMatch(/root\s+SYNCHRONIZED → DISCONNECTED\s+shutdown complete/);
    expect(text).toMatch(/shutdown graceful/);
    // While a command ran, one line said how many leaves had answered, rewritten in place.
    expect(progress).toContain('\r\x1b[2K  … "deploy": 1/7 leaves answered');
    expect(progress).toContain('… "migrate": 7/7 leaves answered');
  });

  it('should exit 0 from the command line with --headless (npm start -- --headless)', async () => {
    const demo = startCli(['demo', '--headless', '--no-color']);
    expect(await demo.exited, demo.output()).toBe(0);
    expect(demo.output()).toContain('shutdown graceful');
    expect(demo.output()).not.toContain('visualizer:');
  });
});
