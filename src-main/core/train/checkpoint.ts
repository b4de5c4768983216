// A checkpoint is one blob: a little-endian uint32 header length, a JSON header naming each
// tensor's shape, then the float32 values, 4-byte aligned so they can be viewed without copying.
import * as tf from '@tensorflow/tfjs-core'
import { VaeLabError } from '../../common/errors'
import type { TrainConfig } from '../../common/contract'
import type { NamedVariable } from '../model/init'
import {
  createVaeModel,
  disposeModel,
  modelSpecOf,
  type ModelEnv,
  type VaeModel
} from '../model/vaeModel'

export interface TensorRecord {
  name: string
  shape: number[]
  values: Float32Array
}

interface Header {
  format: 'vae-lab-tensors/1'
  tensors: { name: string; shape: number[]; offset: number; length: number }[]
}

export function packTensors(records: TensorRecord[]): Uint8Array {
  let offset = 0
  const tensors = records.map((r) => {
    const entry = { name: r.name, shape: r.shape, offset, length: r.values.length }
    offset += r.values.length
    return entry
  })
  const header: Header = { format: 'vae-lab-tensors/1', tensors }
  let json = Buffer.from(JSON.stringify(header), 'utf8')
  const pad = (4 - ((4 + json.length) % 4)) % 4
  json = Buffer.concat([json, Buffer.alloc(pad, 0x20)])
  const out = new Uint8Array(4 + json.length + offset * 4)
  new DataView(out.buffer).setUint32(0, json.length, true)
  out.set(json, 4)
  const data = new Float32Array(out.buffer, 4 + json.length, offset)
  records.forEach((r, i) => data.set(r.values, tensors[i].offset))
  return out
}

export function unpackTensors(blob: Uint8Array, what = 'checkpoint'): TensorRecord[] {
  const corrupt = (why: string): never => {
    throw new VaeLabError('DATA_CORRUPT', `${what} is corrupt: ${why}`)
  }
  if (blob.length < 4) corrupt('too short')
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength)
  const headerLength = view.getUint32(0, true)
  if (4 + headerLength > blob.length) corrupt('header runs past the end')
  let header: Header
  try {
    header = JSON.parse(Buffer.from(blob.subarray(4, 4 + headerLength)).toString('utf8')) as Header
  } catch {
    return corrupt('header is not JSON')
  }
  if (header.format !== 'vae-lab-tensors/1' || !Array.isArray(header.tensors))
    corrupt('unknown format')
  const dataBytes = blob.length - 4 - headerLength
  const copy = new Float32Array(dataBytes / 4)
  new Uint8Array(copy.buffer).set(blob.subarray(4 + headerLength))
  return header.tensors.map((t) => {
    const size = t.shape.reduce((a, b) => a * b, 1)
    if (size !== t.length || t.offset + t.length > copy.length)
      corrupt(`tensor ${t.name} does not fit`)
    return { name: t.name, shape: t.shape, values: copy.subarray(t.offset, t.offset + t.length) }
  })
}

/** Loads a checkpoint's weights (W1, b1, ...) into `params`, checking every name and shape. */
export function assignParams(
  params: readonly NamedVariable[],
  blob: Uint8Array,
  what: string
): void {
  const byName = new Map(unpackTensors(blob, what).map((t) => [t.name, t]))
  for (const { name, variable } of params) {
    const t = byName.get(name)
    if (!t || t.values.length !== variable.size) {
      throw new VaeLabError('DATA_CORRUPT', `${what} lacks a valid ${name}`)
    }
    tf.tidy(() => variable.assign(tf.tensor(t.values, variable.shape, 'float32')))
  }
}

/**
 * The optimiser state of a checkpoint (`opt/<i>/<name>` records, 'iter' aside) must be one slot
 * per weight (Adagrad's accumulators) or two (Adam's first and second moments), in the model's
 * parameter order (W1, b1, ...), each of its weight's shape. Otherwise an in-place update would write past a slot's end.
 */
export function checkOptimizerState(
  params: readonly NamedVariable[],
  records: readonly TensorRecord[],
  what: string
): void {
  const slots = records
    .filter((t) => t.name.startsWith('opt/') && !t.name.endsWith('/iter'))
    .sort((a, b) => Number(a.name.split('/')[1]) - Number(b.name.split('/')[1]))
  const k = params.length
  if (slots.length !== 0 && slots.length !== k && slots.length !== 2 * k)
    throw new VaeLabError(
      'DATA_CORRUPT',
      `${what} has ${slots.length} optimiser slots; expected ${k} (Adagrad) or ${2 * k} (Adam)`
    )
  slots.forEach((t, i) => {
    const { name, variable } = params[i % k]
    const expected = variable.shape
    if (t.shape.length !== expected.length || t.shape.some((d, j) => d !== expected[j]))
      throw new VaeLabError(
        'DATA_CORRUPT',
        `${what} is corrupt: optimiser slot ${t.name} has shape [${t.shape}], not [${expected}] like ${name}`
      )
  })
}

/**
 * A run's model with the weights of one of its checkpoints, on the active backend; the caller
 * disposes it (disposeModel). Works for every architecture the config names.
 */
export function modelFromCheckpoint(
  cfg: Pick<TrainConfig, 'arch' | 'hidden' | 'latentDim' | 'init' | 'seed'>,
  blob: Uint8Array,
  what: string,
  env: ModelEnv
): VaeModel {
  const model = createVaeModel(modelSpecOf(cfg), cfg.init, cfg.seed, env)
  try {
    assignParams(model.params, blob, what)
  } catch (e) {
    disposeModel(model)
    throw e
  }
  return model
}
