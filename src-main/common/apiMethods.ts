// The names of the workbench api's methods, and nothing else: the sandboxed preload builds its
// bridge from this list, and importing the zod schemas there would bundle zod into it.
// workbenchContract.ts checks at compile time that its schemas cover exactly these names.
export const API_METHODS = [
  'listRuns',
  'getRun',
  'queueSweep',
  'resumeRun',
  'cancelRun',
  'setPriority',
  'deleteRuns',
  'tagRun',
  'noteRun',
  'renameRun',
  'listDatasets',
  'importDataset',
  'datasetPreview',
  'backends',
  'chooseBackend',
  'figureInputs',
  'exportFigures',
  'queueStatus',
  // Issue 13: run management, downloads and exports from the UI.
  'untagRun',
  'runFacets',
  'evaluateIwae',
  'runFile',
  'exportArchive',
  'chooseFolder',
  'storeInfo',
  'useStore',
  // Issue 17: the latent explorer.
  'latentExplorer',
  'decodeLatent'
] as const

export type ApiMethod = (typeof API_METHODS)[number]
