/** The IPC channels of the preload bridge; one per contract method exposed so far. */
export const IPC = {
  listRuns: 'vaeLab:listRuns'
} as const
