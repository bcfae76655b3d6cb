// node's cluster module, 2 workers (round-robin: the primary accepts and
// sends each connection to a worker with SCM_RIGHTS).  The protocol of
// forking_srv.py: "LEN\n" and LEN bytes, answered "PID SHA256\n" + the bytes.
// Usage: node cluster_srv.js ADDR PORT READYFILE
const cluster = require('cluster');
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const [addr, port, ready] = process.argv.slice(2);
cluster.schedulingPolicy = cluster.SCHED_RR;
if (cluster.isPrimary) {
  let up = 0;
  const pids = [];
  for (let i = 0; i < 2; i++) {
    const w = cluster.fork();
    w.on('listening', () => {
      pids.push(w.process.pid);
      if (++up === 2) fs.writeFileSync(ready, pids.join(' ') + '\n');
    });
  }
} else {
  net.createServer((s) => {
    let buf = Buffer.alloc(0), want = -1, head = 0;
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (want < 0) {
        const nl = buf.indexOf(10);
        if (nl < 0) return;
        want = parseInt(buf.slice(0, nl).toString(), 10);
        head = nl + 1;
      }
      if (buf.length - head < want) return;
      const data = buf.slice(head, head + want);
      const sha = crypto.createHash('sha256').update(data).digest('hex');
      s.end(Buffer.concat([Buffer.from(process.pid + ' ' + sha + '\n'), data]));
    });
  }).listen(+port, addr);
}
