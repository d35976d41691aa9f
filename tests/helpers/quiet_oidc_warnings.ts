/**
 * oidc-provider warns about its development defaults (signing keys, memory
 * adapter, dev interactions, the Node version) every time a test starts one:
 * about 200 lines per suite run that say nothing about the appliance. Only
 * those lines are dropped; imported before oidc-provider so its import-time
 * warning is caught too.
 */
const warn = console.warn;
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === "string" && args[0].includes("oidc-provider WARNING")) return;
  warn(...args);
};
