import { Layout } from "./layout.tsx";

export interface PortalHideProps {
  connectionId: string;
  providerName: string;
  /** "labels" or "folders". */
  noun: string;
  items: { value: string; name: string; hidden: boolean }[];
  /** Why the list could not be read (the account is paused, a scope is off…). */
  problem: string | null;
  csrfToken: string;
}

/** Tick the labels or folders agents must not see; the list comes from the account itself. */
export function PortalHidePage(props: PortalHideProps) {
  const base = `/portal/connections/${props.connectionId}`;
  return (
    <Layout title={`Hide ${props.noun}`}>
      <a class="portal-back" href={base}>← {props.providerName}</a>
      <h1 class="portal-head">Hide {props.noun}</h1>
      <p class="lead">
        Agents will not see anything in the {props.noun} you tick, from their next request on.
      </p>
      {props.problem ? <p class="notice notice-warning" role="alert">{props.problem}</p> : null}
      {props.items.length === 0 && !props.problem
        ? <p class="notice">This account has no {props.noun} to hide.</p>
        : null}
      {props.items.length > 0
        ? (
          <form method="post" action={`${base}/hide`}>
            <input type="hidden" name="csrf" value={props.csrfToken} />
            <fieldset class="portal-item">
              <legend class="help">{props.noun}</legend>
              {props.items.map((item, i) => (
                <div class="portal-check">
                  <input type="hidden" name="shown" value={item.value} />
                  <input
                    type="checkbox"
                    id={`hide-${i}`}
                    name="hide"
                    value={item.value}
                    checked={item.hidden}
                  />
                  <label for={`hide-${i}`}>{item.name}</label>
                </div>
              ))}
            </fieldset>
            <div class="portal-actions">
              <button type="submit" class="btn btn-primary">Save</button>
            </div>
          </form>
        )
        : null}
    </Layout>
  );
}
