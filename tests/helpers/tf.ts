import * as tf from '@tensorflow/tfjs-core'
import { initBackend, type ActiveBackend } from '../../src-main/core/backend/backends'
import type { BackendName } from '../../src-main/common/contract'

/** Switches this test process to `name` (each test file runs in its own process). */
export async function useBackend(name: BackendName): Promise<ActiveBackend> {
  const backend = await initBackend(name)
  const tfName = name === 'wasm-blas' ? 'wasm' : name // wasm-blas is wasm with kernels replaced
  if (tf.getBackend() !== tfName)
    throw new Error(`backend is ${tf.getBackend()}, expected ${tfName}`)
  return backend
}
