// @ts-check
import js from '@eslint/js';
import regexp from 'eslint-plugin-regexp';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.venv/', 'dist/', 'lambdas/core/iam-actions.generated.ts'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Every text reader runs in linear time: failure texts, job names and S3 keys are written by
    // job submitters, and one backtracking pattern holds a Lambda for its whole timeout (issue 17).
    files: ['lambdas/**/*.ts', 'bin/**/*.ts', 'lib/**/*.ts'],
    plugins: { regexp },
    rules: {
      'regexp/no-super-linear-backtracking': 'error',
      'regexp/no-super-linear-move': 'error',
      // A pattern built at run time escapes the two rules above: it is built once, in an exported
      // constant or a catalog rule's patterns, where test/unit/linear-time.test.ts finds and checks it;
      // never in a function, from data.
      'no-restricted-syntax': [
        'error',
        ...['NewExpression', 'CallExpression'].map((call) => ({
          selector: `${call}[callee.name='RegExp']:matches(:function *, :not(ExportNamedDeclaration *, Property[key.name='patterns'] *))`,
          message:
            "Build a pattern in an exported constant or a catalog rule's patterns, where the linear-time tests find it.",
        })),
      ],
    },
  },
);
