import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {Readable} from 'node:stream'
import {gzipSync} from 'node:zlib'
import {afterAll, describe, expect, it} from 'vitest'
import type {AuditEvent} from './event.js'
import {expandGlob, parseCsvLine, readAuditEvents, sniffMode, type ReadOptions} from './reader.js'

const dir = mkdtempSync(path.join(tmpdir(), 'reader-test-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function ev(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    auditID: id,
    stage: 'ResponseComplete',
    verb: 'get',
    requestURI: `/api/v1/namespaces/ns/secrets/${id}`,
    user: {username: 'u', groups: []},
    sourceIPs: ['1.1.1.1'],
    objectRef: {resource: 'secrets', namespace: 'ns', name: id},
    responseStatus: {code: 200},
    requestReceivedTimestamp: '2024-05-01T10:00:00Z',
    ...extra,
  }
}
const line = (o: unknown) => JSON.stringify(o) + '\n'

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name)
  mkdirSync(path.dirname(p), {recursive: true})
  writeFileSync(p, content)
  return p
}

async function collect(inputs: string[], options?: ReadOptions) {
  const stream = readAuditEvents(inputs, options)
  const events: AuditEvent[] = []
  for await (const e of stream) events.push(e)
  return {events, stats: stream.stats}
}

describe('readAuditEvents: line-oriented inputs', () => {
  it('reads JSON lines with 1-based line numbers, skipping blank lines, counting bad ones', async () => {
    const p = file('a.log', line(ev('a')) + '\n' + 'garbage here\n' + '{"broken": \n' + line(ev('b')).replace('\n', '\r\n'))
    const {events, stats} = await collect([p])
    expect(events.map((e) => [e.name, e.origin.line])).toEqual([['a', 1], ['b', 5]])
    expect(stats).toMatchObject({records: 4, events: 2, skipped: 2, skipReasons: {'not-json': 2}})
    expect(stats.skipPositions).toEqual([`${p}:3: not-json`, `${p}:4: not-json`])
  })

  it('keeps valid events around binary garbage and a line over the cap', async () => {
    const garbage = Buffer.from([0x00, 0xff, 0xfe, 0x1b, 0x5b, 0x32, 0x4a, 0x0a])
    const p = file('b.log', Buffer.concat([Buffer.from(line(ev('a'))), garbage, Buffer.from('{"x":"' + 'y'.repeat(5000) + '"}\n'), Buffer.from(line(ev('b')))]))
    const {events, stats} = await collect([p], {maxLineBytes: 1000})
    expect(events.map((e) => e.name)).toEqual(['a', 'b'])
    expect(stats.skipReasons).toEqual({'not-json': 1, 'line-too-long': 1})
  })

  it('caps a line of many MB at the default 16 MiB without holding it', async () => {
    const huge = '{"x":"' + 'z'.repeat(17 * 1024 * 1024) + '"}\n'
    const p = file('huge.log', line(ev('a')) + huge + line(ev('b')))
    const {events, stats} = await collect([p])
    expect(events.map((e) => e.name)).toEqual(['a', 'b'])
    expect(stats.skipReasons).toEqual({'line-too-long': 1})
    expect(stats.skipPositions[0]).toBe(`${p}:2: line-too-long`)
  })

  it('reads lines longer than the 4 MiB scan window whole, from a file and from stdin', async () => {
    // A 5 MiB annotation: over the window, under the 16 MiB cap. One such line holds the needle,
    // one does not; the last one has no newline.
    const big = (id: string) => ev(id, {annotations: {note: 'n'.repeat(5 * 1024 * 1024)}})
    const quiet = {kind: 'Event', verb: 'get', objectRef: {resource: 'pods'}, note: 'p'.repeat(5 * 1024 * 1024)}
    const text = line(ev('a')) + line(big('b')) + line(quiet) + line(ev('c')) + JSON.stringify(big('d'))
    const p = file('long-lines.log', text)
    const expected = [['a', 1], ['b', 2], ['c', 4], ['d', 5]]
    for (const options of [{}, {prefilter: ['secrets']}] as ReadOptions[]) {
      const {events, stats} = await collect([p], options)
      expect(events.map((e) => [e.name, e.origin.line])).toEqual(expected)
      // Unfiltered, the pods line is parsed and found to be no event (it has no user).
      expect(stats).toMatchObject({records: 5, skipped: options.prefilter ? 0 : 1, prefiltered: options.prefilter ? 1 : 0})
    }
    const piped = await collect(['-'], {prefilter: ['secrets'], stdin: Readable.from([Buffer.from(text)])})
    expect(piped.events.map((e) => [e.name, e.origin.line])).toEqual(expected)
  })

  it('reads the last line without a trailing newline', async () => {
    const p = file('c.log', line(ev('a')) + JSON.stringify(ev('b')))
    expect((await collect([p])).events).toHaveLength(2)
  })

  it('detects gzip by magic bytes whatever the name, and reports a corrupt gzip after its good events', async () => {
    const body = Array.from({length: 2000}, (_, i) => line(ev(`e${i}`))).join('')
    const gz = gzipSync(body)
    const rotated = file('audit.log.1', gz)
    expect((await collect([rotated])).events).toHaveLength(2000)
    const cut = file('cut.gz', gz.subarray(0, Math.floor(gz.length * 0.6)))
    const {events, stats} = await collect([cut, file('after.log', line(ev('after')))])
    expect(events.length).toBeGreaterThan(100)
    expect(events.length).toBeLessThan(2000)
    expect(events.at(-1)?.name).toBe('after')
    expect(stats.skipReasons).toEqual({'corrupt-gzip': 1})
    const garbled = Buffer.from(gz)
    garbled.fill(0x41, 20, 60)
    const bad = await collect([file('garbled.gz', garbled)])
    expect(bad.stats.skipReasons['corrupt-gzip']).toBe(1)
  })

  it('reads stdin for -', async () => {
    const stdin = Readable.from([Buffer.from(line(ev('a')) + line(ev('b')).slice(0, 20)), Buffer.from(line(ev('b')).slice(20))])
    const {events} = await collect(['-'], {stdin})
    expect(events.map((e) => [e.name, e.origin.file])).toEqual([['a', '-'], ['b', '-']])
  })

  it('reads gzip from stdin', async () => {
    const stdin = Readable.from([gzipSync(line(ev('a')))])
    expect((await collect(['-'], {stdin})).events).toHaveLength(1)
  })

  it('sniffs shapes per line: native, EKS, GKE, AKS and CSV rows in one file', async () => {
    const gke = {protoPayload: {authenticationInfo: {principalEmail: 'g'}, methodName: 'io.k8s.core.v1.secrets.get', resourceName: 'core/v1/namespaces/a/secrets/s'}, timestamp: '2024-05-01T10:00:00Z'}
    const aks = {category: 'kube-audit', properties: {log: JSON.stringify(ev('aks'))}}
    const eks = {message: JSON.stringify(ev('eks')), eventId: '9'}
    const csv = '"{""name"":""c""}",2023-01-27T18:28:08Z,bob,get,secrets,,s,,/api/v1/namespaces/x/secrets/s,csv-1,ResponseComplete,200,,,\n'
    const p = file('mixed.log', line(ev('native')) + line(gke) + line(aks) + line(eks) + csv)
    const {events} = await collect([p])
    expect(events.map((e) => e.origin.format)).toEqual(['k8s', 'gke', 'aks', 'eks', 'csv'])
  })
})

