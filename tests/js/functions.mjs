// Runs Modal's official JavaScript SDK (npm package `modal`) against modal-emulator's
// Functions, FunctionCalls and Cls: the fixtures of the app "libmodal-test-support" that
// upstream's own SDK tests call (emulator/src/control/functions.h). Started by
// scripts/with-emulator.sh, which sets MODAL_SERVER_URL and the credentials.
import assert from "node:assert/strict";
import { test } from "node:test";
import { sdk } from "./sdk.mjs";

const { FunctionTimeoutError, InvalidError, ModalClient, NotFoundError } = sdk;

const modal = new ModalClient();
const APP = "libmodal-test-support";

test("functions.fromName and remote with args and kwargs", async () => {
  const echo = await modal.functions.fromName(APP, "echo_string");
  assert.equal(await echo.remote([], { s: "hello" }), "output: hello");
  assert.equal(await echo.remote(["hello"]), "output: hello");
  await assert.rejects(modal.functions.fromName(APP, "not_a_real_function"), NotFoundError);
});

test("identity_with_repr returns the value and its Python repr", async () => {
  const identity = await modal.functions.fromName(APP, "identity_with_repr");
  assert.deepEqual(await identity.remote([new Map([["a", "b"]])]), [{ a: "b" }, "{'a': 'b'}"]);
  const [value, repr] = await identity.remote([[1, 2.5, "x", null, true]]);
  assert.deepEqual(value, [1, 2.5, "x", null, true]);
  assert.equal(repr, "[1, 2.5, 'x', None, True]");
  const [bytes] = await identity.remote([new Uint8Array([0, 255])]);
  assert.deepEqual(Array.from(bytes), [0, 255]);
});

test("inputs and outputs beyond 2 MiB travel through blobs", async () => {
  const bytelength = await modal.functions.fromName(APP, "bytelength");
  const input = new Uint8Array(3 * 1000 * 1000);
  input[12345] = 7;
  assert.equal(await bytelength.remote([input]), input.length);
  const identity = await modal.functions.fromName(APP, "identity_with_repr");
  const big = "y".repeat(3 * 1024 * 1024);
  const [back] = await identity.remote([big]);
  assert.equal(back.length, big.length);
});

test("input plane", async () => {
  const f = await modal.functions.fromName(APP, "input_plane");
  assert.equal(await f.remote(["hello"]), "output: hello");
});

test("spawn, get twice, fromId, timeouts", async () => {
  const echo = await modal.functions.fromName(APP, "echo_string");
  const call = await echo.spawn([], { s: "hello" });
  assert.match(call.functionCallId, /^fc-/);
  assert.equal(await call.get(), "output: hello");
  assert.equal(await call.get(), "output: hello");
  const again = await modal.functionCalls.fromId(call.functionCallId);
  assert.equal(await again.get(), "output: hello");

  const sleep = await modal.functions.fromName(APP, "sleep");
  const slow = await sleep.spawn([], { t: 5 });
  await assert.rejects(slow.get({ timeoutMs: 1000 }), FunctionTimeoutError);
  await slow.cancel();

  const short = await sleep.spawn([0.5]);
  await assert.rejects(short.get({ timeoutMs: 0 }), FunctionTimeoutError);
  assert.equal(await short.get(), null);
  assert.equal(await short.get({ timeoutMs: 0 }), null);
});

test("getCurrentStats and updateAutoscaler", async () => {
  const echo = await modal.functions.fromName(APP, "echo_string");
  const stats = await echo.getCurrentStats();
  assert.equal(stats.backlog, 0);
  assert.equal(typeof stats.numTotalRunners, "number");
  await echo.updateAutoscaler({ minContainers: 1, maxContainers: 10 });
});

test("a web endpoint has a URL and refuses remote", async () => {
  const web = await modal.functions.fromName(APP, "web_endpoint_echo");
  const url = await web.getWebUrl();
  assert.match(url, /^https?:\/\//);
  await assert.rejects(web.remote([]), InvalidError);
});

test("cls: instance, methods, parameters, options", async () => {
  const cls = await modal.cls.fromName(APP, "EchoCls");
  const instance = await cls.instance();
  assert.throws(() => instance.method("nonexistent"), NotFoundError);
  assert.equal(await instance.method("echo_string").remote([], { s: "hello" }), "output: hello");

  const parametrized = await modal.cls.fromName(APP, "EchoClsParametrized");
  const withName = await parametrized.instance({ name: "hello-init" });
  assert.equal(await withName.method("echo_parameter").remote(), "output: hello-init");

  const secret = await modal.secrets.fromObject({ SECRET_MESSAGE: "hello, Secret" });
  const optioned = await parametrized.withOptions({ secrets: [secret] }).instance({ name: "x" });
  assert.equal(
    await optioned.method("echo_env_var").remote(["SECRET_MESSAGE"]),
    "output: SECRET_MESSAGE='hello, Secret'",
  );

  await assert.rejects(modal.cls.fromName(APP, "NotRealClassName"), NotFoundError);
});
