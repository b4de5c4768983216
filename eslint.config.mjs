// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import prettier from 'eslint-config-prettier'

/** Imports each layer may not use (style.md section 2): the core never sees electron. */
const layer = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] })

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'native/blas/build/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        __dirname: 'readonly',
        require: 'readonly',
        URL: 'readonly',
        performance: 'readonly',
        SharedArrayBuffer: 'readonly',
        Atomics: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        fetch: 'readonly',
        AbortController: 'readonly'
      }
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', ignoreRestSiblings: true }
      ]
    }
  },
  {
    files: ['src-main/api/contract.ts'],
    rules: layer([
      { group: ['*', '!zod'], message: 'the contract is shared with the renderer: zod only' }
    ])
  },
  {
    files: ['src-main/core/**/*.ts'],
    rules: layer([
      {
        group: ['electron', '**/adapters/**', '**/electron/**', '**/api/service'],
        message: 'core never imports electron, adapters or the service'
      },
      { group: ['better-sqlite3'], message: 'only core/store talks to SQLite' }
    ])
  },
  {
    files: ['src-main/core/store/**/*.ts'],
    rules: layer([
      {
        group: ['electron', '**/adapters/**', '**/electron/**'],
        message: 'core never imports electron or adapters'
      }
    ])
  },
  {
    files: ['src-main/api/**/*.ts'],
    rules: layer([
      {
        group: ['electron', '**/adapters/**', '**/electron/**'],
        message: 'the api never imports electron or adapters'
      }
    ])
  },
  {
    files: ['src-main/adapters/**/*.ts'],
    rules: layer([
      { group: ['electron'], message: 'only src-main/electron may import electron' },
      {
        group: ['**/core/**'],
        message:
          'adapters use the api layer (src-main/api/runtime.ts re-exports what they need from core)'
      }
    ])
  },
  {
    files: ['**/*.mjs', 'bin/**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  },
  prettier
)