describe('readAuditEvents: prefilter', () => {
  it('never drops a line of any shape that names the resource, and counts the rest', async () => {
    const gke = {protoPayload: {authenticationInfo: {principalEmail: 'g'}, methodName: 'io.k8s.core.v1.secrets.get'}, timestamp: '2024-05-01T10:00:00Z'}
    const aks = {properties: {log: JSON.stringify(ev('aks'))}}
    const pods = ev('p', {objectRef: {resource: 'pods', namespace: 'ns', name: 'p'}, requestURI: '/api/v1/namespaces/ns/pods/p'})
    const csv = '"{}",2023-01-27T18:28:08Z,bob,get,secrets,,s,,/api/v1/namespaces/x/secrets/s,csv-1,ResponseComplete,200,,,\n'
    const content = line(ev('a')) + line(pods).repeat(3) + line(gke) + 'not json at all\n' + line(aks) + csv
    const p = file('pre.log', content)
    const all = await collect([p])
    const pre = await collect([p], {prefilter: ['secrets', 'configmaps']})
    const secretsOf = (es: AuditEvent[]) => es.filter((e) => e.resource === 'secrets').map((e) => e.origin.line)
    expect(secretsOf(pre.events)).toEqual(secretsOf(all.events))
    expect(secretsOf(pre.events)).toEqual([1, 5, 7, 8])
    expect(pre.stats.prefiltered).toBe(4) // three pods lines and the garbage line: not parsed, not judged
    expect(pre.stats.skipped).toBe(0)
    expect(all.stats.skipped).toBe(1)
    expect(pre.stats.records).toBe(all.stats.records)
  })

  it('finds needles across chunk boundaries', async () => {
    const body = Array.from({length: 30000}, (_, i) => line(i % 7 === 0 ? ev(`s${i}`) : ev(`p${i}`, {objectRef: {resource: 'pods'}, requestURI: '/api/v1/pods'}))).join('')
    const p = file('big.log', body)
    const {events} = await collect([p], {prefilter: ['secrets']})
    expect(events).toHaveLength(Math.ceil(30000 / 7))
  })
})

