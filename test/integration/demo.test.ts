import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/cli/demo.js';

describe('the demo (npm start -- --headless)', () => {
  it('should start, degrade on a crash, recover and shut down gracefully', async () => {
    // Arrange
    const lines: string[] = [];
    // Act: real time, about 3 s
    await runDemo({ print: (line) => lines.push(line), color: false, headless: true });
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
  });
});
