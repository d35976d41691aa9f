import type { Child } from "hono/jsx";

/** One column of a console table. */
export interface Column<T> {
  label: string;
  /** A column of buttons: its header is read by screen readers but not shown. */
  hiddenLabel?: boolean;
  /** Dropped below the narrow breakpoint, so the table fits a 390 px phone. */
  hideNarrow?: boolean;
  /** Class of the cells (e.g. `num`), before `hide-narrow`. */
  cellClass?: string;
  cell: (row: T) => Child;
}

export interface DataTableProps<T> {
  columns: Column<T>[];
  rows: readonly T[];
  /** Shown (inside the scrolling wrapper) instead of the table when there are no rows; without it the table is always drawn. */
  empty?: string;
  /** `data-*` attributes of a row, for tests and scripts that find it. */
  rowAttributes?: (row: T) => Record<string, string>;
}

/**
 * Attributes that are left out when absent: hono/jsx writes a stray space
 * for an undefined one, and the pages' HTML stays byte for byte as it was.
 */
function present(attributes: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(attributes).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

function classOf(...names: (string | false | undefined)[]): Record<string, string> {
  return present({ class: names.filter(Boolean).join(" ") || undefined });
}

/** A table that scrolls sideways on its own rather than widening the page. */
export function DataTable<T>(props: DataTableProps<T>) {
  const columns = props.columns as Column<unknown>[];
  return (
    <div class="table-wrap">
      {props.empty !== undefined && props.rows.length === 0
        ? <p class="empty">{props.empty}</p>
        : (
          <table>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th scope="col" {...classOf(c.hideNarrow && "hide-narrow")}>
                    {c.hiddenLabel ? <span class="skip-link">{c.label}</span> : c.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {props.rows.map((row) => (
                <tr {...props.rowAttributes?.(row)}>
                  {columns.map((c) => (
                    <td {...classOf(c.cellClass, c.hideNarrow && "hide-narrow")}>{c.cell(row)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </div>
  );
}

/** The link to the next page of a list, when there is one; `href` keeps the filters. */
export function Pager(props: { href: string | null; label?: string }) {
  if (!props.href) return null;
  return (
    <nav class="pager" aria-label="Pages">
      <a class="button secondary" href={props.href}>{props.label ?? "Next page"}</a>
    </nav>
  );
}

/**
 * A GET form that narrows a list: its fields, then the submit button, on one
 * row. `search` gives it the search landmark (a filter of records; not a
 * form that only picks which app a page is about).
 */
export function FilterForm(
  props: {
    action: string;
    submit: string;
    search?: boolean;
    /** More fields, on a row of their own above the one with the button. */
    firstRow?: Child;
    children?: Child;
  },
) {
  return (
    <form
      method="get"
      action={props.action}
      {...present({ role: props.search === false ? undefined : "search" })}
    >
      {props.firstRow ? <div class="form-row">{props.firstRow}</div> : null}
      <div class="form-row">
        {props.children}
        <button type="submit" class="secondary">{props.submit}</button>
      </div>
    </form>
  );
}

function choice(o: string | { value: string; text: string }): { value: string; text: string } {
  return typeof o === "string" ? { value: o, text: o } : o;
}

/** A labelled select; `first` is an extra leading choice such as "All apps" (value ""). */
export function SelectField(
  props: {
    id: string;
    name: string;
    label: string;
    value: string;
    options: readonly (string | { value: string; text: string })[];
    first?: string;
  },
) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} name={props.name}>
        {props.first === undefined ? null : <option value="">{props.first}</option>}
        {props.options.map(choice).map((o) => (
          <option value={o.value} selected={o.value === props.value}>{o.text}</option>
        ))}
      </select>
    </div>
  );
}

/** A labelled text (or date) input holding the filter's current value. */
export function InputField(
  props: { id: string; name: string; label: string; value: string; type?: string },
) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {
        // Two spellings, not a spread: hono/jsx closes a void element with a spread as `/>`.
        props.type
          ? <input id={props.id} name={props.name} type={props.type} value={props.value} />
          : <input id={props.id} name={props.name} value={props.value} />
      }
    </div>
  );
}

/** The app, entity and provider filters the connection-shaped lists share. */
export function AppEntityProviderFields(
  props: {
    apps: readonly { id: string; name: string }[];
    providers: readonly string[];
    value: { app: string; entity: string; provider: string };
  },
) {
  return (
    <>
      <SelectField
        id="f-app"
        name="app"
        label="App"
        value={props.value.app}
        first="All apps"
        options={props.apps.map((a) => ({ value: a.id, text: a.name }))}
      />
      <InputField id="f-entity" name="entity" label="Entity" value={props.value.entity} />
      <SelectField
        id="f-provider"
        name="provider"
        label="Provider"
        value={props.value.provider}
        first="All providers"
        options={props.providers}
      />
    </>
  );
}

/** A filtered, paged list: the filter form's card, then the table's card with its pager. */
export function ListPage<T>(
  props: { filter: Child; table: DataTableProps<T>; next: string | null },
) {
  return (
    <>
      <section class="card">{props.filter}</section>
      <section class="card">
        <DataTable {...props.table} />
        <Pager href={props.next} />
      </section>
    </>
  );
}
