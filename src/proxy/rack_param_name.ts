/**
 * Whether a form parameter name is `field` (or `field[…]`) to Rack: Rack 2,
 * which GitLab runs, drops brackets before the key and after it, so
 * `[_method]` and `_method]` are `_method` too.
 */
export function rackParamNamed(name: string, field: string): boolean {
  return name.trim() === field || /^[[\]]*([^[\]]*)/.exec(name)![1] === field;
}
