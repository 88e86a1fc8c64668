import { formatRfc3339 } from '@kiln/alerts';
import type { ApiResponse, ApiRoute } from '../api/server.js';
import { APP_SCRIPT } from './app-script.js';
import { APP_STYLE } from './app-style.js';
import { ICON_SVG } from './icon.js';
import { PAGE } from './page.js';
import type { RecentChanges } from './recent-changes.js';

export interface UiContext {
  readonly recent: RecentChanges;
}

/** Kiln's own read API lives beside Alertmanager's, never inside /api/v2, whose shape amtool and others rely on. */
export const HISTORY_PATH = '/api/kiln/v1/history';

/**
 * Labels and annotations are untrusted text. The script renders them as text nodes only; this policy is the second
 * line: no inline script, nothing from another origin, no framing (a silence form inside someone else's page).
 */
const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const asset = (type: string, text: string): ApiResponse => ({
  status: 200,
  text,
  headers: { ...PAGE_HEADERS, 'content-type': type },
});

/**
 * The on-call web UI: a static page, one script and one stylesheet, which read and write through the API v2 routes
 * beside them (so basic auth applies to it exactly as to amtool), and the recent state changes as JSON.
 * Paths are relative in the page so that it works behind a proxy that serves the alerter under a prefix.
 */
export function uiRoutes(ctx: UiContext): ApiRoute[] {
  return [
    { method: 'GET', path: '/', writes: false, handle: () => asset('text/html; charset=utf-8', PAGE) },
    {
      method: 'GET',
      path: '/ui/app.js',
      writes: false,
      handle: () => asset('text/javascript; charset=utf-8', APP_SCRIPT),
    },
    { method: 'GET', path: '/ui/app.css', writes: false, handle: () => asset('text/css; charset=utf-8', APP_STYLE) },
    { method: 'GET', path: '/ui/icon.svg', writes: false, handle: () => asset('image/svg+xml', ICON_SVG) },
    {
      // Marked as writing so that it asks for the credentials: a top-level navigation gets the browser's own login
      // prompt everywhere, which a 401 to the script's POST does not in every browser. The browser then sends them
      // with the silence it posts.
      method: 'GET',
      path: '/ui/sign-in',
      writes: true,
      handle: () => ({ status: 303, text: 'signed in\n', headers: { location: '../' } }),
    },
    {
      method: 'GET',
      path: HISTORY_PATH,
      writes: false,
      handle: () => ({ status: 200, body: ctx.recent.list().map((c) => ({ ...c, at: formatRfc3339(c.at) })) }),
    },
  ];
}
