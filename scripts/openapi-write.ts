// Writes the document a running Roster serves to a file (npm run openapi:lint lints it with Redocly).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { servedDocument } from './openapi-document.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: tsx scripts/openapi-write.ts <file>');
await mkdir(dirname(file), { recursive: true });
await writeFile(file, JSON.stringify(await servedDocument(), null, 2) + '\n');
