// How the UI names an input the api says is at fault: the label the user sees on the form, not
// the contract's field name or the CLI's flag (issue 13: each adapter words errors for itself).

export const FIELD_LABELS: Record<string, string> = {
  latentDim: 'Latent dimensions',
  hidden: 'Hidden units',
  beta: 'β (KL weight)',
  lr: 'Learning rate',
  seed: 'Seeds',
  epochs: 'Epochs',
  batchSize: 'Batch size',
  optimizer: 'Optimiser',
  weightDecay: 'Weight decay',
  samples: 'Samples per image',
  pixels: 'Pixels',
  init: 'Initialisation',
  dataset: 'Dataset',
  limitTrain: 'Limit training images',
  limitTest: 'Limit test images',
  backend: 'Backend',
  sweepName: 'Sweep name',
  outDir: 'Output folder',
  format: 'Format',
  figures: 'Figures',
  runIds: 'Runs',
  manifoldGrid: 'Manifold grid',
  manifoldRange: 'Manifold range',
  overwrite: 'Output folder',
  name: 'Name',
  tag: 'Tag',
  note: 'Note',
  k: 'k (importance samples)',
  classNames: 'Class names',
  trainImages: 'Training images',
  trainLabels: 'Training labels',
  testImages: 'Test images',
  testLabels: 'Test labels',
  runId: 'Run',
  priority: 'Priority'
}

/** The label of a (possibly nested) field: "grid.latentDim" is "Latent dimensions". */
export function fieldLabel(field: string): string {
  return FIELD_LABELS[field] ?? FIELD_LABELS[field.split('.').pop() ?? ''] ?? field
}

/**
 * An api message worded for the UI: the service prefixes a field's name ("limitTrain: ..." or
 * "queueSweep: 0.limitTrain: ..."); here that becomes the field's label.
 */
export function uiMessage(message: string, field?: string): string {
  if (!field) return message
  const rest = message.replace(/^(\w+: )?([\w.]+: )/, (m, _method: string, path: string) =>
    path.slice(0, -2).split('.').pop() === field.split('.').pop() ? '' : m
  )
  return `${fieldLabel(field)}: ${rest}`
}
