// V2 Sandboxes through the API only npm modal 0.11 has (experimentalCreate,
// experimentalFromName, includeTerminated, experimentalList): run in the 0.11 runs only
// (tests/js/CMakeLists.txt), with V2 on or off, since these calls pick V2 explicitly.
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

test.after(() => modal.close());
