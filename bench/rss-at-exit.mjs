// Preloaded with `node --import` into a process the benchmarks measure: at exit it writes the
// process's peak resident set size (bytes) to the file named by RSS_REPORT_FILE.
import { writeFileSync } from 'node:fs';

const file = process.env.RSS_REPORT_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)));
