import {describe, expect, it} from 'vitest'
import {HIDDEN, redactArgv, redactRequestURI, redactSecrets} from './redact.js'

// [input, expected]: each hostile case must lose its value and keep its shape.
const HOSTILE: [string, string][] = [
  ['password=hunter2', `password=${HIDDEN}`],
  ['env DB_PASSWORD=hunter2 is not allowed', `env DB_PASSWORD=${HIDDEN} is not allowed`],
  ['PGPASSWORD=s3cr3t psql -h db', `PGPASSWORD=${HIDDEN} psql -h db`],
  ['MYSQL_PWD=s3cr3t mysql', `MYSQL_PWD=${HIDDEN} mysql`],
  ['AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG', `AWS_SECRET_ACCESS_KEY=${HIDDEN}`],
  ['{"password":"hunter2","user":"bob"}', `{"password":"${HIDDEN}","user":"bob"}`],
  ['{\\"token\\":\\"abc.def\\"}', `{\\"token\\":\\"${HIDDEN}\\"}`],
  ['api_key: abcdef123', `api_key: ${HIDDEN}`],
  ['login --password hunter2 --user bob', `login --password ${HIDDEN} --user bob`],
  ['vault login -token s.abcdef', `vault login -token ${HIDDEN}`],
  ['app --db-password "two words"', `app --db-password "${HIDDEN}"`],
  ['app --token=abc123', `app --token=${HIDDEN}`],
  ['mysql -uroot -pS3cret db', `mysql -uroot -p${HIDDEN} db`],
  ['sh -c mysqldump -h db -pS3cret app', `sh -c mysqldump -h db -p${HIDDEN} app`],
  ['sshpass -p hunter2 ssh host', `sshpass -p ${HIDDEN} ssh host`],
  ['redis-cli -h r -a hunter2 get k', `redis-cli -h r -a ${HIDDEN} get k`],
  ['curl -u admin:hunter2 https://x', `curl -u admin:${HIDDEN} https://x`],
  ['Authorization: Bearer abcdef123456', `Authorization: Bearer ${HIDDEN}`],
  ['curl -H "Authorization: Basic YWRtaW46cGFzcw==" x', `curl -H "Authorization: Basic ${HIDDEN}" x`],
  ['sent bearer abcdef.ghijkl', `sent bearer ${HIDDEN}`],
  ['https://user:hunter2@git.example.com/repo', `https://user:${HIDDEN}@git.example.com/repo`],
  ['postgres://app:hunter2@db:5432/x', `postgres://app:${HIDDEN}@db:5432/x`],
  ['key AKIAIOSFODNN7EXAMPLE used', `key AKIA${HIDDEN} used`],
  ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl end', `jwt eyJ${HIDDEN}.${HIDDEN}.${HIDDEN} end`],
  [
    'key -----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY----- done',
    `key -----BEGIN RSA PRIVATE KEY-----${HIDDEN}-----END RSA PRIVATE KEY----- done`,
  ],
  ['cut -----BEGIN PRIVATE KEY-----\nMIIEow', `cut -----BEGIN PRIVATE KEY-----${HIDDEN}-----END PRIVATE KEY-----`],
  ['token=abc&x=1', `token=${HIDDEN}&x=1`],
]

// Text that looks close but holds no credential: unchanged.
const BENIGN = [
  'kubectl get secrets -n kube-system',
  'kubectl create secret generic db --from-file=./creds',
  'app --password-file /etc/app/password',
  'docker login --password-stdin registry.example.com',
  'kubectl create token builder --duration 1h',
  'app --token-ttl 1h',
  'mkdir -p /tmp/x',
  'redis-cli -p 6379 ping',
  'ssh -p 22 host',
  'tar -pxf backup.tar',
  'RBAC: allowed by ClusterRoleBinding "admins" of ClusterRole "admin" to Group "ops"',
  'secrets "db-password" is forbidden: User "bob" cannot get resource "secrets"',
  'volume uses secretName=db-creds',
  'https://example.com:8443/api',
  'the Bearer token expired',
  'cat /var/run/secrets/kubernetes.io/serviceaccount/token',
  'password-file=/run/pw',
]

describe('redactSecrets', () => {
  for (const [input, expected] of HOSTILE) {
    it(`hides ${JSON.stringify(input)}`, () => {
      expect(redactSecrets(input)).toBe(expected)
      // Idempotent: output already redacted stays as is.
      expect(redactSecrets(expected)).toBe(expected)
    })
  }
  for (const input of BENIGN) it(`leaves ${JSON.stringify(input)}`, () => expect(redactSecrets(input)).toBe(input))
})

describe('redactArgv', () => {
  it('hides values that only argument boundaries show', () => {
    expect(redactArgv(['mysql', '-u', 'root', '-pS3cret'])).toEqual(['mysql', '-u', 'root', `-p${HIDDEN}`])
    expect(redactArgv(['/usr/bin/mysql', '-p', 'db'])).toEqual(['/usr/bin/mysql', '-p', 'db'])
    expect(redactArgv(['app', '--password', 'hunter 2', '-v'])).toEqual(['app', '--password', HIDDEN, '-v'])
    expect(redactArgv(['sshpass', '-p', 'hunter2', 'ssh', 'h'])).toEqual(['sshpass', '-p', HIDDEN, 'ssh', 'h'])
    expect(redactArgv(['curl', '-u', 'admin:pw', 'https://x'])).toEqual(['curl', '-u', `admin:${HIDDEN}`, 'https://x'])
    expect(redactArgv(['sh', '-c', 'PGPASSWORD=pw psql'])).toEqual(['sh', '-c', `PGPASSWORD=${HIDDEN} psql`])
  })
  it('leaves ordinary commands alone', () => {
    for (const argv of [['ls', '-la'], ['tar', 'cf', '-', '/data'], ['redis-cli', '-p', '6379'], ['app', '--password-file', '/p']]) expect(redactArgv(argv)).toEqual(argv)
  })
})

describe('redactRequestURI', () => {
  it('hides exec arguments and query credentials, keeping the URI shape', () => {
    const uri = '/api/v1/namespaces/db/pods/mysql-0/exec?command=mysql&command=-pS3cret&container=db&stdout=true'
    expect(redactRequestURI(uri)).toBe(`/api/v1/namespaces/db/pods/mysql-0/exec?command=mysql&command=${encodeURIComponent(`-p${HIDDEN}`)}&container=db&stdout=true`)
    const sh = '/api/v1/namespaces/a/pods/b/exec?command=sh&command=-c&command=PGPASSWORD%3Dpw%20psql'
    expect(decodeURIComponent(redactRequestURI(sh))).toBe(`/api/v1/namespaces/a/pods/b/exec?command=sh&command=-c&command=PGPASSWORD=${HIDDEN} psql`)
    expect(redactRequestURI('/x?access_token=abc&watch=1')).toBe(`/x?access_token=${HIDDEN}&watch=1`)
  })
  it('returns a clean URI byte for byte', () => {
    for (const uri of ['/api/v1/namespaces/a/secrets/b', '/api/v1/namespaces/a/pods/b/exec?command=ls&command=-la%20x&stdin=true', '/apis?labelSelector=a%3Db'])
      expect(redactRequestURI(uri)).toBe(uri)
  })
})
