'use strict'
// What the two Node test packages (clients/miniprogram, clients/web-e2e) share: a free port,
// a wait for an address to answer, and `wxsession dev` started on free ports and stopped.
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const net = require('node:net')
const path = require('node:path')

const root = path.resolve(__dirname, '../..')
const bin = process.env.WXSESSION_BIN || path.join(root, 'target/debug/wxsession')

/** A free TCP port on loopback. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })
}

/** Polls `url` until it answers 2xx, for at most `deadlineMs`. */
async function waitFor(url, deadlineMs) {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    try {
      if ((await fetch(url)).ok) return
    } catch (e) {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not come up`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/**
 * Starts `wxsession dev` (built by `cargo build -p wxsession`) with `adminToken` on free ports;
 * resolves once it answers `/healthz`. `stop()` ends it.
 */
async function startDev(adminToken) {
  if (!fs.existsSync(bin)) throw new Error(`build the service first (cargo build -p wxsession): ${bin}`)
  const [api, sim] = [await freePort(), await freePort()]
  const child = spawn(bin, ['dev', '--bind', `127.0.0.1:${api}`, '--mock-bind', `127.0.0.1:${sim}`, '--admin-token', adminToken], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const baseUrl = `http://127.0.0.1:${api}`
  try {
    await waitFor(`${baseUrl}/healthz`, 30000)
  } catch (e) {
    child.kill('SIGTERM')
    throw e
  }
  return { baseUrl, simUrl: `http://127.0.0.1:${sim}`, stop: () => child.kill('SIGTERM') }
}

module.exports = { freePort, root, startDev, waitFor }
