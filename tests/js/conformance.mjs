// Runs Modal's official JavaScript SDK (npm package `modal`) against modal-emulator.
// Started by scripts/with-emulator.sh, which sets MODAL_SERVER_URL and the credentials;
// the emulator is started with `--secret js-conformance:GREETING=hello`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { sandboxIdPattern, sdk } from "./sdk.mjs";

const { ModalClient, NotFoundError } = sdk;

const modal = new ModalClient();

test("apps.fromName creates and finds an App", async () => {
  const created = await modal.apps.fromName("js-conformance", { createIfMissing: true });
  assert.match(created.appId, /^ap-[0-9A-Za-z]{22}$/);
  const found = await modal.apps.fromName("js-conformance");
  assert.equal(found.appId, created.appId);
});

test("apps.fromName of a missing App is a NotFoundError", async () => {
  await assert.rejects(modal.apps.fromName("js-conformance-missing"), NotFoundError);
});

test("secrets.fromName finds a seeded Secret and honours requiredKeys", async () => {
  const secret = await modal.secrets.fromName("js-conformance", { requiredKeys: ["GREETING"] });
  assert.match(secret.secretId, /^st-[0-9A-Za-z]{22}$/);
  await assert.rejects(modal.secrets.fromName("js-conformance", { requiredKeys: ["NOPE"] }));
  await assert.rejects(modal.secrets.fromName("js-conformance-missing"), NotFoundError);
});

test("secrets.delete removes a Secret", async () => {
  await modal.secrets.delete("js-conformance");
  await assert.rejects(modal.secrets.fromName("js-conformance"), NotFoundError);
  await modal.secrets.delete("js-conformance", { allowMissing: true });
});

test("sandboxes: create, exec with stdio and exit code, tags, fromName, list, terminate", async () => {
  const app = await modal.apps.fromName("js-conformance-sb", { createIfMissing: true });
  const image = modal.images.fromRegistry("alpine:3.21");
  const sb = await modal.sandboxes.create(app, image, {
    command: ["sh", "-c", "echo from-entrypoint; sleep 60"],
    name: "js-named",
    timeoutMs: 120_000,
  });
  assert.match(sb.sandboxId, sandboxIdPattern);

  const p = await sb.exec(["sh", "-c", "echo hello; echo oops >&2; exit 3"]);
  assert.equal(await p.stdout.readText(), "hello\n");
  assert.equal(await p.stderr.readText(), "oops\n");
  assert.equal(await p.wait(), 3);

  const cat = await sb.exec(["cat"]);
  await cat.stdin.writeText("through stdin");
  await cat.stdin.close();
  assert.equal(await cat.stdout.readText(), "through stdin");
  assert.equal(await cat.wait(), 0);

  const secret = await modal.secrets.fromObject({ JS_SECRET: "s3cr3t" });
  const env = await sb.exec(["sh", "-c", "echo $JS_SECRET $PLAIN"], {
    secrets: [secret],
    env: { PLAIN: "plain" },
  });
  assert.equal(await env.stdout.readText(), "s3cr3t plain\n");

  await sb.setTags({ team: "js" });
  assert.deepEqual(await sb.getTags(), { team: "js" });
  const byName = await modal.sandboxes.fromName("js-conformance-sb", "js-named");
  assert.equal(byName.sandboxId, sb.sandboxId);
  const listed = [];
  for await (const s of modal.sandboxes.list({ appId: app.appId, tags: { team: "js" } })) {
    listed.push(s.sandboxId);
  }
  assert.deepEqual(listed, [sb.sandboxId]);

  assert.equal(await sb.poll(), null);
  await sb.terminate();
  assert.equal(await sb.wait(), 137);
});

test("sandboxes: create with env and Secrets reaches the entrypoint", async () => {
  // 0.11 sends them as secret_sources (a V2 create) or as ephemeral Secrets (V1).
  const app = await modal.apps.fromName("js-conformance-sb", { createIfMissing: true });
  const image = modal.images.fromRegistry("alpine:3.21");
  const secret = await modal.secrets.fromObject({ FROM_SECRET: "s3cr3t", BOTH: "secret" });
  const sb = await modal.sandboxes.create(app, image, {
    command: ["sh", "-c", "echo $FROM_SECRET $BOTH $PLAIN"],
    secrets: [secret],
    env: { PLAIN: "plain", BOTH: "env" },
  });
  assert.match(sb.sandboxId, sandboxIdPattern);
  assert.equal(await sb.wait(), 0);
  assert.equal(await sb.stdout.readText(), "s3cr3t env plain\n");
});

