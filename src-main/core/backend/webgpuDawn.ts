// Dawn for Node (npm package `webgpu`): load it, find a GPU adapter and describe it, and make it
// `navigator.gpu` for tfjs-backend-webgpu. Probing never touches globals, so the main process can
// list adapters; only a thread that trains on webgpu installs them (initBackend, in its worker).
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import type { GpuAdapterInfo } from '../../common/contract'
import { compiledScript } from '../compiledScript'

/** What tfjs-backend-webgpu and this project use of Dawn's `GPU` object. */
export interface DawnGpu {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<{
    info: {
      vendor: string
      architecture: string
      device: string
      description: string
      isFallbackAdapter?: boolean
    }
  } | null>
}

export interface DawnModule {
  /** Dawn's flags, e.g. `backend=vulkan`, `adapter=NAME`, `enable-dawn-features=...`. */
  create(flags: string[]): DawnGpu
  /** GPUBufferUsage, GPUMapMode, GPUDevice... : the WebGPU globals a browser would have. */
  globals: Record<string, unknown>
}

export type DawnLoad = { ok: true; module: DawnModule } | { ok: false; reason: string }

let loaded: DawnLoad | undefined

/** Loads dawn.node once (it is N-API: the same binary serves Node and Electron); never throws. */
export function loadDawn(): DawnLoad {
  if (loaded) return loaded
  try {
    // `webgpu` is an ES module; Node >= 20.19 and Electron's Node load it with require().
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require('webgpu') as Partial<DawnModule>
    if (typeof module.create !== 'function' || typeof module.globals !== 'object')
      return (loaded = { ok: false, reason: 'the webgpu package has no create()/globals' })
    return (loaded = { ok: true, module: module as DawnModule })
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0]
    return (loaded = {
      ok: false,
      reason:
        code === 'MODULE_NOT_FOUND' && why.includes("'webgpu'")
          ? 'the webgpu package (Dawn for Node) is not installed'
          : `Dawn (dawn.node) failed to load on ${process.platform}-${process.arch}: ${why}`
    })
  }
}

// Adapters that run on the CPU: correct, but no faster than the CPU backends.
const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|basic render|warp/i

export function describeAdapter(info: {
  vendor: string
  architecture: string
  device: string
  description: string
  isFallbackAdapter?: boolean
}): GpuAdapterInfo {
  const software =
    info.isFallbackAdapter === true ||
    info.architecture === 'software' ||
    SOFTWARE_NAMES.test(`${info.device} ${info.description}`)
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    software
  }
}

