// @ts-check
/// <reference lib="dom" />
// Browser code: `window` is the real window here, not a Deno global.
// deno-lint-ignore-file no-window no-window-prefix
// The popup consent page's opener check. Before the user can continue to the
// provider, this page must show it was opened by the Securix SDK running on one
// of the app's registered origins: it posts a server-issued nonce to
// `window.opener` (targetOrigin = each registered origin, never "*") and waits
// for an answer from that same window, from one of those origins, carrying a
// proof computed from the session's sxc. The proof goes into the consent form;
// the server checks it and binds the session to this browser. A link opened
// any other way (no opener, another origin, no answer) goes to the warning page.
(() => {
  const box = document.getElementById("securix-binding");
  if (!box) return;
  const { sessionId, nonce, warningUrl } = box.dataset;
  /** @type {string[]} */
  let origins = [];
  try {
    origins = JSON.parse(box.dataset.origins ?? "[]");
  } catch {
    // Treated as no registered origin below.
  }
  const form = /** @type {HTMLFormElement | null} */ (
    document.querySelector("form[data-consent-form]")
  );
  const continueButton = /** @type {HTMLButtonElement | null} */ (
    document.querySelector("[data-consent-continue]")
  );
  const warn = () => {
    if (warningUrl) window.location.replace(warningUrl);
  };
  const opener = window.opener;
  if (!sessionId || !nonce || !form || !continueButton || origins.length === 0 || !opener) {
    return warn();
  }
  const timeoutMs = Number(box.dataset.timeoutMs) || 5000;
  let answered = false;

  /** @param {MessageEvent} event */
  const onMessage = (event) => {
    if (answered || event.source !== opener || !origins.includes(event.origin)) return;
    const data = event.data;
    if (!data || data.type !== "securix:consent-proof") return;
    if (data.sessionId !== sessionId || data.nonce !== nonce) return;
    if (typeof data.proof !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(data.proof)) return;
    answered = true;
    clearInterval(resend);
    clearTimeout(giveUp);
    window.removeEventListener("message", onMessage);
    setField(form, "proof", data.proof);
    setField(form, "origin", event.origin);
    continueButton.disabled = false;
    box.dataset.state = "verified";
    const status = box.querySelector("[data-binding-status]");
    if (status) status.textContent = "Opened by the app";
  };
  window.addEventListener("message", onMessage);

  const challenge = () => {
    for (const origin of origins) {
      try {
        opener.postMessage({ type: "securix:consent-challenge", sessionId, nonce }, origin);
      } catch {
        // The opener is gone or not reachable: the timeout shows the warning.
      }
    }
  };
  challenge();
  // The opener may still be starting; asking again is harmless.
  const resend = setInterval(challenge, 400);
  const giveUp = setTimeout(() => {
    clearInterval(resend);
    if (!answered) warn();
  }, timeoutMs);

  /** @param {HTMLFormElement} target @param {string} name @param {string} value */
  function setField(target, name, value) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    target.append(input);
  }
})();