describe('readAuditEvents: documents', () => {
  it('pretty-printed JSON documents, concatenated', async () => {
    const p = file('pretty.json', JSON.stringify(ev('a'), null, 2) + '\n' + JSON.stringify(ev('b', {userAgent: 'has } and { and "quote"'}), null, 2) + '\n')
    const {events, stats} = await collect([p])
    const secondLine = JSON.stringify(ev('a'), null, 2).split('\n').length + 1
    expect(secondLine).toBeGreaterThan(10)
    expect(events.map((e) => [e.name, e.origin.line])).toEqual([['a', 1], ['b', secondLine]])
    expect(stats.records).toBe(2)
  })

  it('a pretty-printed top-level array yields its elements', async () => {
    const p = file('array.json', JSON.stringify([ev('a'), {kind: 0}, ev('b')], null, 2))
    const {events, stats} = await collect([p])
    expect(events.map((e) => e.name)).toEqual(['a', 'b'])
    expect(stats.skipReasons).toEqual({'unknown-shape': 1})
  })

  it('a one-line array and an EventList line', async () => {
    const p = file('list.log', JSON.stringify([ev('a'), ev('b')]) + '\n' + JSON.stringify({kind: 'EventList', items: [ev('c')]}) + '\n')
    expect((await collect([p])).events.map((e) => e.name)).toEqual(['a', 'b', 'c'])
  })

  it('a truncated pretty-printed document is counted', async () => {
    const text = JSON.stringify(ev('a'), null, 2) + '\n' + JSON.stringify(ev('b'), null, 2).slice(0, 80)
    const {events, stats} = await collect([file('cut.json', text)])
    expect(events).toHaveLength(1)
    expect(stats.skipReasons).toEqual({'not-json': 1})
  })

  it('YAML documents', async () => {
    const yaml = `# comment\ninsertId: x1\nprotoPayload:\n  authenticationInfo:\n    principalEmail: y@example.com\n  methodName: io.k8s.core.v1.configmaps.update\n  resourceName: core/v1/namespaces/kube-system/configmaps/c\ntimestamp: "2024-01-01T00:00:00Z"\n---\nkind: Event\nverb: get\nuser:\n  username: z\nobjectRef:\n  resource: secrets\n---\n: : bad: [\n`
    const {events, stats} = await collect([file('entries.yaml', yaml)])
    expect(events.map((e) => [e.origin.format, e.resource, e.origin.line])).toEqual([['gke', 'configmaps', 2], ['k8s', 'secrets', 10]])
    expect(stats.skipReasons).toEqual({'not-yaml': 1})
  })

  it('sniffs the mode from the first significant line', () => {
    expect(sniffMode('a.log', Buffer.from('{"a":1}\n'))).toBe('lines')
    // Pretty-printed objects are joined back by the line reader (they may be mixed with JSON lines).
    expect(sniffMode('a.log', Buffer.from('{\n  "a": 1\n}'))).toBe('lines')
    // Envelopes, pretty or compact, are streamed as documents.
    expect(sniffMode('a.log', Buffer.from('{\n  "kind": "EventList",\n  "metadata": {},\n  "items": [\n'))).toBe('documents')
    expect(sniffMode('a.log', Buffer.from('{"events":[{"message":"{\\"kind\\"'))).toBe('documents')
    expect(sniffMode('a.log', Buffer.from('{"kind":"Event","user":{"items":['))).toBe('lines')
    expect(sniffMode('a.log', Buffer.from('[\n'))).toBe('documents')
    expect(sniffMode('a.log', Buffer.from('[{"a":1}]\n'))).toBe('lines')
    expect(sniffMode('a.txt', Buffer.from('# c\nkind: Event\n'))).toBe('yaml')
    expect(sniffMode('a.yaml', Buffer.from('{"a":1}\n'))).toBe('lines')
    expect(sniffMode('a.csv', Buffer.from('"{""a"":1}",2023-01-01T00:00:00Z,u\n'))).toBe('lines')
  })
})

