// Run the fake API server as its own process (benchmarks measure the plugin, not the server):
//   tsx test/fake-apiserver/serve.ts [--scale benchmark|small] [--exec]
// prints one JSON line {url, kubeconfigPath, token, caFile} on stdout, serves until stdin closes
// or SIGTERM/SIGINT, then prints request counts on stderr.
import {BENCHMARK_SCALE, generateCluster} from './generate.js'
import {startFakeApiServer} from './server.js'

const args = process.argv.slice(2)
const scaleName = args[args.indexOf('--scale') + 1] ?? 'benchmark'
const scale = scaleName === 'small' ? {...BENCHMARK_SCALE, namespaces: 20, roles: 200, roleBindings: 400, clusterRoles: 10, clusterRoleBindings: 30} : BENCHMARK_SCALE
const started = Date.now()
const server = await startFakeApiServer({store: generateCluster(scale), ...(args.includes('--exec') ? {exec: {}} : {})})
process.stderr.write(`fake apiserver: ${server.url}, store built in ${Date.now() - started} ms\n`)
process.stdout.write(JSON.stringify({url: server.url, kubeconfigPath: server.kubeconfigPath, token: server.token, caFile: server.caFile}) + '\n')

let stopping = false
const stop = async (): Promise<void> => {
  if (stopping) return
  stopping = true
  const secretsWithData = server.requests.reduce((sum, request) => sum + request.secretsWithData, 0)
  process.stderr.write(`fake apiserver: ${server.requests.length} requests served, ${secretsWithData} secrets served with data\n`)
  await server.stop()
  process.exit(0)
}
process.on('SIGTERM', () => void stop())
process.on('SIGINT', () => void stop())
process.stdin.on('end', () => void stop())
process.stdin.resume()
