// ESLint with type information (typescript-eslint's strictTypeChecked): floating promises, unsafe
// `any` flow and the like fail `npm run lint`. Formatting is Prettier's alone.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'data/', 'logs/', 'bench/reference/', '.stryker-tmp/', 'reports/'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.ts', 'ecosystem.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Numbers and booleans read well in log lines and messages; objects, arrays and nullish
      // values in a template are still errors (they print as [object Object] or "undefined").
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // tsconfig's noUncheckedIndexedAccess types every index as possibly undefined; the scan loops
      // index within bounds they have checked, where `!` says so at no run-time cost.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `() => void x()` callbacks are the idiom for event handlers and timers.
      // `const { dropped: _, ...rest } = x` is how a key is left out.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
    },
  },
  {
    files: ['ecosystem.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
