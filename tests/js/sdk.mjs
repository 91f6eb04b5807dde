// Which official JavaScript SDK this run checks: MODAL_JS_SDK names the npm package
// ("modal" = the pinned 0.10.1, "modal-0-11" = the pinned 0.11.1; see package.json), and
// MODAL_SANDBOX_V2 is read by 0.11 itself (V2 Sandboxes unless "0" or "false").
export const packageName = process.env.MODAL_JS_SDK || "modal";
export const sdk = await import(packageName);
/**
 * Whether the SDK under test creates V2 Sandboxes: as both read MODAL_SANDBOX_V2 (when
 * set and not "0"/"false"), with 0.11's default on and 0.10's off.
 */
const flag = process.env.MODAL_SANDBOX_V2;
export const sandboxV2 = flag
  ? !["0", "false"].includes(flag.toLowerCase())
  : packageName !== "modal";
/** A Sandbox id of the kind this run creates. */
export const sandboxIdPattern = sandboxV2
  ? /^sb-[0-7][0-9A-HJKMNP-TV-Z]{25}$/
  : /^sb-[0-9A-Za-z]{22}$/;