describe('readAuditEvents: multi-line values inside JSON lines', () => {
  const pretty = (o: unknown) => JSON.stringify(o, null, 2) + '\n'

  it('reads JSON lines followed by pretty-printed objects (what `jq .` appends)', async () => {
    const p = file('mixed/jq-appended.log', line(ev('a')) + line(ev('b')) + pretty(ev('c')) + pretty(ev('d')) + line(ev('e')))
    for (const options of [{}, {prefilter: ['secrets']}, {prefilter: ['nothing-matches']}]) {
      const {events, stats} = await collect([p], options)
      if (options.prefilter?.[0] === 'nothing-matches') {
        expect(events).toHaveLength(0)
        expect(stats.skipped).toBe(0)
        continue
      }
      const lines = pretty(ev('c')).split('\n').length - 1
      expect(events.map((e) => [e.auditID, e.origin.line])).toEqual([['a', 1], ['b', 2], ['c', 3], ['d', 3 + lines], ['e', 3 + 2 * lines]])
      expect(stats.skipped).toBe(0)
    }
  })

  it('joins an event wrapped over several lines, also inside a string', async () => {
    const whole = JSON.stringify(ev('w'))
    const at = whole.indexOf('/secrets/') + 3
    const p = file('mixed/wrapped.log', line(ev('a')) + whole.slice(0, 30) + '\n' + whole.slice(30, at) + '\n' + whole.slice(at) + '\n' + line(ev('b')))
    const {events, stats} = await collect([p])
    expect(events.map((e) => [e.auditID, e.origin.line])).toEqual([['a', 1], ['w', 2], ['b', 5]])
    expect(stats.skipped).toBe(0)
  })

  it('a line cut short stays one skip and never eats the good lines after it', async () => {
    const cut = JSON.stringify(ev('x')).slice(0, 50)
    const p = file('mixed/cut.log', line(ev('a')) + cut + '\n' + line(ev('b')) + pretty(ev('c')) + cut + '\n' + 'garbage about secrets\n' + line(ev('d')) + cut + '\n')
    for (const options of [{}, {prefilter: ['secrets']}]) {
      const {events, stats} = await collect([p], options)
      expect(events.map((e) => e.auditID)).toEqual(['a', 'b', 'c', 'd'])
      expect(stats.skipReasons).toEqual({'not-json': 4})
    }
  })

  it('a cut value at the end of the input is one skip, its member lines with it', async () => {
    const p = file('mixed/cut-end.log', line(ev('a')) + pretty(ev('b')).slice(0, 200))
    const {events, stats} = await collect([p])
    expect(events.map((e) => e.auditID)).toEqual(['a'])
    expect(stats.skipReasons).toEqual({'not-json': 1})
  })

  it('a pretty-printed value across the 4 MiB scan window boundary, its needle after it', async () => {
    const filler = line(ev('p', {objectRef: {resource: 'pods', namespace: 'ns', name: 'p'}, requestURI: '/api/v1/namespaces/ns/pods/p'}))
    const before = 4 * 1024 * 1024 - 60
    const count = Math.floor(before / filler.length)
    const pad = ' '.repeat(before - count * filler.length - 1) + '\n'
    const text = filler.repeat(count) + pad + pretty(ev('across')) + line(ev('after'))
    const p = file('mixed/across.log', text)
    for (const options of [{}, {prefilter: ['secrets']}]) {
      const {events, stats} = await collect([p], options)
      expect(events.filter((e) => e.resource === 'secrets').map((e) => [e.auditID, e.origin.line])).toEqual([['across', count + 2], ['after', count + 2 + pretty(ev('across')).split('\n').length - 1]])
      expect(stats.skipped).toBe(0)
    }
  })

  it('hostile unbalanced lines stay linear and counted', async () => {
    const p = file('mixed/hostile.log', '{"a":[\n'.repeat(20_000) + line(ev('z')))
    const {events, stats} = await collect([p])
    expect(events.map((e) => e.auditID)).toEqual(['z'])
    expect(stats.skipped).toBe(20_000)
  })
})

