import { describe, expect, it } from 'vitest'
import { loadBlasAddon } from '../../../../src-main/core/backend/blasKernels'
import { nativeIm2Col } from '../../../../src-main/core/backend/convKernels'
import { loopIm2Col, stockIm2Col, type Im2Col } from '../../../../src-main/core/model/conv'
import { stockMatMul, transposeFreeMatMul } from '../../../../src-main/core/model/dense'
import { checkConvOps } from '../../../helpers/convChecks'
import { useBackend } from '../../../helpers/tf'

// tfjs's wasm backend lacks Conv2DBackpropFilter; the conv VAE uses im2col + matMul there.
checkConvOps(
  'stock im2col (tfjs ops) on wasm:',
  () => ({ kind: 'im2col', matMul: stockMatMul, patches: stockIm2Col }),
  async () => {
    await useBackend('wasm')
  }
)

checkConvOps(
  'JavaScript-loop im2col on wasm:',
  () => ({ kind: 'im2col', matMul: transposeFreeMatMul, patches: loopIm2Col }),
  async () => {
    await useBackend('wasm')
  }
)

const blas = loadBlasAddon()
let native: Im2Col | null = null
describe.skipIf(!blas.ok)('on wasm-blas', () => {
  checkConvOps(
    'native im2col / col2im:',
    () => ({ kind: 'im2col', matMul: stockMatMul, patches: native! }),
    async () => {
      const env = await useBackend('wasm-blas')
      native = nativeIm2Col(env.blas)
    }
  )

  it('is what the conv VAE uses on wasm-blas, and not on plain wasm', async () => {
    const env = await useBackend('wasm-blas')
    expect(nativeIm2Col(env.blas)).not.toBeNull()
    const plain = await useBackend('wasm')
    expect(nativeIm2Col(plain.blas)).toBeNull()
  })
})
