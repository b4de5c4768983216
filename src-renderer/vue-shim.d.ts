// For plain `tsc` (tsconfig.json), which cannot read .vue files; vue-tsc (tsconfig.web.json) checks them for real.
declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}
