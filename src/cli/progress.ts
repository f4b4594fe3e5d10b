import cliProgress from 'cli-progress';
import type { ImportCounts } from '../domain/import.ts';

/**
 * The import's progress bar: bytes of the file read (the bar and the ETA), rows, rows/s. Only on a
 * terminal: piped or redirected stderr gets nothing, so logs and scripts never see control codes.
 */
export interface ImportBar {
  update(p: { bytes: number; counts: ImportCounts }): void;
  stop(): void;
}

/** Rates are measured over this much recent time, so rows/s and the ETA settle instead of flickering. */
const WINDOW_MS = 5_000;

const clock = (s: number) => {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const t = Math.round(s);
  const hms = [Math.floor(t / 3600), Math.floor((t % 3600) / 60), t % 60];
  return (hms[0] ? hms : hms.slice(1)).map((n, i) => (i ? String(n).padStart(2, '0') : String(n))).join(':');
};

export function importProgress(
  stream: NodeJS.WriteStream,
  /** The file's size; null when it is unknown (stdin): no bar, no ETA, only counts and rate. */
  totalBytes: number | null,
  now: () => number = Date.now,
): ImportBar | null {
  if (!stream.isTTY) return null;
  const known = totalBytes !== null && totalBytes > 0;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: known
        ? 'importing [{bar}] {percentage}% | {rows} rows, {rate} rows/s | {failed} failed | ETA {left}'
        : 'importing {rows} rows, {rate} rows/s | {failed} failed | {took}',
      hideCursor: true,
      clearOnComplete: true,
      fps: 10,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = now();
  const samples: { t: number; bytes: number; rows: number }[] = [{ t: started, bytes: 0, rows: 0 }];
  const payload = (bytes: number, counts: ImportCounts) => {
    const t = now();
    samples.push({ t, bytes, rows: counts.rows });
    while (samples.length > 2 && samples[1].t <= t - WINDOW_MS) samples.shift();
    const first = samples[0];
    const secs = Math.max((t - first.t) / 1000, 0.001);
    const rowRate = (counts.rows - first.rows) / secs;
    const byteRate = (bytes - first.bytes) / secs;
    return {
      rows: counts.rows.toLocaleString('en-US'),
      failed: counts.failed.toLocaleString('en-US'),
      rate: Math.round(rowRate).toLocaleString('en-US'),
      left: known && byteRate > 0 ? clock((totalBytes - bytes) / byteRate) : '--:--',
      took: clock((t - started) / 1000),
    };
  };
  const empty: ImportCounts = { rows: 0, created: 0, updated: 0, unchanged: 0, failed: 0 };
  bar.start(known ? totalBytes : 1, 0, payload(0, empty));
  return {
    update: ({ bytes, counts }) => bar.update(known ? Math.min(bytes, totalBytes) : 0, payload(bytes, counts)),
    stop: () => bar.stop(),
  };
}
