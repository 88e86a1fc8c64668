#!/usr/bin/env node
// The kiln command. The implementation is compiled TypeScript in ../dist (npm run build).
import { main } from '../dist/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`kiln: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
