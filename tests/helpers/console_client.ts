/** A cookie-keeping HTTP client for the console, as a browser without JavaScript uses it. */
import { generateHOTP } from "@oslojs/otp";
import { totpCounter } from "../../src/admins/totp.ts";

export class ConsoleClient {
  readonly cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) {
      headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    const res = await fetch(new URL(path, this.base), { ...init, headers, redirect: "manual" });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const at = pair.indexOf("=");
      const name = pair.slice(0, at), value = pair.slice(at + 1);
      if (value === "" || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** GETs a page and returns its body and first CSRF token. */
  async page(path: string): Promise<{ res: Response; html: string; csrf: string }> {
    const res = await this.request(path);
    const html = await res.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
    return { res, html, csrf };
  }

  async post(path: string, form: Record<string, string>, headers: HeadersInit = {}) {
    return await this.request(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** Password, then (first time) enrolment with a code for `now`; returns the last response. */
  async signIn(
    name: string,
    password: string,
    key: Uint8Array,
    step = 0,
    code = totpAt(key, Date.now(), step),
  ): Promise<Response> {
    const { csrf } = await this.page("/console/sign-in");
    const res = await this.post("/console/sign-in", { _csrf: csrf, name, password, code });
    if (res.headers.get("location") !== "/console/enrol") return res;
    await res.body?.cancel();
    const enrol = await this.page("/console/enrol");
    return await this.post("/console/enrol", { _csrf: enrol.csrf, code });
  }
}

/** The TOTP code of the step `offset` steps after `now`'s (a code is good once per step). */
export function totpAt(key: Uint8Array, now: number, offset = 0): string {
  return generateHOTP(key, BigInt(totpCounter(now) + offset), 6);
}
