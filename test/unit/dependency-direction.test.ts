/**
 * The hexagon's dependency direction, read from the import lines of functions/: adapters implement ports,
 * and only the composition roots (functions/wiring/) build them, so use cases, ports and handlers never
 * import an adapter; the domain (functions/core/) imports no capability, adapter or wiring.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPOSITORY_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FUNCTIONS_DIR = 'functions';

interface ImportEdge {
  /** The importing file, relative to the repository root. */
  readonly from: string;
  /** The imported module, relative to the repository root. */
  readonly to: string;
}

function sourceFiles(): string[] {
  return readdirSync(join(REPOSITORY_ROOT, FUNCTIONS_DIR), { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.ts'))
    .map((path) => join(FUNCTIONS_DIR, path));
}

/** Every relative `from '…'` and `import('…')` of the file, static or dynamic, type-only or not. */
function importsOf(file: string): ImportEdge[] {
  const text = readFileSync(join(REPOSITORY_ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom|\bimport\()\s*'(\.{1,2}\/[^']+)'/g)].map((match) => match[1] ?? '');
  return specifiers.map((specifier) => ({ from: file, to: normalize(join(dirname(file), specifier)) }));
}

const folderOf = (path: string): string => path.split('/')[1] ?? '';
const isUnder = (path: string, folder: string): boolean => path.startsWith(`${FUNCTIONS_DIR}/${folder}/`);
const describeEdge = ({ from, to }: ImportEdge): string => `${from} -> ${to}`;

describe('dependency direction of functions/', () => {
  const edges = sourceFiles().flatMap(importsOf);

  it('reads the import lines it checks (the composition roots import adapters)', () => {
    const wiringToAdapters = edges.filter((edge) => isUnder(edge.from, 'wiring') && isUnder(edge.to, 'adapters'));

    expect(wiringToAdapters.length).toBeGreaterThan(0);
  });

  it('lets only adapters and the composition roots import an adapter', () => {
    const intoAdapters = edges.filter(
      (edge) => isUnder(edge.to, 'adapters') && !isUnder(edge.from, 'adapters') && !isUnder(edge.from, 'wiring'),
    );

    expect(intoAdapters.map(describeEdge)).toEqual([]);
  });

  it('keeps the domain free of capabilities, adapters and wiring', () => {
    const outOfCore = edges.filter((edge) => isUnder(edge.from, 'core') && edge.to.startsWith(`${FUNCTIONS_DIR}/`) && folderOf(edge.to) !== 'core');

    expect(outOfCore.map(describeEdge)).toEqual([]);
  });
});
