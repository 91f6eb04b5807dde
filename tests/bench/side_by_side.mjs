// The JS half of tests/bench/side_by_side.py: runs one workload through Modal's official
// JavaScript SDK (the pinned npm package `modal` of tests/js) against the emulator named by
// MODAL_SERVER_URL / MODAL_TOKEN_ID / MODAL_TOKEN_SECRET, and prints one JSON line with
// the same fields as tests/bench/side_by_side_cpp.cc.
//
// Usage: node side_by_side.mjs WORKLOAD BYTES ITERATIONS
//   throughput  one exec of `head -c BYTES /dev/zero`, stdout read to the end
//   concurrent  ITERATIONS (readers) such execs at once, each read to the end
//   roundtrip   ITERATIONS warm `exec(["true"])` → wait()
//   create_exec ITERATIONS of: create a Sandbox, exec `echo first`, read it, terminate
//   fs_write    filesystem.writeBytes of BYTES
//   fs_read     filesystem.readBytes of BYTES (written before the clock starts)
//   fs_small    ITERATIONS writeBytes + readBytes of 1 KiB
//   fn_roundtrip     ITERATIONS warm remote() of identity_with_repr (control plane)
//   fn_input_plane   ITERATIONS warm remote() of input_plane (the input plane)
//   fn_spawn_get     ITERATIONS echo_string spawn() calls, then a get() of each
//   fn_blob_in       one bytelength remote() of BYTES (through a blob), its length back
//   fn_blob_out      one echo_string remote() of BYTES of text, as much back (blobs both ways)
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "js", "package.json"));
// MODAL_JS_SDK: "modal" (0.10.1, the default) or "modal-0-11" (0.11.1), see tests/js.
const { ModalClient } = await import(require.resolve(process.env.MODAL_JS_SDK || "modal"));

const [workload, bytesArg, itersArg] = process.argv.slice(2);
const bytes = Number(bytesArg);
const iterations = Number(itersArg);

function usage() {
  const cpu = process.cpuUsage();
  return { cpu: (cpu.user + cpu.system) / 1e6, minflt: process.resourceUsage().minorPageFault };
}

async function readAll(sb) {
  const p = await sb.exec(["head", "-c", String(bytes), "/dev/zero"], {
    mode: "binary",
    stderr: "ignore",
  });
  let n = 0;
  const reader = p.stdout.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
  }
  const code = await p.wait();
  if (code !== 0) throw new Error(`head exited with ${code}`);
  return n;
}

