/** A failure the command explains in its message (what it found, what to do): printed without a stack trace, exit 1. */
export class CommandError extends Error {
  override name = 'CommandError';
}
