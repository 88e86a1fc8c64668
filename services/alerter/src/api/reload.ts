import type { ApiRoute } from './server.js';

/** A configuration that could not be read or did not validate: the running one stays. */
export class ConfigReloadError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`configuration reload refused, the running configuration stays:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigReloadError';
  }
}

export interface ReloadApiContext {
  /** Reads the configuration again and applies it. */
  readonly reload: () => Promise<void>;
}

/**
 * POST /-/reload, as Alertmanager has it: re-reads the configuration and applies receivers, routes, inhibitions and
 * templates without losing state. A configuration that does not validate is refused (400, naming every problem)
 * and the running one stays. It writes, so it needs the basic auth credentials when they are set.
 */
export function reloadRoutes(ctx: ReloadApiContext): ApiRoute[] {
  return [
    {
      method: 'POST',
      path: '/-/reload',
      writes: true,
      handle: async () => {
        try {
          await ctx.reload();
        } catch (err) {
          if (err instanceof ConfigReloadError) return { status: 400, text: `${err.message}\n` };
          throw err;
        }
        return { status: 200, text: 'OK\n' };
      },
    },
  ];
}
