/**
 * The pages function: its files are read once per container from `pages/` beside this module's bundle (the
 * CDK bundle copies it there, see lib/constructs/gateway-function.ts) or in the repository (the local
 * runtime runs this file from source).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadStaticFiles, makePagesHandler } from '../hosted/pages-handler.ts';

function pagesDirectory(): string {
  const candidates = [new URL('./pages/', import.meta.url), new URL('../../pages/', import.meta.url)].map((url) => fileURLToPath(url));
  const found = candidates.find((directory) => existsSync(`${directory}checkout.html`));
  if (found === undefined) throw new Error(`The hosted pages are missing: looked in ${candidates.join(', ')}`);
  return found;
}

export const handler = makePagesHandler(loadStaticFiles(pagesDirectory()));
