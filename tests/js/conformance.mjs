// Runs Modal's official JavaScript SDK (npm package `modal`) against modal-emulator.
// Started by scripts/with-emulator.sh, which sets MODAL_SERVER_URL and the credentials;
// the emulator is started with `--secret js-conformance:GREETING=hello`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ModalClient, NotFoundError } from "modal";

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

test.after(() => modal.close());
