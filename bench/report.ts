/**
 * Tables for the terminal and for bench/RESULTS.md, from plain rows. Pure.
 */

export interface Table {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Lines printed under the table: how a number was obtained, what it leaves out. */
  readonly notes?: readonly string[];
}

export function toText(tables: readonly Table[]): string {
  return tables.map(tableToText).join('\n');
}

function tableToText(table: Table): string {
  const widths = table.headers.map((header, column) =>
    Math.max(header.length, ...table.rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [
    `== ${table.title}`,
    line(table.headers),
    rule,
    ...table.rows.map(line),
    ...(table.notes ?? []).map((note) => `  * ${note}`),
    '',
  ].join('\n');
}

export function toMarkdown(tables: readonly Table[], preamble: readonly string[] = []): string {
  const escape = (cell: string): string => cell.replaceAll('|', '\\|');
  const sections = tables.map((table) =>
    [
      `### ${table.title}`,
      '',
      `| ${table.headers.map(escape).join(' | ')} |`,
      `| ${table.headers.map(() => '---').join(' | ')} |`,
      ...table.rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
      ...(table.notes === undefined || table.notes.length === 0 ? [] : ['', ...table.notes.map((note) => `- ${note}`)]),
      '',
    ].join('\n'),
  );
  return [...preamble, ...(preamble.length > 0 ? [''] : []), ...sections].join('\n');
}

/** A number with a fixed number of decimals, or `–` when there is none. */
export function formatNumber(value: number | undefined, decimals = 0): string {
  return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(decimals);
}

export function formatUsd(value: number): string {
  return value >= 0.01 || value === 0 ? `$${value.toFixed(2)}` : `$${value.toFixed(4)}`;
}

/**
 * bench/results.json: the run's results, indented, then `targets` with one line per target, so that a
 * diff of two runs shows which targets moved.
 */
export function resultsJson(results: Readonly<Record<string, unknown>>, targets: readonly unknown[]): string {
  const body = JSON.stringify(results, null, 2);
  const lines = targets.map((target) => `    ${JSON.stringify(target)}`).join(',\n');
  const targetsJson = targets.length === 0 ? '[]' : `[\n${lines}\n  ]`;
  return body === '{}' ? `{\n  "targets": ${targetsJson}\n}\n` : `${body.slice(0, -2)},\n  "targets": ${targetsJson}\n}\n`;
}
