/**
 * The pages function: the hosted pages (pages/*.html) and their assets (pages/assets/*.js, *.css) as static
 * files. They are public: everything they show comes through the session routes, with the session token
 * the page reads from its URL fragment. Every answer carries a strict Content-Security-Policy (no inline
 * script or style, same-origin fetches only, no framing).
 *
 * The files are read once per container, into memory (functions/wiring/pages.ts says from where). Only
 * names read at start can be served, so a path can never reach outside the folder.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { NotFoundError } from '../core/errors.ts';
import { problemResponse } from '../http/problem.ts';
import type { RouteDeclaration } from '../http/route-declaration.ts';
import type { ApiRoute } from '../http/route.ts';
import { pageRoutes } from './routes.ts';

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
} as const;

/** Pages revalidate on every load (a deploy shows at once); assets may be reused for five minutes. */
const PAGE_CACHE = 'no-cache';
const ASSET_CACHE = 'public, max-age=300';

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The hosted pages, each served at /pages/<name> from <name>.html. */
const PAGE_NAMES = ['checkout', 'wallet', 'console'] as const;

export interface StaticFile {
  readonly body: string;
  readonly contentType: string;
}

/** The files served, by page name and by asset file name. */
export interface StaticFiles {
  readonly pages: ReadonlyMap<string, StaticFile>;
  readonly assets: ReadonlyMap<string, StaticFile>;
}

function extensionOf(name: string): string {
  return /\.[a-z]+$/.exec(name)?.[0] ?? '';
}

/** The pages and assets of a folder laid out as pages/ is (`directory` ends with a slash). */
export function loadStaticFiles(directory: string): StaticFiles {
  const read = (path: string, name: string): StaticFile => ({
    body: readFileSync(path, 'utf8'),
    contentType: contentTypes[extensionOf(name)] ?? 'application/octet-stream',
  });
  const pages = new Map<string, StaticFile>(PAGE_NAMES.map((name) => [name, read(`${directory}${name}.html`, `${name}.html`)]));
  const assets = new Map<string, StaticFile>();
  for (const name of readdirSync(`${directory}assets`)) {
    if (/^[a-z][a-z0-9-]*\.(js|css)$/.test(name)) assets.set(name, read(`${directory}assets/${name}`, name));
  }
  return { pages, assets };
}

function serve(file: StaticFile, cacheControl: string): APIGatewayProxyResult {
  return {
    statusCode: 200,
    headers: { 'Content-Type': file.contentType, 'Cache-Control': cacheControl, ...SECURITY_HEADERS },
    body: file.body,
  };
}

function notFound(what: string, id: string, requestId: string): APIGatewayProxyResult {
  const response = problemResponse(new NotFoundError(what, id), requestId);
  return { ...response, headers: { ...response.headers, 'Cache-Control': 'no-store', 'Request-Id': requestId, ...SECURITY_HEADERS } };
}

/**
 * The routes served here, listed as the API handlers list theirs (test/contract checks every route has a
 * handler): none takes a body or a query. Static files skip the JSON pipeline, so `handle` is never called.
 */
const servedRoutes: readonly ApiRoute[] = Object.values<RouteDeclaration>(pageRoutes).map((declaration) => ({
  declaration,
  handle: () =>
    Promise.reject(new Error(`${declaration.method} ${declaration.path} is served as a static file, not through the API pipeline`)),
}));

export type PagesHandler = ((event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>) & { readonly routes: readonly ApiRoute[] };

export function makePagesHandler(files: StaticFiles): PagesHandler {
  async function serveStatic(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    const requestId = event.requestContext?.requestId ?? randomUUID();
    if (event.resource === pageRoutes.getPageAsset.path) {
      const name = event.pathParameters?.file ?? '';
      const asset = files.assets.get(name);
      return asset === undefined ? notFound('asset', name, requestId) : serve(asset, ASSET_CACHE);
    }
    const page = files.pages.get(event.resource.replace(/^\/pages\//, ''));
    return page === undefined ? notFound('page', event.resource, requestId) : serve(page, PAGE_CACHE);
  }
  return Object.assign(serveStatic, { routes: servedRoutes });
}
