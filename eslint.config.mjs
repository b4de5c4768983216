// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import prettier from 'eslint-config-prettier'
import pluginVue from 'eslint-plugin-vue'

/** Imports each layer may not use (style.md section 2): the core never sees electron. */
const layer = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] })

// Node's built-in modules, by either name: the common floor and the renderer run in a browser.
const NODE_BUILTINS = ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'worker_threads']

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'native/blas/build/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/essential'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, sourceType: 'module' } },
    // vue-tsc type-checks the components, browser globals included (as tsc does for .ts files).
    rules: { 'no-undef': 'off' }
  },
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
  // The common floor (contract, errors, validate, pure figure builders) runs anywhere: in Node,
  // in workers and in the renderer. It imports only itself, zod, echarts and fast-png.
  ...[
    ['src-main/common/*.ts', '^\\.\\./'],
    ['src-main/common/figures/**/*.ts', '^\\.\\./\\.\\./']
  ].map(([files, outside]) => ({
    files: [files],
    rules: layer([
      {
        regex: '^(?!zod$|echarts$|fast-png$|\\.\\.?/)',
        message: 'the common floor runs anywhere: zod, echarts, fast-png and src-main/common only'
      },
      { regex: outside, message: 'the common floor imports only from src-main/common' }
    ])
  })),
  {
    files: ['src-main/core/**/*.ts'],
    rules: layer([
      {
        group: ['electron', '**/adapters/**', '**/electron/**', '**/api/**'],
        message: 'core imports src-main/common, never the api, adapters or electron'
      },
      { group: ['better-sqlite3'], message: 'only core/store talks to SQLite' },
      { group: ['pg'], message: 'only core/store talks to PostgreSQL' }
    ])
  },
  {
    files: ['src-main/core/store/**/*.ts'],
    rules: layer([
      {
        group: ['electron', '**/adapters/**', '**/electron/**', '**/api/**'],
        message: 'core imports src-main/common, never the api, adapters or electron'
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
    // The renderer is a web page: the common floor (type imports where it can), vue, pinia, echarts.
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.vue'],
    rules: layer([
      {
        regex: 'src-main/(?!common/)',
        message: 'the renderer imports only the common floor (src-main/common) from src-main'
      },
      {
        group: [...NODE_BUILTINS, 'electron', 'better-sqlite3', 'pg', '@tensorflow/*'],
        message: 'the renderer is a web page: no Node, electron, SQLite or tfjs'
      }
    ])
  },
  {
    files: ['**/*.mjs', 'bin/**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  },
  prettier
)
