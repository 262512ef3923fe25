// A throw-away CA and a server certificate for 127.0.0.1/localhost, made with the openssl CLI at
// test time (no key material is kept in the repository). kubectl (Go) is strict about both: the
// CA must say CA:TRUE with keyCertSign, and the server name must be in subjectAltName.
import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {execa} from 'execa'

export interface TestCertificates {
  dir: string
  caFile: string
  caPem: string
  certPem: string
  keyPem: string
}

export async function makeTestCertificates(dir?: string): Promise<TestCertificates> {
  const folder = dir ?? (await mkdtemp(path.join(os.tmpdir(), 'fake-apiserver-')))
  const file = (name: string): string => path.join(folder, name)
  const curve = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  await execa('openssl', ['req', '-x509', ...curve, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2', '-subj', '/CN=fake-apiserver-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'])
  await execa('openssl', ['req', ...curve, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=fake-apiserver'])
  await writeFile(file('server.ext'), [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '',
  ].join('\n'))
  await execa('openssl', ['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.crt'), '-days', '2', '-extfile', file('server.ext')])
  return {
    dir: folder,
    caFile: file('ca.crt'),
    caPem: await readFile(file('ca.crt'), 'utf8'),
    certPem: await readFile(file('server.crt'), 'utf8'),
    keyPem: await readFile(file('server.key'), 'utf8'),
  }
}