test("sandboxes: entrypoint exit code and output", async () => {
  const app = await modal.apps.fromName("js-conformance-sb", { createIfMissing: true });
  const image = modal.images.fromRegistry("alpine:3.21");
  const sb = await modal.sandboxes.create(app, image, {
    command: ["sh", "-c", "echo done; exit 7"],
  });
  assert.equal(await sb.wait(), 7);
  assert.equal(await sb.stdout.readText(), "done\n");
});

test("sandboxes: write a line, close stdin and wait, while the entrypoint exits", async () => {
  // The entrypoint exits as soon as it has read the line: the EOF races its exit and is
  // discarded, as on a pipe whose reader has gone.
  const app = await modal.apps.fromName("js-conformance-sb", { createIfMissing: true });
  const image = modal.images.fromRegistry("alpine:3.21");
  for (let i = 0; i < 10; ++i) {
    const sb = await modal.sandboxes.create(app, image, { command: ["head", "-n", "1"] });
    await sb.stdin.writeText(`line ${i}\n`);
    await sb.stdin.close();
    assert.equal(await sb.wait(), 0);
    assert.equal(await sb.stdout.readText(), `line ${i}\n`);
  }
});

test.after(() => modal.close());

test("sandbox filesystem: the official SDK's file API runs the emulator's tool", async () => {
  const app = await modal.apps.fromName("js-conformance-fs", { createIfMissing: true });
  const image = modal.images.fromRegistry("alpine:3.21");
  const sb = await modal.sandboxes.create(app, image, { timeoutMs: 120_000 });
  try {
    const fs = sb.filesystem;
    await fs.writeText("hello from js", "/srv/js/a/hello.txt");
    assert.equal(await fs.readText("/srv/js/a/hello.txt"), "hello from js");
    // Beyond the router's in-memory output bound (40 MiB): the JS SDK waits for the
    // tool's exit before it reads, so the emulator must keep the rest on disk.
    const big = new Uint8Array(48 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 13)) & 0xff;
    await fs.writeBytes(big, "/srv/js/big");
    const back = await fs.readBytes("/srv/js/big");
    assert.equal(back.length, big.length);
    assert.ok(Buffer.from(back).equals(Buffer.from(big)));

    const st = await fs.stat("/srv/js/a/hello.txt");
    assert.equal(st.type, "file");
    assert.equal(st.size, 13);
    assert.match(st.permissions, /^0[0-7]{3}$/);
    await fs.makeDirectory("/srv/js/a/sub");
    const names = (await fs.listFiles("/srv/js/a")).map((e) => e.name);
    assert.deepEqual(names, ["hello.txt", "sub"]);
    await assert.rejects(fs.readText("/srv/js/missing"), { name: "SandboxFilesystemNotFoundError" });
    await assert.rejects(fs.remove("/srv/js/a"), { name: "SandboxFilesystemDirectoryNotEmptyError" });
    await fs.remove("/srv/js/a", { recursive: true });
    await assert.rejects(fs.stat("/srv/js/a"), { name: "SandboxFilesystemNotFoundError" });
    // A zero timeout ends the watch at once.
    const events = [];
    for await (const ev of fs.watch("/srv/js", { timeoutMs: 0 })) events.push(ev);
    assert.deepEqual(events, []);
  } finally {
    await sb.terminate();
  }
});

