// The real command in a real terminal: `kubectl-sensitive_access dashboard` against the fake API
// server (who can, confirmed by SubjectAccessReview) and the sample audit log (recent, findings).
import {appendFile, copyFile, mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import type {FakeApiServer} from '../fake-apiserver/index.js'
import {TmuxSession, tmuxAvailable} from '../ui/tmux-harness.js'
import {BIN, ROOT, startSampleCluster} from '../who-can/helpers.js'

const hasTmux = await tmuxAvailable()

let session: TmuxSession | undefined
let server: FakeApiServer | undefined
afterEach(async () => {
  await session?.kill()
  await server?.stop()
  session = undefined
  server = undefined
})

function command(args: string): string {
  return `node ${BIN} ${args}; echo "EXIT:$?"; if stty -a | grep -q -- -icanon; then echo TTY:RAW; else echo TTY:COOKED; fi`
}

describe.skipIf(!hasTmux)('dashboard command in tmux', () => {
  it('browses who can, recent, findings and an identity, filters, and quits cleanly', async () => {
    server = await startSampleCluster()
    session = await TmuxSession.start(command(`dashboard --kubeconfig ${server.kubeconfigPath} -n payments -f samples/audit/sample-audit.log`), {cwd: ROOT, width: 100, height: 30})
    const s = session
    let screen = await s.waitFor('Who can', {timeoutMs: 60_000})
    await s.waitForRawMode()
    screen = await s.waitFor(/ci\/ci-runner/)
    expect(screen).toMatch(/CONFIRMED/)
    expect(screen).toContain('system:masters')

    // Filter to one subject, open its grant paths with the kubectl commands.
    await s.sendKeys('/')
    await s.type('ci-runner')
    await s.sendKeys('Enter')
    screen = await s.waitFor('filter: ci-runner')
    expect(screen).not.toContain('system:masters')
    await s.sendKeys('Enter')
    screen = await s.waitFor(/Grant paths \(\d+\):/)
    expect(screen).toContain('kubectl get rolebinding')
    await s.sendKeys('Escape')
    await s.sendKeys('Escape')

    // Recent: events from the sample log, newest first, with summary panels.
    await s.sendKeys('2')
    screen = await s.waitFor('TOP USERS')
    expect(screen).toContain('[2 Recent]')
    // Findings from the detections over the same log.
    await s.sendKeys('3')
    screen = await s.waitFor('[3 Findings]')
    expect(screen).toMatch(/CRITICAL|HIGH/)
    await s.sendKeys('Enter')
    screen = await s.waitFor(/Evidence|evidence/)
    await s.sendKeys('Escape')

    // Identity of the selected finding.
    await s.sendKeys('i')
    screen = await s.waitFor(/Identity: /)

    await s.sendKeys('q')
    screen = await s.waitFor((x) => x.includes('TTY:'))
    const all = await s.captureAll()
    expect(all).toContain('EXIT:0')
    expect(all).toContain('TTY:COOKED')
  })

  it('recent --follow shows events appended to the log while it runs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'follow-e2e-'))
    const log = join(dir, 'audit.log')
    await copyFile(join(ROOT, 'samples/audit/sample-audit.log'), log)
    session = await TmuxSession.start(command(`recent -f ${log} --follow`), {cwd: ROOT, width: 100, height: 30})
    const s = session
    await s.waitFor('live', {timeoutMs: 60_000})
    await s.waitForRawMode()
    await s.sendKeys('2')
    await s.waitFor('TOP USERS')
    const event = {kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: 'live-1', stage: 'ResponseComplete', requestURI: '/api/v1/namespaces/payments/secrets/live-secret', verb: 'get', user: {username: 'mallory@example.com', groups: ['system:authenticated']}, sourceIPs: ['198.51.100.99'], userAgent: 'kubectl/v1.30.0', objectRef: {resource: 'secrets', namespace: 'payments', name: 'live-secret', apiVersion: 'v1'}, responseStatus: {code: 200}, requestReceivedTimestamp: '2026-11-26T18:30:00.000000Z', stageTimestamp: '2026-11-26T18:30:00.010000Z'}
    await appendFile(log, JSON.stringify(event) + '\n')
    const screen = await s.waitFor('mallory@example.com', {timeoutMs: 20_000})
    expect(screen).toContain('live-secret')
    await s.sendKeys('q')
    await s.waitFor((x) => x.includes('TTY:'))
    expect(await s.captureAll()).toContain('EXIT:0')
  })
})
