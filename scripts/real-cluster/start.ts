// `npm run real-cluster`: a real kube-apiserver on 127.0.0.1 to try the plugin against by hand,
// the same control plane the real-cluster tests use. Prints the kubeconfig and audit log paths;
// Ctrl-C stops exactly what it started. Users alice (group devs) and bob have static tokens.
import {execa} from 'execa'
import {startRealCluster} from '../../test/real-cluster/cluster.js'

const build = await execa('bash', [new URL('build.sh', import.meta.url).pathname], {reject: false, stderr: 'inherit'})
if (build.exitCode !== 0) {
  process.stderr.write('could not build kube-apiserver (see above)\n')
  process.exit(1)
}
const binDir = build.stdout.trim().split('\n').pop()!
const audit = process.argv.includes('--audit=request') ? 'request' : 'metadata'
const cluster = await startRealCluster({binDir, audit, aggregation: true, users: [{name: 'alice', groups: ['devs']}, {name: 'bob'}]})
process.stdout.write([
  `kube-apiserver ready at ${cluster.server} (audit level: ${audit})`,
  `export KUBECONFIG=${cluster.kubeconfigPath}   # admin (system:masters)`,
  `alice: ${await cluster.kubeconfigFor('alice')}`,
  `bob:   ${await cluster.kubeconfigFor('bob')}`,
  `audit log: ${cluster.auditLogPath}`,
  `kubectl:   ${cluster.kubectlPath}`,
  'Ctrl-C stops it.',
  '',
].join('\n'))
// `on`, not `once`: tsx relays the terminal's SIGINT to this process, which may so get it twice; a
// second, unhandled one would kill it halfway through stopping and leave etcd running.
let stopping = false
const stop = () => {
  if (stopping) return
  stopping = true
  void cluster.stop().then(() => process.exit(0))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
