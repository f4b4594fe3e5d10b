// Writes the client's generated types from the document the server serves (npm run client:types).
import { mkdir, writeFile } from 'node:fs/promises';
import { CLIENT_TYPES_FILE, clientTypesOf, servedDocument } from './openapi-document.ts';

await mkdir(new URL('.', CLIENT_TYPES_FILE), { recursive: true });
await writeFile(CLIENT_TYPES_FILE, await clientTypesOf(await servedDocument()));
console.log(`wrote ${CLIENT_TYPES_FILE.pathname}`);