/** One line for people: "nvidia ampere (NVIDIA A100)" or "mesa software (llvmpipe ...), a software adapter". */
export function adapterLine(a: GpuAdapterInfo): string {
  const name = [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unknown vendor'
  const desc = a.description || a.device
  return `${name}${desc ? ` (${desc})` : ''}${a.software ? ', a software adapter: it checks correctness, not speed' : ''}`
}

/** Where Vulkan drivers register themselves on Linux (the loader's search path). */
const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d']

export interface VulkanScan {
  loader: boolean
  drivers: string[]
}

/** What the Vulkan loader would find here (Linux only): the loader library and driver manifests. */
export function scanVulkan(
  env: NodeJS.ProcessEnv = process.env,
  exists: (p: string) => boolean = fs.existsSync,
  list: (dir: string) => string[] = (d) => fs.readdirSync(d)
): VulkanScan {
  const libDirs = [
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib'
  ]
  const loader = libDirs.some((d) => exists(path.join(d, 'libvulkan.so.1')))
  const named = (env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES)?.split(':').filter(Boolean)
  const drivers = named
    ? named.filter(exists).map((f) => path.basename(f))
    : ICD_DIRS.filter(exists).flatMap((d) => {
        try {
          return list(d).filter((f) => f.endsWith('.json'))
        } catch {
          return []
        }
      })
  return { loader, drivers }
}

export const MESA_BACKPORTS_HINT =
  "for a software check on Debian 12, Mesa 25 from bookworm-backports: add `deb http://deb.debian.org/debian bookworm-backports main` to apt's sources, then `apt-get install -t bookworm-backports libvulkan1 mesa-vulkan-drivers`"

/**
 * Why there is no adapter and what to install, in one sentence. On Linux Dawn needs a Vulkan driver;
 * Debian 12's own Mesa 22.3 lavapipe is refused by Dawn ("Vulkan shaderUniform*ArrayDynamicIndexing
 * required"), Mesa 25 from backports is accepted (design.md section 2).
 */
export function noAdapterMessage(
  platform: NodeJS.Platform = process.platform,
  scan: () => VulkanScan = scanVulkan
): string {
  if (platform === 'darwin')
    return 'Dawn found no Metal adapter (macOS 11 or later with a Metal GPU is needed)'
  if (platform === 'win32')
    return "Dawn found no Direct3D 12 or Vulkan adapter; install the GPU vendor's current driver"
  const { loader, drivers } = scan()
  const found = !loader
    ? 'there is no Vulkan loader (libvulkan.so.1)'
    : drivers.length === 0
      ? 'the Vulkan loader finds no driver'
      : `Dawn refused the Vulkan drivers present (${drivers.join(', ')}); Mesa older than 25 is refused`
  return `Dawn found no GPU adapter: ${found}. Install your GPU's driver with its Vulkan support (NVIDIA: the proprietary driver; AMD and Intel: mesa-vulkan-drivers), or ${MESA_BACKPORTS_HINT}`
}

export type AdapterProbe = { ok: true; adapter: GpuAdapterInfo } | { ok: false; reason: string }

/** Asks Dawn for the adapter tfjs-backend-webgpu would use (high-performance), without globals. */
export async function findAdapter(load: () => DawnLoad = loadDawn): Promise<AdapterProbe> {
  const dawn = load()
  if (!dawn.ok) return dawn
  try {
    const adapter = await dawn.module
      .create([])
      .requestAdapter({ powerPreference: 'high-performance' })
    if (!adapter) return { ok: false, reason: noAdapterMessage() }
    return { ok: true, adapter: describeAdapter(adapter.info) }
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0]
    return { ok: false, reason: `Dawn failed to list adapters: ${why}` }
  }
}

/**
 * findAdapter in a short-lived child process. Vulkan drivers print warnings straight to stderr
 * (Mesa's llvmpipe: two lines on every adapter request), and a broken driver can crash while it
 * is enumerated: neither should reach the CLI's output or the app's main process.
 */
export function findAdapterIsolated(
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 30_000
): Promise<AdapterProbe> {
  // No Vulkan driver at all (most machines without a GPU): nothing Dawn could find on Linux.
  if (process.platform === 'linux') {
    const scan = scanVulkan(env)
    if (!scan.loader || scan.drivers.length === 0)
      return Promise.resolve({ ok: false, reason: noAdapterMessage('linux', () => scan) })
  }
  let script: string
  try {
    script = compiledScript('core/backend/webgpuProbe.js')
  } catch {
    return findAdapter() // sources without a build (vitest): probe in this process
  }
  // Inside Electron, process.execPath is Electron itself: run it as plain Node.
  const childEnv = process.versions.electron ? { ...env, ELECTRON_RUN_AS_NODE: '1' } : env
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script],
      { env: childEnv, timeout: timeoutMs, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        try {
          resolve(JSON.parse(stdout) as AdapterProbe)
        } catch {
          const why = error?.killed
            ? `no answer within ${timeoutMs / 1000} s`
            : (stderr.trim().split('\n').pop() ?? error?.message ?? 'no output')
          resolve({ ok: false, reason: `probing WebGPU adapters failed (${why})` })
        }
      }
    )
  })
}

let installed = false

/**
 * Makes Dawn the WebGPU of this thread: its globals (GPUBufferUsage, ...) and `navigator.gpu`.
 * Must run before @tensorflow/tfjs-backend-webgpu is loaded, which registers itself only if
 * navigator.gpu exists. Node 21+ (Electron) has a navigator of its own: gpu is added to it.
 */
export function installDawnGlobals(dawn: DawnModule): void {
  if (installed) return
  Object.assign(globalThis, dawn.globals)
  const gpu = dawn.create([])
  const g = globalThis as { navigator?: object }
  if (g.navigator && typeof g.navigator === 'object')
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true })
  else
    Object.defineProperty(globalThis, 'navigator', {
      value: { gpu },
      configurable: true,
      writable: true
    })
  installed = true
}
