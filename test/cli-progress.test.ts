import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { importProgress } from '../src/cli/progress.ts';

/** A terminal as cli-progress sees one: isTTY, a width, cursor moves; it keeps what was drawn. */
class FakeTerminal extends Writable {
  isTTY = true;
  columns = 160;
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.text += chunk;
    done();
  }
  cursorTo() {
    return true;
  }
  clearLine() {
    return true;
  }
  moveCursor() {
    return true;
  }
}

const counts = (rows: number, failed = 0) => ({ rows, created: rows - failed, updated: 0, unchanged: 0, failed });
/** The last line drawn (the bar redraws ten times a second), without escape sequences. */
const lastFrame = async (t: FakeTerminal) => {
  await new Promise((resolve) => setTimeout(resolve, 250));
  return t.text
    .split('\x1b[1G')
    .at(-1)!
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
};

describe('the import progress bar', () => {
  it('draws nothing when stderr is not a terminal', () => {
    const piped = new FakeTerminal();
    piped.isTTY = false;
    expect(importProgress(piped as unknown as NodeJS.WriteStream, 1000)).toBeNull();
    expect(piped.text).toBe('');
  });

  it('moves with every report: share of the file, rows, rows/s over the recent window, time left', async () => {
    const term = new FakeTerminal();
    let now = 0;
    const bar = importProgress(term as unknown as NodeJS.WriteStream, 1_000_000, () => now)!;
    now = 1_000;
    bar.update({ bytes: 100_000, counts: counts(1_000) });
    now = 2_000;
    bar.update({ bytes: 200_000, counts: counts(2_000, 3) });
    // 200 kB of 1 MB in 2 s: 20 %, 1,000 rows/s, 8 s left.
    expect(await lastFrame(term)).toMatch(/20% \| 2,000 rows, 1,000 rows\/s \| 3 failed \| ETA 0:08/);
    bar.stop();
  });

  it('rows/s and the time left follow the last seconds, not the whole run', async () => {
    const term = new FakeTerminal();
    let now = 0;
    const bar = importProgress(term as unknown as NodeJS.WriteStream, 2_100_000, () => now)!;
    let rows = 0;
    let bytes = 0;
    for (let s = 1; s <= 12; s++) {
      // 1,000 rows/s for 6 s, then 4,000 rows/s.
      rows += s <= 6 ? 1_000 : 4_000;
      bytes += s <= 6 ? 50_000 : 200_000;
      now = s * 1000;
      bar.update({ bytes, counts: counts(rows) });
    }
    // 1.5 MB of 2.1 MB; the last 5 s ran at 4,000 rows/s and 200 kB/s: 3 s left.
    expect(await lastFrame(term)).toMatch(/71% \| 30,000 rows, 4,000 rows\/s \| 0 failed \| ETA 0:03/);
    bar.stop();
  });

  it('without a size (stdin): rows, rows/s and the time taken', async () => {
    const term = new FakeTerminal();
    let now = 0;
    const bar = importProgress(term as unknown as NodeJS.WriteStream, null, () => now)!;
    now = 65_000;
    bar.update({ bytes: 5_000, counts: counts(6_500) });
    expect(await lastFrame(term)).toMatch(/importing 6,500 rows, 100 rows\/s \| 0 failed \| 1:05/);
    bar.stop();
  });
});