test("images: dockerfileCommands layers are built and run; snapshots restore", async () => {
  const app = await modal.apps.fromName("js-conformance-images", { createIfMissing: true });
  const image = modal.images
    .fromRegistry("alpine:3.21")
    .dockerfileCommands(["RUN mkdir -p /opt/js && echo layered > /opt/js/marker", "ENV JS_LAYER=yes"]);
  const sb = await modal.sandboxes.create(app, image, { timeoutMs: 120_000 });
  let snapshot;
  try {
    const p = await sb.exec(["sh", "-c", "cat /opt/js/marker; echo $JS_LAYER; echo snap > /opt/js/later"]);
    assert.equal(await p.stdout.readText(), "layered\nyes\n");
    assert.equal(await p.wait(), 0);
    snapshot = await sb.snapshotFilesystem();
    assert.match(snapshot.imageId, /^im-/);
  } finally {
    await sb.terminate();
  }
  const restored = await modal.sandboxes.create(app, snapshot, { timeoutMs: 120_000 });
  try {
    const p = await restored.exec(["cat", "/opt/js/marker", "/opt/js/later"]);
    assert.equal(await p.stdout.readText(), "layered\nsnap\n");
  } finally {
    await restored.terminate();
  }
  const byId = await modal.images.fromId(snapshot.imageId);
  assert.equal(byId.imageId, snapshot.imageId);
  await assert.rejects(
    modal.images.fromRegistry("alpine:3.21").dockerfileCommands(["RUN exit 7"]).build(app),
    /non-zero code: 7/,
  );
});

test("sandboxes: snapshotDirectory, mountImage, unmountImage, reloadVolumes, updateNetworkPolicy", async () => {
  const app = await modal.apps.fromName("js-conformance-mounts", { createIfMissing: true });
  const image = modal.images.fromRegistry("alpine:3.21");
  const sb = await modal.sandboxes.create(app, image, { timeoutMs: 120_000 });
  let snap;
  try {
    const p = await sb.exec(["sh", "-c", "mkdir -p /srv/js-proj && echo from-js > /srv/js-proj/f"]);
    assert.equal(await p.wait(), 0);
    snap = await sb.snapshotDirectory("/srv/js-proj");
    assert.match(snap.imageId, /^im-/);
    await sb.reloadVolumes();
    await sb.updateNetworkPolicy({ outboundCidrAllowlist: ["0.0.0.0/0"], outboundDomainAllowlist: ["*"] });
  } finally {
    await sb.terminate();
  }
  const other = await modal.sandboxes.create(app, image, { timeoutMs: 120_000 });
  try {
    await other.mountImage("/mnt/js", snap);
    const p = await other.exec(["cat", "/mnt/js/f"]);
    assert.equal(await p.stdout.readText(), "from-js\n");
    await other.unmountImage("/mnt/js");
    const q = await other.exec(["sh", "-c", "ls -A /mnt/js | wc -l"]);
    assert.equal((await q.stdout.readText()).trim(), "0");
  } finally {
    await other.terminate();
  }
});

test("queues: put, get, batches, partitions, len, iterate, clear, ephemeral, delete", async () => {
  const q = await modal.queues.fromName("js-conformance-q", { createIfMissing: true });
  assert.match(q.queueId, /^qu-/);
  // Values the official SDK pickles come back equal: what the emulator stores is opaque.
  // (Ints within 32 bits: npm modal 0.10.1 pickles 2 ** 40 as 0.)
  const value = { a: 1, b: [1, 2.5, "x"], c: null, d: true, e: -70000 };
  await q.put(value);
  await q.putMany(["two", 3]);
  assert.equal(await q.len(), 3);
  assert.deepEqual(await q.get(), value);
  assert.deepEqual(await q.getMany(5), ["two", 3]);
  await assert.rejects(q.get({ timeoutMs: 0 }), { name: "QueueEmptyError" });

  await q.putMany(["p1", "p2"], { partition: "user-1", partitionTtlMs: 60_000 });
  await q.put("other", { partition: "user-2" });
  assert.equal(await q.len({ partition: "user-1" }), 2);
  assert.equal(await q.len({ total: true }), 3);
  const seen = [];
  for await (const v of q.iterate({ partition: "user-1" })) seen.push(v);
  assert.deepEqual(seen, ["p1", "p2"]);
  assert.equal(await q.len({ partition: "user-1" }), 2); // iterate() consumes nothing
  await q.clear({ partition: "user-1" });
  assert.equal(await q.len({ total: true }), 1);
  await q.clear({ all: true });
  assert.equal(await q.len({ total: true }), 0);

  const eph = await modal.queues.ephemeral();
  await eph.put(42);
  assert.equal(await eph.get(), 42);
  eph.closeEphemeral();

  await modal.queues.delete("js-conformance-q");
  await assert.rejects(modal.queues.fromName("js-conformance-q"), NotFoundError);
  await modal.queues.delete("js-conformance-q", { allowMissing: true });
});
