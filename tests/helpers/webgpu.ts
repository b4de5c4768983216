import { probeBackend } from '../../src-main/core/backend/backends'

/** CI installs Mesa 25 (a software Vulkan GPU) and sets this: webgpu tests may not skip there. */
export const REQUIRE_WEBGPU = process.env.VAE_LAB_REQUIRE_WEBGPU === '1'

/** Whether this machine has a WebGPU adapter; tests skip without one, unless it is required. */
export async function webGpuHere(file: string): Promise<{ skip: boolean; detail: string }> {
  const r = await probeBackend('webgpu')
  const skip = !r.available && !REQUIRE_WEBGPU
  if (skip) console.warn(`${file}: webgpu tests skipped: ${r.detail}`)
  return { skip, detail: r.detail }
}
