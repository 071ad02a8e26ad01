/**
 * `npm run openapi`: writes openapi.yaml from the topology and the route contracts (lib/openapi.ts).
 * `npm run openapi -- --check` exits 1 if the committed file is not what the code would write.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderOpenApiYaml } from '../lib/openapi.ts';

const target = fileURLToPath(new URL('../openapi.yaml', import.meta.url));
const rendered = renderOpenApiYaml();

if (process.argv.includes('--check')) {
  if (readFileSync(target, 'utf8') !== rendered) {
    console.error('openapi.yaml is out of date: run `npm run openapi`.');
    process.exit(1);
  }
  console.log('openapi.yaml is up to date.');
} else {
  writeFileSync(target, rendered);
  console.log(`Wrote ${target}`);
}
