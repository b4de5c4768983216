import { stockMatMul } from '../../../../src-main/core/model/dense'
import { loopIm2Col, stockIm2Col } from '../../../../src-main/core/model/conv'
import { checkConvOps } from '../../../helpers/convChecks'
import { useBackend } from '../../../helpers/tf'

const cpu = async () => {
  await useBackend('cpu')
}

checkConvOps(
  'tf.conv2d / tf.conv2dTranspose on cpu:',
  () => ({ kind: 'tfjs', matMul: stockMatMul }),
  cpu,
  false
)
checkConvOps(
  'stock im2col (tfjs ops) on cpu:',
  () => ({ kind: 'im2col', matMul: stockMatMul, patches: stockIm2Col }),
  cpu
)
checkConvOps(
  'JavaScript-loop im2col on cpu:',
  () => ({ kind: 'im2col', matMul: stockMatMul, patches: loopIm2Col }),
  cpu
)