const modal = new ModalClient();
const app = await modal.apps.fromName("side-by-side-js", { createIfMissing: true });
const sb = await modal.sandboxes.create(app, modal.images.fromRegistry("alpine:3.21"));
try {
  // Warm: router session, JWT and connection exist before anything is timed.
  await (await sb.exec(["true"])).wait();
  const fs = sb.filesystem;
  const payload = workload.startsWith("fs_") ? new Uint8Array(workload === "fs_small" ? 1024 : bytes) : null;
  if (workload === "fs_read") await fs.writeBytes(payload, "/tmp/side-by-side");
  const queue = await modal.queues.ephemeral();
  const smallValue = (i) => ({ i, s: "payload" });
  const fn = workload.startsWith("fn_")
    ? await modal.functions.fromName(
        "libmodal-test-support",
        {
          fn_roundtrip: "identity_with_repr",
          fn_input_plane: "input_plane",
          fn_spawn_get: "echo_string",
          fn_blob_in: "bytelength",
          fn_blob_out: "echo_string",
        }[workload],
      )
    : null;
  const fnPayload =
    workload === "fn_blob_in" ? new Uint8Array(bytes) : workload === "fn_blob_out" ? "z".repeat(bytes) : null;
  if (fn && !workload.startsWith("fn_blob")) await fn.remote(["warm"]);
  const u0 = usage();
  const t0 = process.hrtime.bigint();
  let total = 0;
  let ops = 1;
  if (workload === "throughput") {
    total = await readAll(sb);
    if (total !== bytes) throw new Error(`short read: ${total} of ${bytes}`);
  } else if (workload === "concurrent") {
    const got = await Promise.all(Array.from({ length: iterations }, () => readAll(sb)));
    total = got.reduce((a, b) => a + b, 0);
    if (total !== bytes * iterations) throw new Error(`short read: ${total}`);
  } else if (workload === "create_exec") {
    ops = iterations;
    const image = modal.images.fromRegistry("alpine:3.21");
    for (let i = 0; i < iterations; ++i) {
      const fresh = await modal.sandboxes.create(app, image);
      const p = await fresh.exec(["echo", "first"]);
      if ((await p.stdout.readText()) !== "first\n") throw new Error("wrong output");
      await fresh.terminate();
    }
  } else if (workload === "roundtrip") {
    ops = iterations;
    for (let i = 0; i < iterations; ++i) {
      const code = await (await sb.exec(["true"])).wait();
      if (code !== 0) throw new Error(`true exited with ${code}`);
    }
  } else if (workload === "fs_write") {
    await fs.writeBytes(payload, "/tmp/side-by-side");
    total = bytes;
  } else if (workload === "fs_read") {
    total = (await fs.readBytes("/tmp/side-by-side")).length;
    if (total !== bytes) throw new Error(`short read: ${total} of ${bytes}`);
  } else if (workload === "fs_small") {
    ops = iterations;
    for (let i = 0; i < iterations; ++i) {
      await fs.writeBytes(payload, "/tmp/side-by-side-small");
      if ((await fs.readBytes("/tmp/side-by-side-small")).length !== 1024) throw new Error("short");
    }
  } else if (workload === "queue_roundtrip") {
    ops = iterations;
    for (let i = 0; i < iterations; ++i) {
      await queue.put(smallValue(i));
      if ((await queue.get()).i !== i) throw new Error("wrong value");
    }
  } else if (workload === "queue_put_many") {
    ops = iterations;
    await queue.putMany(Array.from({ length: iterations }, (_, i) => smallValue(i)));
  } else if (workload === "queue_8x8") {
    ops = iterations;
    let next = 0;
    let taken = 0;
    let sum = 0;
    const producer = async () => {
      for (let start; (start = next, next += 100, start) < iterations; ) {
        const batch = [];
        for (let i = start; i < Math.min(iterations, start + 100); ++i) batch.push(smallValue(i));
        await queue.putMany(batch);
      }
    };
    const consumer = async () => {
      while (taken < iterations) {
        let got = [];
        try {
          got = await queue.getMany(100, { timeoutMs: 200 });
        } catch (e) {
          if (e.name !== "QueueEmptyError") throw e;
        }
        for (const v of got) {
          sum += v.i;
          ++taken;
        }
      }
    };
    await Promise.all([
      ...Array.from({ length: 8 }, producer),
      ...Array.from({ length: 8 }, consumer),
    ]);
    if (taken !== iterations || sum !== (iterations * (iterations - 1)) / 2) {
      throw new Error("8x8: lost or duplicated values");
    }
  } else if (workload === "fn_roundtrip" || workload === "fn_input_plane") {
    ops = iterations;
    for (let i = 0; i < iterations; ++i) {
      const out = await fn.remote([`x${i}`]);
      const got = workload === "fn_roundtrip" ? out[0] : out;
      const want = workload === "fn_roundtrip" ? `x${i}` : `output: x${i}`;
      if (got !== want) throw new Error(`wrong output ${got}`);
    }
  } else if (workload === "fn_spawn_get") {
    ops = iterations;
    const calls = [];
    for (let i = 0; i < iterations; ++i) calls.push(await fn.spawn([`${i}`]));
    for (let i = 0; i < iterations; ++i) {
      if ((await calls[i].get()) !== `output: ${i}`) throw new Error("wrong output");
    }
  } else if (workload === "fn_blob_in") {
    if ((await fn.remote([fnPayload])) !== bytes) throw new Error("wrong length");
    total = bytes;
  } else if (workload === "fn_blob_out") {
    const out = await fn.remote([fnPayload]);
    if (out.length !== bytes + "output: ".length) throw new Error("wrong length");
    total = 2 * bytes;
  } else {
    throw new Error(`unknown workload ${workload}`);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const u1 = usage();
  console.log(
    JSON.stringify({
      sdk: "js",
      workload,
      bytes: total,
      ops,
      seconds,
      cpu_seconds: u1.cpu - u0.cpu,
      minflt: u1.minflt - u0.minflt,
    }),
  );
  queue.closeEphemeral();
} finally {
  await sb.terminate();
  modal.close?.();
}
process.exit(0);