describe('readAuditEvents: envelopes are streamed', () => {
  it('EventList items, CloudWatch events and LogEntry entries, compact or pretty, one element at a time', async () => {
    // Over 64 KiB, so that the compact form's first line does not end within the sniffed head.
    const items = Array.from({length: 300}, (_, i) => ev(`e${i}`))
    const cw = {events: items.map((e, i) => ({logStreamName: 'kube-apiserver-audit-1', timestamp: i, message: JSON.stringify(e), eventId: String(i)})), searchedLogStreams: [{logStreamName: 'x'}]}
    const list = {kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {resourceVersion: '1'}, items}
    for (const [name, doc] of [['el', list], ['cw', cw]] as const) {
      for (const text of [JSON.stringify(doc), JSON.stringify(doc, null, 2)]) {
        // A cap below the document but above each element: only streaming reads it.
        const {events, stats} = await collect([file(`env/${name}.json`, text)], {maxDocumentBytes: 1000, maxLineBytes: 1000})
        expect(events.map((e) => e.auditID)).toEqual(items.map((e) => e.auditID))
        expect(stats.skipped).toBe(0)
      }
    }
  })

  it('an element over the cap is a counted skip; the others are read', async () => {
    const big = ev('big', {requestObject: {data: {k: 'x'.repeat(5000)}}})
    const {events, stats} = await collect([file('env/big.json', JSON.stringify({kind: 'EventList', items: [ev('a'), big, ev('b')]}, null, 1))], {maxDocumentBytes: 2000})
    expect(events.map((e) => e.auditID)).toEqual(['a', 'b'])
    expect(stats.skipReasons).toEqual({'element-too-large': 1})
    expect(stats.refusedInputs).toBe(0)
  })

  it('an input of nothing but refused records is lost whole', async () => {
    const bomb = file('env/bomb.yaml', 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + Array.from({length: 20}, (_, i) => `b${i}: &b${i} [${Array(9).fill(i === 0 ? '*a' : `*b${i - 1}`).join(',')}]`).join('\n') + '\n')
    const deep = file('env/deep.json', '['.repeat(50_000) + ']'.repeat(50_000) + '\n')
    const good = file('env/good.log', line(ev('g')))
    const {events, stats} = await collect([bomb, deep, good])
    expect(events.map((e) => e.auditID)).toEqual(['g'])
    expect(stats.skipReasons).toEqual({'too-many-aliases': 1, 'too-deep': 1})
    expect(stats.refusedInputs).toBe(2)
    expect(stats.refusedPositions).toEqual([`${bomb}: too-many-aliases`, `${deep}: too-deep`])
  })
})

describe('readAuditEvents: stages of one request count once', () => {
  it('prefers ResponseComplete, else the latest stage', async () => {
    const p = file('stages.log', [
      line(ev('x', {stage: 'RequestReceived', responseStatus: undefined})),
      line(ev('x', {stage: 'ResponseStarted', responseStatus: {code: 101}})),
      line(ev('x', {stage: 'ResponseComplete', responseStatus: {code: 200}})),
      line(ev('y', {stage: 'RequestReceived'})),
      line(ev('y', {stage: 'Panic', responseStatus: {code: 500}})),
      line(ev('z', {stage: 'ResponseComplete'})),
      line(ev('z', {stage: 'RequestReceived'})), // out of order: still merged into the complete one
    ].join(''))
    const {events, stats} = await collect([p])
    expect(events.map((e) => [e.name, e.stage])).toEqual([['x', 'ResponseComplete'], ['y', 'Panic'], ['z', 'ResponseComplete']])
    expect(stats.duplicates).toBe(4)
  })

  it('does not merge different requests that reuse an auditID', async () => {
    const p = file('reuse.log', line(ev('r')) + line(ev('r', {verb: 'delete'})))
    expect((await collect([p])).events).toHaveLength(2)
  })

  it('holds only a bounded window: a very late stage is dropped and counted', async () => {
    const lines = [line(ev('early'))]
    for (let i = 0; i < 50; i++) lines.push(line(ev(`f${i}`)))
    lines.push(line(ev('early', {stage: 'ResponseStarted'})))
    const {events, stats} = await collect([file('late.log', lines.join(''))], {dedupeWindow: 10})
    expect(events).toHaveLength(51)
    expect(stats.duplicates).toBe(1)
    expect(events[0]?.name).toBe('early')
  })
})

