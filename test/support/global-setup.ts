import { execFileSync } from 'node:child_process';
import { ROOT_DIR } from './process.ts';

/** Tests run the `roster` CLI from dist/, as users do: build it once here rather than in racing test files. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build-state.mjs', '--ensure'], { cwd: ROOT_DIR, stdio: 'inherit' });
}
