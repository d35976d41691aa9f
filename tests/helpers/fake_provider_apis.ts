/**
 * Fake provider APIs for end-to-end rule tests: Gmail, Drive, GitHub, Slack
 * and Microsoft Graph on one local server, answering with the providers' own
 * JSON shapes over seeded, mutable state. Their paths do not overlap
 * (`/gmail/v1`, `/drive/v3`, `/repos/…`, `/api/…`, `/v1.0/…`), so one URL is
 * every provider's `api_base_url`; `only` starts a subset when a test wants
 * providers on separate servers.
 *
 * Unmodified SDKs work against it: googleapis with `rootUrl: url + "/"`,
 * Octokit with `baseUrl: url`, plain fetch for Slack and Graph.
 */
import {
  dispatcher,
  FAKE_PROVIDER_NAMES,
  type FakeControl,
  type FakeProvider,
  type FakeProviderName,
  type Intercept,
  type SeenRequest,
  type TokenCheck,
} from "./fake_apis/dispatcher.ts";
import { createDriveState, driveFake, type DriveState } from "./fake_apis/drive.ts";
import { createGmailState, gmailFake, type GmailState } from "./fake_apis/gmail.ts";
import { createGithubState, githubFake, type GithubState } from "./fake_apis/github.ts";
import { createGraphState, graphFake, type GraphState } from "./fake_apis/graph.ts";
import { createSlackState, slackFake, type SlackState } from "./fake_apis/slack.ts";

export type {
  FakeCall,
  FakeProviderName,
  Intercept,
  SeenRequest,
  TokenCheck,
} from "./fake_apis/dispatcher.ts";

/** Each provider's in-memory account: read it to assert, change it to arrange. */
export interface FakeState {
  gmail: GmailState;
  drive: DriveState;
  github: GithubState;
  slack: SlackState;
  microsoft: GraphState;
}

export interface FakeApisOptions {
  /**
   * The token the fakes accept (a string for all, or a function asked per
   * provider); each refuses anything else in its own shape (Google 401,
   * GitHub 401 "Bad credentials", Slack 200 `ok:false`, Graph 401). Without
   * it, no token is checked.
   */
  token?: TokenCheck;
  /** Compress answers: true when the request accepts gzip, "always" regardless. Off by default. */
  gzip?: boolean | "always";
  /** Serve only these providers (others get a plain 404). Default: all. */
  only?: FakeProviderName[];
}

export interface FakeApis extends FakeControl {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  port: number;
  /** Every request seen, in arrival order, with the status it got. */
  seen: SeenRequest[];
  state: FakeState;
  /** Change while running: see FakeApisOptions.gzip. */
  gzip: boolean | "always";
  /** Answer calls yourself (after the token check), e.g. a non-JSON or `br` answer. */
  intercept?: Intercept;
  /** `{ gmail: url, drive: url, … }` for the providers served: each `[providers.<name>] api_base_url`. */
  apiBaseUrls(): Partial<Record<FakeProviderName, string>>;
  /** The requests one provider saw. */
  seenBy(provider: FakeProviderName): SeenRequest[];
  close(): Promise<void>;
}

export function createFakeState(): FakeState {
  return {
    gmail: createGmailState(),
    drive: createDriveState(),
    github: createGithubState(),
    slack: createSlackState(),
    microsoft: createGraphState(),
  };
}

function providersFor(state: FakeState, only: readonly FakeProviderName[]): FakeProvider[] {
  const all: Record<FakeProviderName, () => FakeProvider> = {
    gmail: () => gmailFake(state.gmail),
    drive: () => driveFake(state.drive),
    github: () => githubFake(state.github),
    slack: () => slackFake(state.slack),
    microsoft: () => graphFake(state.microsoft),
  };
  return only.map((name) => all[name]());
}

export function startFakeApis(options: FakeApisOptions = {}): Promise<FakeApis> {
  const state = createFakeState();
  const served = options.only ?? [...FAKE_PROVIDER_NAMES];
  const control: FakeControl = { seen: [], gzip: options.gzip ?? false };
  const handler = dispatcher(providersFor(state, served), control, options.token);
  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen({ port }) {
        const url = `http://127.0.0.1:${port}`;
        const fake: FakeApis = Object.assign(control, {
          url,
          port,
          state,
          apiBaseUrls: () => Object.fromEntries(served.map((name) => [name, url])),
          seenBy: (provider: FakeProviderName) =>
            control.seen.filter((s) => s.provider === provider),
          close: () => server.shutdown(),
        });
        resolve(fake);
      },
    }, handler);
  });
}
