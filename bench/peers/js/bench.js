// Bench peer: the official JavaScript driver (npm `neo4j-driver`), run by
// `cargo xtask bench` with NODE_PATH pointing at target/bench/js.
//
// Runs one workload --warmup times unmeasured (streams with a tenth of the
// rows), then --runs times, and prints
// one JSON line per measured run (wall seconds, process CPU seconds from
// process.cpuUsage(), operations) and a last line with the driver version.
// Workloads and query texts are the same in every peer (docs/benchmarks.md).
'use strict'
const neo4j = require('neo4j-driver')

const Q_INTS = n => `UNWIND range(1, ${n}) AS x RETURN x`
const Q_MAPS = n => `UNWIND range(1, ${n}) AS i RETURN {id: i, name: 'name-' + toString(i), score: i * 0.5, tags: ['a', 'b'], active: i % 2 = 0} AS m`
const Q_ONE = 'RETURN 1'
const Q_PARAM = 'RETURN $i'
const Q_CREATE = 'CREATE (:Bench {i: $i})'

function parseArgs () {
  const a = { warmup: 1, runs: 3, rows: 0, ops: 0, conc: 16 }
  const argv = process.argv.slice(2)
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '')
    const v = argv[i + 1]
    a[k] = ['warmup', 'runs', 'rows', 'ops', 'conc'].includes(k) ? parseInt(v, 10) : v
  }
  return a
}

async function stream (a, driver, query) {
  const s = driver.session({ database: a.db })
  let n = 0
  try {
    for await (const rec of s.run(query)) {
      rec.get(0)
      n++
    }
  } finally {
    await s.close()
  }
  return n
}

async function smallSeq (a, driver) {
  const s = driver.session({ database: a.db })
  try {
    for (let i = 0; i < a.ops; i++) await s.run(Q_ONE)
  } finally {
    await s.close()
  }
  return a.ops
}

async function smallPar (a, driver) {
  let next = 0
  async function worker () {
    let done = 0
    while (next < a.ops) {
      const i = next++
      const s = driver.session({ database: a.db })
      try {
        const r = await s.run(Q_PARAM, { i: neo4j.int(i) })
        if (r.records[0].get(0).toNumber() !== i) throw new Error('wrong answer')
      } finally {
        await s.close()
      }
      done++
    }
    return done
  }
  const done = await Promise.all(Array.from({ length: a.conc }, worker))
  return done.reduce((x, y) => x + y, 0)
}

async function txWrite (a, driver) {
  const s = driver.session({ database: a.db })
  try {
    for (let i = 0; i < a.ops; i++) {
      await s.executeWrite(tx => tx.run(Q_CREATE, { i: neo4j.int(i) }))
    }
  } finally {
    await s.close()
  }
  return a.ops
}

async function connect (a) {
  for (let i = 0; i < a.ops; i++) {
    const d = neo4j.driver(a.uri, neo4j.auth.basic(a.user, a.password))
    await d.verifyConnectivity({ database: a.db })
    await d.close()
  }
  return a.ops
}

async function main () {
  const a = parseArgs()
  const driver = neo4j.driver(a.uri, neo4j.auth.basic(a.user, a.password))
  const rows = warm => warm ? Math.max(1, Math.floor(a.rows / 10)) : a.rows
  const once = {
    stream_ints: warm => stream(a, driver, Q_INTS(rows(warm))),
    stream_maps: warm => stream(a, driver, Q_MAPS(rows(warm))),
    small_seq: () => smallSeq(a, driver),
    small_par: () => smallPar(a, driver),
    tx_write: () => txWrite(a, driver),
    connect: () => connect(a)
  }[a.workload]
  if (!once) throw new Error('unknown workload ' + a.workload)
  let total = 0
  for (let i = 0; i < a.warmup + a.runs; i++) {
    const c0 = process.cpuUsage()
    const w0 = process.hrtime.bigint()
    const ops = await once(i < a.warmup)
    const wall = Number(process.hrtime.bigint() - w0) / 1e9
    const c = process.cpuUsage(c0)
    total += ops
    if (i >= a.warmup) {
      console.log(JSON.stringify({ wall_s: wall, cpu_s: (c.user + c.system) / 1e6, ops }))
    }
  }
  await driver.close()
  const version = require('neo4j-driver/package.json').version
  console.log(JSON.stringify({ done: true, total_ops: total, version }))
}

main().catch(e => { console.error(e); process.exit(1) })
