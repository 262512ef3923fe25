// The real command in a real terminal: `kubectl-sensitive_access dashboard` against the fake API
// server (who can, confirmed by SubjectAccessReview) and the sample audit log (recent, findings).
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
})
