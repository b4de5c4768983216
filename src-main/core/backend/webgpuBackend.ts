/// <reference types="@webgpu/types" />
// The webgpu backend as VAE Lab registers it, instead of tfjs-backend-webgpu's own factory:
// - it asks for the adapter's storage-buffer limit: tfjs keeps WebGPU's default of 8, and its AddN
//   with ten inputs (weight decay over the ten parameters) needs eleven, which fails validation;
// - GPU errors stop the run: WebGPU reports them as events, and unheeded (tfjs 4.22 listens to
//   none) the rest of the command buffer is dropped while training goes on with stale numbers.
import * as tf from '@tensorflow/tfjs-core'
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu'
import { VaeLabError } from '../../common/errors'

type WebGpuModule = { WebGPUBackend: typeof WebGPUBackend }

/** First lines of the GPU errors of this thread's device, in order. */
const gpuErrors: string[] = []

function record(message: string): void {
  if (gpuErrors.length < 10) gpuErrors.push(message.split('\n').filter(Boolean)[0] ?? message)
}

/** Throws the first GPU error since the last check, if any (and forgets them). */
export function throwIfGpuFailed(): void {
  if (gpuErrors.length === 0) return
  const first = gpuErrors[0]
  gpuErrors.length = 0
  throw new VaeLabError(
    'INTERNAL',
    `the GPU rejected work (${first}); the numbers since the last check are not trustworthy. Try another backend (--backend wasm), and report this with \`vae-lab backends\`'s output`
  )
}

function checkedClass(Base: typeof WebGPUBackend) {
  // Every batch reads its loss back, so a failure surfaces within one step.
  return class CheckedWebGpuBackend extends Base {
    override async read(dataId: object): Promise<tf.BackendValues> {
      const values = await super.read(dataId)
      await this.queue.onSubmittedWorkDone()
      throwIfGpuFailed()
      return values
    }
  }
}

/**
 * Replaces tfjs-backend-webgpu's factory (same adapter request, features and limits as its own,
 * plus the storage-buffer limit), so `tf.setBackend('webgpu')` creates a checked backend.
 */
let registered = false

export function registerWebGpuBackend(module: WebGpuModule): void {
  // Once per thread: removing a backend disposes its instance and every tensor on it.
  if (registered) return
  registered = true
  const Checked = checkedClass(module.WebGPUBackend)
  tf.removeBackend('webgpu')
  tf.registerBackend(
    'webgpu',
    async () => {
      const { gpu } = (globalThis as unknown as { navigator: { gpu: GPU } }).navigator
      const adapter = await gpu.requestAdapter({
        powerPreference: tf.env().getBool('WEBGPU_USE_LOW_POWER_GPU')
          ? 'low-power'
          : 'high-performance'
      })
      if (!adapter) throw new Error('no WebGPU adapter')
      const l = adapter.limits
      const device = await adapter.requestDevice({
        requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
        requiredLimits: {
          maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
          maxBufferSize: l.maxBufferSize,
          maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
          maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage
        }
      })
      device.addEventListener('uncapturederror', (e) =>
        record((e as GPUUncapturedErrorEvent).error.message)
      )
      void device.lost.then((info) => {
        if (info.reason !== 'destroyed') record(`device lost: ${info.message}`)
      })
      return new Checked(device, (adapter as GPUAdapter & { info: GPUAdapterInfo }).info)
    },
    3
  )
}
