/**
 * Pages of `GET` lists: `limit` and an opaque `starting_after` cursor in (see `paginationQueryShape` in
 * contract/common.ts), a JSON array and an RFC 8288 `Link: <...>; rel="next"` header out.
 *
 * The cursor is the base64url of the last item's table key. Decoding checks it against the partition the
 * list reads, so a crafted cursor cannot point a query into another merchant's items.
 */
import secureJsonParse from 'secure-json-parse';
import { InvalidRequestError } from '../core/errors.ts';
import type { ApiResult, RequestLocation } from './route.ts';

export type PageKey = Readonly<Record<string, string>>;

export interface Page<Item> {
  readonly items: readonly Item[];
  /** The key to continue after; absent on the last page. */
  readonly nextKey?: PageKey | undefined;
}

const CURSOR_PARAM = 'starting_after';

export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * The key a cursor stands for; undefined without a cursor. `expected` holds the attributes the key must
 * carry as they are (the list's partition), so a cursor of another list is refused.
 */
export function decodeCursor(cursor: string | undefined, expected: PageKey): PageKey | undefined {
  if (cursor === undefined) return undefined;
  const invalid = new InvalidRequestError('parameter_invalid', 'This cursor is not valid for this list.', {
    param: CURSOR_PARAM,
  });
  let key: unknown;
  try {
    key = secureJsonParse.parse(Buffer.from(cursor, 'base64url').toString('utf8'), undefined, {
      protoAction: 'error',
      constructorAction: 'error',
    });
  } catch {
    throw invalid;
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw invalid;
  const entries = Object.entries(key);
  if (entries.length === 0 || !entries.every(([, value]) => typeof value === 'string')) throw invalid;
  const decoded = Object.fromEntries(entries) as Record<string, string>;
  for (const [name, value] of Object.entries(expected)) {
    if (decoded[name] !== value) throw invalid;
  }
  return decoded;
}

/** `<url>; rel="next"`: the same request with `starting_after` set to the cursor, other parameters kept. */
export function nextPageLink(location: RequestLocation, cursor: string): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(location.query)) {
    if (name !== CURSOR_PARAM) query.append(name, value);
  }
  query.append(CURSOR_PARAM, cursor);
  return `<${location.origin ?? ''}${location.path}?${query.toString()}>; rel="next"`;
}

export function pageResult<Item>(location: RequestLocation, page: Page<Item>): ApiResult {
  return {
    status: 200,
    body: page.items,
    headers: page.nextKey === undefined ? {} : { Link: nextPageLink(location, encodeCursor(page.nextKey)) },
  };
}
