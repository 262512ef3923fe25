// The fake kube-apiserver for tests and benchmarks. It speaks the real wire format, checked by
// test/kube/kubectl-wire.test.ts with the real kubectl.
//
//   const server = await startFakeApiServer({
//     store: {rbac: snapshot, serviceAccounts, secrets: [{namespace: 'prod', name: 'db', data: {password: 'x'}}]},
//     authorize: (user, attributes) => ...,        // a scripted authorizer (webhook); default: allow all
//     forbid: ['rolebindings.rbac.authorization.k8s.io'],  // 403 with the real message
//     throttle: {requests: 2, retryAfterSeconds: 1},       // 429 + Retry-After for the first N requests
//     expireContinue: 1, resetConnections: 1, delayMs: 50, // 410 on continue, ECONNRESET, slowness
//     exec: {expirationSeconds: 3600},                     // context `fake-exec`: token from a counting exec plugin
//     endlessBody: true, hang: {phase: 'tls-handshake' | 'response' | 'body'},  // hostile servers
//     continueLoop: 'same-token' | 'cycle' | 'repeat-items' | 'endless',      // lists that never end
//   })
//   run `kubectl --kubeconfig ${server.kubeconfigPath} ...` or our client with {kubeconfig: server.kubeconfigPath}
//   server.requests: every request (method, path, query, headers, impersonation, user, status, secretsWithData)
//   await server.execInvocations(); server.hostile (bytes of endless bodies, held connections); await server.stop()
//
// Large clusters for benchmarks: generateCluster(BENCHMARK_SCALE); as a separate process: serve.ts.
export {startFakeApiServer, parsePath} from './server.js'
export type {FakeApiServer, FakeApiServerOptions, FakeAuthorizer, FakeDecision, FakeIdentity, LoggedRequest} from './server.js'
export {FakeStore, RESOURCES} from './store.js'
export type {FakeConfigMap, FakeSecret, FakeStoreInput} from './store.js'
export {BENCHMARK_SCALE, generateCluster} from './generate.js'
export type {ClusterScale} from './generate.js'
export {makeTestCertificates} from './tls.js'
