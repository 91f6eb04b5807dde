// What only npm modal 0.11 has: V2 Sandboxes through experimentalCreate,
// experimentalFromName, includeTerminated and experimentalList, and sidecars. Run in the
// 0.11 runs only (tests/js/CMakeLists.txt), with V2 on and off.
import assert from "node:assert/strict";
import { test } from "node:test";

import { sdk } from "./sdk.mjs";

const { ModalClient, NotFoundError } = sdk;
const modal = new ModalClient();
const v2Id = /^sb-[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

test("experimentalCreate: exec at once, entrypoint stdio through the router", async () => {
  const app = await modal.apps.fromName("js-conformance-v2", { createIfMissing: true });
  const image = modal.images.fromRegistry("alpine:3.21");
  const sb = await modal.sandboxes.experimentalCreate(app, image, {
    command: ["cat"],
    env: { GREETING: "hi" },
  });
  assert.match(sb.sandboxId, v2Id);
  const p = await sb.exec(["sh", "-c", "echo $GREETING"]);
  assert.equal(await p.stdout.readText(), "hi\n");
  await sb.stdin.writeText("via the router");
  await sb.stdin.close();
  assert.equal(await sb.wait(), 0);
  assert.equal(await sb.stdout.readText(), "via the router");
});

test("experimentalFromName and includeTerminated; experimentalList", async () => {
  const app = await modal.apps.fromName("js-conformance-v2", { createIfMissing: true });
  const image = modal.images.fromRegistry("alpine:3.21");
  const done = await modal.sandboxes.experimentalCreate(app, image, {
    command: ["true"],
    name: "js-v2-done",
  });
  assert.equal(await done.wait(), 0);
  await assert.rejects(
    modal.sandboxes.experimentalFromName("js-conformance-v2", "js-v2-done"),
    NotFoundError,
  );
  const last = await modal.sandboxes.fromName("js-conformance-v2", "js-v2-done", {
    includeTerminated: true,
  });
  assert.equal(last.sandboxId, done.sandboxId);
  assert.equal(await last.poll(), 0);

  const running = await modal.sandboxes.experimentalCreate(app, image, {
    command: ["sleep", "60"],
    name: "js-v2-running",
    tags: { kind: "v2" },
  });
  const byName = await modal.sandboxes.experimentalFromName("js-conformance-v2", "js-v2-running");
  assert.equal(byName.sandboxId, running.sandboxId);
  assert.deepEqual(await byName.getTags(), { kind: "v2" });
  const listed = [];
  for await (const s of modal.sandboxes.experimentalList({ appId: app.appId })) {
    listed.push(s.sandboxId);
  }
  assert.deepEqual(listed, [running.sandboxId]);
  await running.terminate();
  assert.equal(await running.wait(), 137);
});

test("experimentalSidecars: create (control plane for V2, router for V1), exec, list, terminate", async () => {
  // sandboxes.create makes a V2 Sandbox unless MODAL_SANDBOX_V2=0: 0.11 then creates the
  // sidecar with SandboxContainerCreateV2, else with the router's TaskContainerCreate.
  const app = await modal.apps.fromName("js-conformance-v2", { createIfMissing: true });
  const image = await modal.images.fromRegistry("alpine:3.21").build(app);
  const sb = await modal.sandboxes.create(app, image, { command: ["sleep", "60"] });
  const side = await sb.experimentalSidecars.create("side", image, {
    command: ["sleep", "60"],
    env: { SIDE: "car" },
  });
  const p = await side.exec(["sh", "-c", "echo $SIDE"]);
  assert.equal(await p.stdout.readText(), "car\n");
  assert.equal(await p.wait(), 0);
  const names = (await sb.experimentalSidecars.list()).map((c) => c.containerName);
  assert.deepEqual(names, ["side"]);
  assert.equal(await side.poll(), null);
  await side.terminate();
  assert.equal(await side.wait(), 137);
  await sb.terminate();
});

test.after(() => modal.close());
