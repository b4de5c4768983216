/// <reference types="@webgpu/types" />
// The parts of tfjs-backend-webgpu 4.22's WebGPUBackend that custom kernels need and its public
// types do not export: checked at run time, like the wasm internals in blasKernels.ts. Programs
// run through runWebGPUProgram (one output, tfjs's shader header); in-place updates (the fused
// optimisers) record their own dispatch into the backend's compute pass, as recordAndSubmit does.
import * as tf from '@tensorflow/tfjs-core'

/** tfjs-backend-webgpu's program description (webgpu_program.d.ts), for runWebGPUProgram. */
export interface WebGpuProgram {
  outputShape: number[]
  shaderKey: string
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] }
  dispatch: [number, number, number]
  variableNames: string[]
  uniforms?: string
  workgroupSize: [number, number, number]
  size?: boolean
  getUserCode(): string
}

export type ProgramUniform = { type: 'int32' | 'float32' | 'uint32'; data: number[] }[]

interface TensorData {
  values: unknown
  refCount: number
  resource?: unknown
}

export interface WebGpuBackendInternals {
  device: GPUDevice
  queue: GPUQueue
  tensorMap: { get(dataId: object): TensorData | undefined; has(dataId: object): boolean }
  runWebGPUProgram(
    program: WebGpuProgram,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    uniforms?: ProgramUniform,
    output?: tf.TensorInfo
  ): tf.TensorInfo
  uploadToGPU(dataId: object): void
  write(values: tf.BackendValues | null, shape: number[], dtype: tf.DataType): object
  read(dataId: object): Promise<tf.BackendValues>
  ensureCommandEncoderReady(): void
  endComputePassEncoder(): void
  submitQueue(): void
  refCount(dataId: object): number
  disposeData(dataId: object, force?: boolean): boolean
  commandEncoder: GPUCommandEncoder | null
  computePassEncoder: GPUComputePassEncoder | null
  commandQueueOwnedIds: WeakSet<object>
  dispatchCountInPass: number
}

const REQUIRED = [
  'runWebGPUProgram',
  'uploadToGPU',
  'ensureCommandEncoderReady',
  'endComputePassEncoder',
  'submitQueue',
  'refCount',
  'disposeData'
] as const

/** The active backend, if it is webgpu with the internals above (checked, not assumed). */
export function webGpuInternals(backend: tf.KernelBackend = tf.backend()): WebGpuBackendInternals {
  const b = backend as unknown as Partial<WebGpuBackendInternals>
  const missing = REQUIRED.filter((f) => typeof b[f] !== 'function')
  if (
    missing.length ||
    !b.device ||
    typeof b.tensorMap?.get !== 'function' ||
    !b.commandQueueOwnedIds
  )
    throw new Error(
      `the active backend (${tf.getBackend()}) is not tfjs-backend-webgpu 4.22 (missing ${missing.join(', ') || 'device/tensorMap'})`
    )
  return b as WebGpuBackendInternals
}

/** The GPU buffer holding a tensor's data, uploading it first if it still lives on the CPU. */
export function gpuBuffer(backend: WebGpuBackendInternals, t: tf.TensorInfo): GPUBuffer {
  backend.uploadToGPU(t.dataId)
  const data = backend.tensorMap.get(t.dataId)
  const resource = data?.resource as GPUBuffer | undefined
  if (!resource || typeof resource.size !== 'number')
    throw new Error('tensor data is not in a GPU buffer (disposed, or a texture)')
  return resource
}

/**
 * Records one compute dispatch that writes `written` in place and reads `read`. The tensors are
 * marked as owned by the pending command buffer, so disposing them (the optimiser's gradients are
 * disposed right after applyGradients) waits for the submit; CPU copies of written tensors, cached
 * by an earlier read, are dropped so the next read sees the new values.
 */
export function dispatchInPlace(
  backend: WebGpuBackendInternals,
  pipeline: GPUComputePipeline,
  written: tf.TensorInfo[],
  read: tf.TensorInfo[],
  uniform: GPUBuffer,
  workgroups: [number, number]
): void {
  const tensors = [...written, ...read]
  const buffers = tensors.map((t) => gpuBuffer(backend, t))
  const bindGroup = backend.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      ...buffers.map((buffer, i) => ({ binding: i, resource: { buffer } })),
      { binding: buffers.length, resource: { buffer: uniform } }
    ]
  })
  for (const t of tensors) backend.commandQueueOwnedIds.add(t.dataId)
  for (const t of written) {
    const data = backend.tensorMap.get(t.dataId)
    if (data) data.values = null
  }
  backend.ensureCommandEncoderReady()
  if (!backend.computePassEncoder && backend.commandEncoder)
    backend.computePassEncoder = backend.commandEncoder.beginComputePass({})
  const pass = backend.computePassEncoder as GPUComputePassEncoder
  pass.setPipeline(pipeline)
  pass.setBindGroup(0, bindGroup)
  pass.dispatchWorkgroups(workgroups[0], workgroups[1], 1)
  backend.dispatchCountInPass++
  if (tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') <= backend.dispatchCountInPass) {
    backend.endComputePassEncoder()
    backend.submitQueue()
  }
}

/** Workgroups for `size` elements at `perGroup` each, as [x, y] within the 65,535-per-dimension limit. */
export function flatWorkgroups(size: number, perGroup: number): [number, number] {
  const groups = Math.max(1, Math.ceil(size / perGroup))
  if (groups <= 65535) return [groups, 1]
  const x = 65535
  return [x, Math.ceil(groups / x)]
}
