import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// `import { z } from 'zod'` binds a namespace object holding all of zod, every locale included, so esbuild
// cannot tree-shake it: each Lambda bundle grew by ~350 KB. `import * as z from 'zod'` shakes.
const zodAsNamespace = {
  selector: "ImportDeclaration[source.value='zod'][importKind!='type'] > ImportSpecifier[imported.name='z'][importKind!='type']",
  message: "Write `import * as z from 'zod'`: the named `z` export defeats tree-shaking of every bundle.",
};

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.data/', 'coverage/', 'test/artifacts/', 'bench/tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
      'no-restricted-syntax': ['error', zodAsNamespace],
    },
  },
  {
    // The domain knows nothing of AWS or HTTP.
    files: ['functions/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['@aws-sdk/*', '@aws-lambda-powertools/*', '@middy/*', 'aws-lambda', 'node:http', 'node:https'] },
      ],
    },
  },
  {
    // The hosted pages' scripts run in the browser, as plain ES modules (no build step).
    files: ['pages/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'fetch', 'crypto', 'Intl', 'URLSearchParams', 'Node', 'console'].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: ['bin/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts', 'lib/local/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
