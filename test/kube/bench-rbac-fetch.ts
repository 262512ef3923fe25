// Benchmark: fetch the RBAC snapshot of a benchmark-size cluster (2,000 namespaces, 20,000 Roles,
// 40,000 RoleBindings, 1,000 ClusterRoles, 3,000 ClusterRoleBindings) from the fake API server
// running in its own process. Prints figures; targets: requests ~ objects/500, peak RSS < 500 MB.
//   npx tsx test/kube/bench-rbac-fetch.ts [--scale small]
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {execa} from 'execa'
import {KubeClient} from '../../src/kube/client.js'
import {loadKubeConfig} from '../../src/kube/config.js'
import {fetchRbacSnapshot} from '../../src/kube/rbac-fetch.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const scaleIndex = process.argv.indexOf('--scale')
const scale = scaleIndex > 0 ? (process.argv[scaleIndex + 1] ?? 'benchmark') : 'benchmark'
const serverProcess = execa('npx', ['tsx', path.join(here, '../fake-apiserver/serve.ts'), '--scale', scale], {stdin: 'pipe', stderr: 'inherit', buffer: false})
const info = await new Promise<{kubeconfigPath: string; url: string}>((resolve, reject) => {
  let text = ''
  serverProcess.stdout!.on('data', (chunk: Buffer) => {
    text += chunk.toString()
    const line = text.split('\n')[0]
    if (text.includes('\n') && line) resolve(JSON.parse(line))
  })
  serverProcess.catch(reject)
})

try {
  const rssBefore = process.memoryUsage().rss
  const loadStart = performance.now()
  const config = await loadKubeConfig({kubeconfig: info.kubeconfigPath})
  const client = new KubeClient(config)
  const loadMs = performance.now() - loadStart
  const runs: number[] = []
  let last: Awaited<ReturnType<typeof fetchRbacSnapshot>> | undefined
  for (let run = 0; run < 3; run++) {
    const start = performance.now()
    last = await fetchRbacSnapshot(client, {namespaces: true, serviceAccounts: true})
    runs.push(performance.now() - start)
  }
  client.close()
  const s = last!.snapshot
  const objects = s.roles.length + s.clusterRoles.length + s.roleBindings.length + s.clusterRoleBindings.length + (s.namespaces?.length ?? 0) + (s.serviceAccounts?.length ?? 0)
  const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`
  console.log(`scale: ${scale}`)
  console.log(`objects: roles ${s.roles.length}, clusterroles ${s.clusterRoles.length}, rolebindings ${s.roleBindings.length}, clusterrolebindings ${s.clusterRoleBindings.length}, namespaces ${s.namespaces?.length}, serviceaccounts ${s.serviceAccounts?.length} (total ${objects})`)
  console.log(`requests per fetch: ${last!.requests} (missing: ${last!.missing.length})`)
  console.log(`kubeconfig load (incl. client-node import): ${loadMs.toFixed(0)} ms`)
  console.log(`fetch time: ${runs.map((ms) => `${ms.toFixed(0)} ms`).join(', ')} (first, warm, warm)`)
  console.log(`rss before: ${mb(rssBefore)}, peak rss of this process (tsx included): ${mb(process.resourceUsage().maxRSS * 1024)}`)
} finally {
  serverProcess.stdin!.end()
  await serverProcess.catch(() => undefined)
}
