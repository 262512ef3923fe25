// Worker thread for readAuditEvents' parallel scan: receives byte ranges of one file, scans each
// with the same line reader as the main thread, and posts the events back (see readParallel).
import {parentPort, workerData} from 'node:worker_threads'
import {scanRange, type ReadOptions} from './reader.js'

const {file, options} = workerData as {file: string; options: ReadOptions}

parentPort?.on('message', (task: {id: number; start: number; end: number}) => {
  scanRange(file, task.id, task.start, task.end, options, (m) => parentPort?.postMessage(m)).catch(() => {
    parentPort?.postMessage({type: 'failed', id: task.id})
  })
})
