// ESLint runs the one rule that needs TypeScript's type checker, which Biome's own type inference cannot apply
// reliably: a promise that nobody awaits, returns or marks with `void` loses its rejection. Every other rule is
// Biome's (biome.json).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      // Each file gets its workspace's project: src/ from tsconfig.json, tests through the root tsconfig.json's
      // references to each workspace's tsconfig.test.json.
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
);
