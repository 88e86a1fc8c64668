/**
 * Whether a partition's run is ending, shared by its stages: once it is, the reader takes no more messages and the
 * write sequence gives up a step that keeps failing instead of retrying it for ever.
 */
export class RunState {
  stopping = false;
}
