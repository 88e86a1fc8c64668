import { readFileSync } from 'node:fs';
import { z } from 'zod';

export interface Dockerfile {
  /** The image of every FROM that is not an earlier stage. */
  readonly baseImages: readonly string[];
  /** WORKDIR of the final stage: where the image holds the repository. */
  readonly workdir: string;
  /** ENTRYPOINT of the final stage, in exec form. */
  readonly entrypoint: readonly string[];
}

/** The few instructions the deployment checks read from a Dockerfile (exec-form ENTRYPOINT only, as Kiln's uses). */
export function readDockerfile(file: string): Dockerfile {
  const stages = new Set<string>();
  const baseImages: string[] = [];
  let workdir: string | undefined;
  let entrypoint: string[] | undefined;
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
        break;
      }
      case 'WORKDIR':
        workdir = rest.trim();
        break;
      case 'ENTRYPOINT':
        entrypoint = z.array(z.string()).parse(JSON.parse(rest));
        break;
    }
  }
  if (workdir === undefined || entrypoint === undefined) throw new Error(`${file}: the final stage needs WORKDIR and an exec-form ENTRYPOINT`);
  return { baseImages, workdir, entrypoint };
}
