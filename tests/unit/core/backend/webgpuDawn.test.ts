import fs from 'node:fs'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import {
  adapterLine,
  describeAdapter,
  findAdapter,
  findAdapterIsolated,
  loadDawn,
  noAdapterMessage,
  scanVulkan,
  type DawnModule
} from '../../../../src-main/core/backend/webgpuDawn'
import { tempDir } from '../../../helpers/fixtures'
import { REQUIRE_WEBGPU } from '../../../helpers/webgpu'

const llvmpipe = {
  vendor: 'mesa',
  architecture: 'software',
  device: 'llvmpipe-llvm-15-0-6-256-bits-',
  description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6)',
  isFallbackAdapter: true
}
const nvidia = {
  vendor: 'nvidia',
  architecture: 'hopper',
  device: '',
  description: 'NVIDIA H100 80GB HBM3',
  isFallbackAdapter: false
}

describe('describeAdapter', () => {
  it('marks llvmpipe (a fallback, software, CPU adapter) as software and a GPU as not', () => {
    expect(describeAdapter(llvmpipe)).toMatchObject({ vendor: 'mesa', software: true })
    expect(describeAdapter(nvidia)).toEqual({
      vendor: 'nvidia',
      architecture: 'hopper',
      device: '',
      description: 'NVIDIA H100 80GB HBM3',
      software: false
    })
    // Named like one, even when the driver does not call itself a fallback adapter.
    expect(describeAdapter({ ...nvidia, description: 'SwiftShader Device' }).software).toBe(true)
  })

  it('says in one line what the adapter is, and that a software one checks correctness only', () => {
    expect(adapterLine(describeAdapter(nvidia))).toBe('nvidia hopper (NVIDIA H100 80GB HBM3)')
    expect(adapterLine(describeAdapter(llvmpipe))).toMatch(
      /^mesa software \(llvmpipe.*software adapter/
    )
  })
})

describe('noAdapterMessage', () => {
  const scan = (loader: boolean, drivers: string[]) => () => ({ loader, drivers })

  it('says what is missing on Linux and what to install: GPU drivers, or Mesa 25 from backports', () => {
    const none = noAdapterMessage('linux', scan(true, []))
    expect(none).toMatch(/the Vulkan loader finds no driver/)
    expect(none).toMatch(/GPU's driver with its Vulkan support/)
    expect(none).toMatch(/bookworm-backports main/)
    expect(none).toMatch(/apt-get install -t bookworm-backports libvulkan1 mesa-vulkan-drivers/)
    expect(noAdapterMessage('linux', scan(false, []))).toMatch(
      /no Vulkan loader \(libvulkan\.so\.1\)/
    )
    expect(noAdapterMessage('linux', scan(true, ['lvp_icd.json']))).toMatch(
      /refused the Vulkan drivers present \(lvp_icd\.json\); Mesa older than 25/
    )
  })

  it('points to Metal on macOS and to the vendor driver on Windows', () => {
    expect(noAdapterMessage('darwin')).toMatch(/Metal/)
    expect(noAdapterMessage('win32')).toMatch(/Direct3D 12 or Vulkan.*driver/)
  })

  it('reads the drivers the Vulkan loader would (VK_ICD_FILENAMES overrides the search)', () => {
    const exists = (p: string) => p.endsWith('libvulkan.so.1') || p === '/a/x_icd.json'
    expect(scanVulkan({ VK_ICD_FILENAMES: '/a/x_icd.json:/gone.json' }, exists)).toEqual({
      loader: true,
      drivers: ['x_icd.json']
    })
    const dirs = scanVulkan(
      {},
      (p) => p === '/usr/share/vulkan/icd.d',
      () => ['lvp_icd.json', 'README']
    )
    expect(dirs).toEqual({ loader: false, drivers: ['lvp_icd.json'] })
  })
})

const built = fs.existsSync(path.resolve('out/node/core/backend/webgpuProbe.js'))

describe('findAdapter', () => {
  const fakeDawn = (adapter: unknown): DawnModule => ({
    create: () => ({ requestAdapter: async () => adapter as null }),
    globals: {}
  })

  it('reports a missing adapter with the install message, and a found one described', async () => {
    const none = await findAdapter(() => ({ ok: true, module: fakeDawn(null) }))
    expect(none).toMatchObject({ ok: false, reason: expect.stringMatching(/^Dawn found no/) })
    const found = await findAdapter(() => ({ ok: true, module: fakeDawn({ info: nvidia }) }))
    expect(found).toEqual({ ok: true, adapter: describeAdapter(nvidia) })
  })

  it('passes on why Dawn could not load', async () => {
    expect(await findAdapter(() => ({ ok: false, reason: 'no dawn' }))).toEqual({
      ok: false,
      reason: 'no dawn'
    })
  })

  it('loads the webgpu package (Dawn for Node), a dependency shipped for this platform', () => {
    const dawn = loadDawn()
    expect(dawn).toMatchObject({ ok: true })
  })

  // Node 21+ (Electron's) has a navigator of its own; Node 20 has none. Fresh worker threads,
  // because the globals are installed once per thread.
  it.runIf(built)('installs navigator.gpu whether or not the runtime has a navigator', async () => {
    const dawnFile = path.resolve('out/node/core/backend/webgpuDawn.js')
    const probe = (setup: string) =>
      new Promise<unknown>((resolve, reject) => {
        const w = new Worker(
          `${setup}
          const { loadDawn, installDawnGlobals } = require(${JSON.stringify(dawnFile)})
          const dawn = loadDawn()
          installDawnGlobals(dawn.module)
          require('node:worker_threads').parentPort.postMessage({
            gpu: typeof globalThis.navigator.gpu?.requestAdapter,
            agent: globalThis.navigator.userAgent ?? null,
            usage: typeof globalThis.GPUBufferUsage
          })`,
          { eval: true }
        )
        w.once('message', (m) => {
          resolve(m)
          void w.terminate()
        })
        w.once('error', reject)
      })
    expect(await probe('delete globalThis.navigator')).toEqual({
      gpu: 'function',
      agent: null,
      usage: 'function'
    })
    expect(
      await probe(
        "Object.defineProperty(globalThis, 'navigator', { value: { userAgent: 'Node.js/24' }, configurable: true })"
      )
    ).toEqual({ gpu: 'function', agent: 'Node.js/24', usage: 'function' })
  })

  // What a machine without a usable GPU sees: no driver at all (answered without starting Dawn),
  // and a driver manifest whose library Dawn cannot use (Dawn asked, in the child process).
  it.runIf(process.platform === 'linux' && (built || REQUIRE_WEBGPU))(
    'finds no adapter where no usable Vulkan driver is installed, and says what to install',
    async () => {
      const none = await findAdapterIsolated({
        ...process.env,
        VK_ICD_FILENAMES: '/nonexistent.json'
      })
      expect(none).toMatchObject({
        ok: false,
        reason: expect.stringMatching(
          /Dawn found no GPU adapter: the Vulkan loader finds no driver.*mesa-vulkan-drivers/
        )
      })
      const icd = path.join(tempDir(), 'broken_icd.json')
      fs.writeFileSync(
        icd,
        JSON.stringify({
          file_format_version: '1.0.0',
          ICD: { library_path: '/nonexistent/libvk.so', api_version: '1.3.0' }
        })
      )
      const broken = await findAdapterIsolated({ ...process.env, VK_ICD_FILENAMES: icd })
      expect(broken).toMatchObject({
        ok: false,
        reason: expect.stringMatching(
          /refused the Vulkan drivers present \(broken_icd\.json\).*bookworm-backports/
        )
      })
    }
  )
})
