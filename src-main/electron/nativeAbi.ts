// better-sqlite3 is a native module built for one ABI at a time (pitfalls.md section 3): npm
// builds it for Node, and Electron needs its own. A wrong build fails on the first
// `new Database()`; this turns that failure into a message a user can act on.

export interface RuntimeVersions {
  electron?: string
  node: string
  /** The NODE_MODULE_VERSION this runtime loads. */
  modules: string
}

const WRONG_ABI = /NODE_MODULE_VERSION (\d+)[\s\S]*?NODE_MODULE_VERSION (\d+)/
const NOT_LOADABLE =
  /was compiled against a different Node\.js version|invalid ELF header|not a valid Win32 application|Could not locate the bindings file|mach-o, but wrong architecture|wrong ELF class/

/** A user-facing explanation if `error` is a native-module load failure, else null. */
export function explainNativeLoadError(error: unknown, v: RuntimeVersions): string | null {
  const message = error instanceof Error ? error.message : String(error)
  const abi = WRONG_ABI.exec(message)
  if (!abi && !NOT_LOADABLE.test(message)) return null
  const runtime = v.electron ? `Electron ${v.electron}` : `Node.js ${v.node}`
  const built = abi ? `built for ABI ${abi[1]}` : 'not loadable here'
  return [
    `The SQLite module (better-sqlite3) is ${built}, but ${runtime} needs ABI ${abi ? abi[2] : v.modules}.`,
    v.electron
      ? 'npm builds it for Node.js; rebuild it for Electron with internet access: ' +
        '`npm_config_nodedir= npx @electron/rebuild -f -w better-sqlite3` ' +
        '(then rebuild for Node with `npm rebuild better-sqlite3` before using the CLI again).'
      : 'Rebuild it for Node.js: `npm rebuild better-sqlite3`.',
    'Meanwhile the same workbench runs in a browser: `npx vae-lab serve`.',
    '',
    `Details: ${message.split('\n')[0]}`
  ].join('\n')
}
