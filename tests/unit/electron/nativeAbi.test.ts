import { describe, expect, it } from 'vitest'
import { explainNativeLoadError } from '../../../src-main/electron/nativeAbi'

const electron = { electron: '41.7.1', node: '24.11.1', modules: '145' }

describe('explainNativeLoadError', () => {
  it('explains a better-sqlite3 built for Node, opened in Electron, and how to fix it', () => {
    const e = new Error(
      "The module '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 115. This version of Node.js requires\nNODE_MODULE_VERSION 145. Please try re-compiling or re-installing"
    )
    const text = explainNativeLoadError(e, electron) ?? ''
    expect(text).toContain('built for ABI 115, but Electron 41.7.1 needs ABI 145')
    expect(text).toContain('@electron/rebuild')
    expect(text).toContain('npx vae-lab serve')
  })

  it('explains a missing binary', () => {
    expect(
      explainNativeLoadError(new Error('Could not locate the bindings file. Tried: ...'), electron)
    ).toContain('not loadable here')
  })

  it('leaves other errors alone', () => {
    expect(
      explainNativeLoadError(new Error('database disk image is malformed'), electron)
    ).toBeNull()
  })
})
