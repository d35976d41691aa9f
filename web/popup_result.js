// @ts-check
/// <reference lib="dom" />
// Browser code: `window` is the real window here, not a Deno global.
// deno-lint-ignore-file no-window no-window-prefix
// The popup's done page: tells the opening app how the sign-in ended, then closes.
// Loaded from 'self' (the page CSP allows no inline script); reads its inputs from
// the #securix-result element's data attributes and posts ONLY to the app's
// registered origin, never "*".
(() => {
  const result = document.getElementById("securix-result");
  const hint = document.querySelector("[data-close-hint]");
  const showHint = () => hint?.removeAttribute("hidden");
  if (!result) return showHint();
  const { sessionId, status, targetOrigin, reason } = result.dataset;
  const opener = window.opener;
  if (!opener || !sessionId || !targetOrigin || !isOrigin(targetOrigin)) return showHint();
  /** @type {{type: string, sessionId: string, status: string, reason?: string}} */
  const message = {
    type: "securix:auth-result",
    sessionId,
    status: status === "completed" ? "completed" : "failed",
  };
  if (reason) message.reason = reason;
  try {
    opener.postMessage(message, targetOrigin);
  } catch {
    return showHint();
  }
  // Long enough to read the result; a failure stays up a little longer.
  setTimeout(() => {
    window.close();
    // Still here: the browser refused to close the window.
    setTimeout(showHint, 300);
  }, message.status === "completed" ? 1200 : 3000);

  /** @param {string} value */
  function isOrigin(value) {
    try {
      return value !== "null" && new URL(value).origin === value;
    } catch {
      return false;
    }
  }
})();
