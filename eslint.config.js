// Lint rules, including the layering rules of the architecture: which folder may import which.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import vue from 'eslint-plugin-vue';

/** Import patterns a folder must not use, with the reason shown to whoever breaks the rule. */
const layer = (files, patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});

const notUi = {
  group: ['electron', 'vue', 'pinia', 'vue-router', '@xterm/*'],
  message: 'src-emu is a pure emulator: no Electron, Vue or DOM',
};
const notApp = {
  group: ['**/src-main/**', '**/src-renderer/**'],
  message: 'src-emu must not import the app layers',
};

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.cache/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
      'vue/multi-word-component-names': 'error',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  layer(['src-emu/**'], [notUi, notApp]),
  layer(
    ['src-emu/hw/**'],
    [
      notUi,
      notApp,
      {
        group: ['**/machine/**', '**/cpu/**', '**/worker/**', '**/cli/**', '**/snapshot/**', '**/debug/**'],
        message: 'a device sees only src-emu/core (DESIGN.md section 2)',
      },
    ],
  ),
  layer(
    ['src-emu/core/**'],
    [
      notUi,
      notApp,
      {
        group: ['**/hw/**', '**/machine/**', '**/cpu/**', '**/worker/**', '**/cli/**', '**/snapshot/**'],
        message: 'core is the bottom layer',
      },
    ],
  ),
  layer(
    ['src-renderer/**'],
    [
      {
        group: ['node:*', 'fs', 'path', 'child_process', 'worker_threads', 'electron', 'ws'],
        message: 'the renderer has no Node access; use the API client',
      },
      { group: ['**/src-main/**', '**/src-emu/**'], message: 'the renderer talks only through src-shared/api' },
    ],
  ),
  layer(
    ['src-shared/**'],
    [
      { group: ['node:*', 'electron', 'vue', 'ws'], message: 'src-shared is the plain API contract' },
      { group: ['**/src-main/**', '**/src-renderer/**', '**/src-emu/**'], message: 'src-shared stands alone' },
    ],
  ),
);
