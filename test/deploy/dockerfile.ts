import { readFileSync } from 'node:fs';
import { basename, posix } from 'node:path';
import { z } from 'zod';

export interface Dockerfile {
  /** The image of every FROM that is not an earlier stage. */
  readonly baseImages: readonly string[];
  /** WORKDIR of the final stage: where the image holds the repository. */
  readonly workdir: string;
  /** ENTRYPOINT of the final stage, in exec form. */
  readonly entrypoint: readonly string[];
  /** Files the final stage copies from the build context: path in the image → path in the context. */
  readonly copies: ReadonlyMap<string, string>;
  /** USER of the final stage. */
  readonly user: string | undefined;
}

/**
 * The few instructions the deployment checks read from a Dockerfile (exec-form ENTRYPOINT only, COPY without flags
 * other than --chown and --from, as Kiln's use).
 */
export function readDockerfile(file: string): Dockerfile {
  const stages = new Set<string>();
  const baseImages: string[] = [];
  let workdir: string | undefined;
  let entrypoint: string[] | undefined;
  let copies = new Map<string, string>();
  let user: string | undefined;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [, instruction, rest] = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line) ?? [];
    if (instruction === undefined || rest === undefined) continue;
    switch (instruction.toUpperCase()) {
      case 'FROM': {
        const [image, as, stage] = rest.trim().split(/\s+/);
        if (image !== undefined && !stages.has(image)) baseImages.push(image);
        if (as?.toUpperCase() === 'AS' && stage !== undefined) stages.add(stage);
        workdir = undefined;
        entrypoint = undefined;
        copies = new Map();
        user = undefined;
        break;
      }
      case 'WORKDIR':
        workdir = rest.trim();
        break;
      case 'USER':
        user = rest.trim();
        break;
      case 'COPY': {
        const words = rest
          .trim()
          .split(/\s+/)
          .filter((w) => !w.startsWith('--chown='));
        if (words.some((w) => w.startsWith('--'))) break; // --from: a stage's or an image's files, not the context's
        const dest = words.pop();
        if (dest === undefined || words.length === 0)
          throw new Error(`${file}: COPY ${rest}: a source and a destination expected`);
        const target = posix.resolve(workdir ?? '/', dest);
        const intoFolder = words.length > 1 || dest.endsWith('/') || dest === '.';
        for (const source of words) copies.set(intoFolder ? posix.join(target, basename(source)) : target, source);
        break;
      }
      case 'ENTRYPOINT':
        entrypoint = z.array(z.string()).parse(JSON.parse(rest));
        break;
    }
  }
  if (workdir === undefined || entrypoint === undefined)
    throw new Error(`${file}: the final stage needs WORKDIR and an exec-form ENTRYPOINT`);
  return { baseImages, workdir, entrypoint, copies, user };
}