describe('inputs', () => {
  it('folders recursively, globs, and missing files as counted skips', async () => {
    file('tree/a/one.log', line(ev('1')))
    file('tree/b/two.log', line(ev('2')))
    file('tree/b/skip.txt', line(ev('3')))
    const viaDir = await collect([path.join(dir, 'tree')])
    expect(viaDir.events.map((e) => e.name)).toEqual(['1', '3', '2'])
    expect(await expandGlob(path.join(dir, 'tree/*/*.log'))).toEqual([path.join(dir, 'tree/a/one.log'), path.join(dir, 'tree/b/two.log')])
    expect(await expandGlob(path.join(dir, 'tree/**/t?o.log'))).toEqual([path.join(dir, 'tree/b/two.log')])
    const missing = await collect([path.join(dir, 'nope.log'), path.join(dir, 'none-*.log')])
    expect(missing.stats.skipReasons).toEqual({'no-such-file': 1, 'glob-matched-nothing': 1})
  })

  it('a folder follows symlinked files and folders, and a link back up does not loop', async () => {
    file('links/real/one.log', line(ev('10')))
    file('elsewhere/two.log', line(ev('11')))
    symlinkSync(path.join(dir, 'elsewhere/two.log'), path.join(dir, 'links/real/two.log'))
    symlinkSync(path.join(dir, 'elsewhere'), path.join(dir, 'links/other'))
    symlinkSync(path.join(dir, 'links'), path.join(dir, 'links/real/up'))
    const r = await collect([path.join(dir, 'links')])
    // three files (one.log, the linked two.log, two.log again through the linked folder); the
    // second reading of the same request merges as a duplicate.
    expect(r.stats.inputs).toBe(3)
    expect(r.events.map((e) => e.name).sort()).toEqual(['10', '11'])
    expect(r.stats.duplicates).toBe(1)
  })

  it('a UTF-8 byte-order mark loses nothing, in JSON lines, one-line EventLists and pretty documents', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf])
    const write = (name: string, text: string) => {
      const p = path.join(dir, name)
      writeFileSync(p, Buffer.concat([bom, Buffer.from(text)]))
      return p
    }
    const lines = await collect([write('bom-lines.log', line(ev('1')) + line(ev('2')))])
    expect(lines.events.map((e) => e.name)).toEqual(['1', '2'])
    const list = await collect([write('bom-list.json', JSON.stringify({kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [ev('3')]}) + '\n')])
    expect(list.events.map((e) => e.name)).toEqual(['3'])
    const pretty = await collect([write('bom-pretty.json', JSON.stringify(ev('4'), null, 2) + '\n')])
    expect(pretty.events.map((e) => e.name)).toEqual(['4'])
    for (const r of [lines, list, pretty]) expect(r.stats.skipped).toBe(0)
  })

  it('says what it does not decode (UTF-16, xz, bzip2, zstd) instead of reading it as garbage', async () => {
    const cases: [string, Buffer, string][] = [
      ['utf16le.log', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(line(ev('1')), 'utf16le')]), 'utf-16-not-read'],
      ['utf16be.log', Buffer.from([0xfe, 0xff, 0x00, 0x7b]), 'utf-16-not-read'],
      ['a.log.xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2]), 'xz-not-read'],
      ['a.log.bz2', Buffer.from('BZh91AY&SY'), 'bzip2-not-read'],
      ['a.log.zst', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]), 'zstd-not-read'],
    ]
    for (const [name, bytes, reason] of cases) {
      const p = path.join(dir, name)
      writeFileSync(p, bytes)
      const r = await collect([p])
      expect(r.stats.skipReasons, name).toEqual({[reason]: 1})
      expect(r.events).toEqual([])
    }
  })

  it('parses RFC 4180 rows', () => {
    expect(parseCsvLine('"a ""q"", b",c,,d')).toEqual(['a "q", b', 'c', '', 'd'])
    expect(parseCsvLine('"open')).toBeUndefined()
  })
})

describe('YAML nesting guard', () => {
  it('splits documents at --- lines and keeps their first line numbers', async () => {
    const {splitYamlDocuments} = await import('../lib/yaml-bounds.js')
    expect(splitYamlDocuments('a: 1\n---\nb: 2\n--- # c\nc: 3').map((p) => p.firstLine)).toEqual([1, 2, 4])
  })

  it('flags flow and block nesting past the bound, not ordinary records', async () => {
    const {yamlNestingExceeds} = await import('../lib/yaml-bounds.js')
    expect(yamlNestingExceeds(`x: ${'['.repeat(300)}${']'.repeat(300)}`, 256)).toBe(true)
    expect(yamlNestingExceeds(Array.from({length: 300}, (_, i) => `${'  '.repeat(i)}- `).join('\n'), 256)).toBe(true)
    expect(yamlNestingExceeds('kind: Event\nuser: {username: "a[b"}\nitems:\n  - {a: [1, 2]}\n', 256)).toBe(false)
  })
})
