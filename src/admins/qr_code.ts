import QRCode from "qrcode";

/**
 * The enrolment QR code as plain text for a terminal: half blocks, two
 * module rows a line, no escape sequences (the CLI escapes every control
 * character it prints). Light modules are drawn, for the dark background of
 * most server terminals; the key is printed beside it for typing in.
 */
export function qrForTerminal(text: string): string {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: "M" });
  const quiet = 2;
  const size = modules.size + quiet * 2;
  const light = (row: number, col: number) => {
    const r = row - quiet, c = col - quiet;
    if (r < 0 || c < 0 || r >= modules.size || c >= modules.size) return true;
    return !modules.get(r, c);
  };
  const lines: string[] = [];
  for (let row = 0; row < size; row += 2) {
    let line = "";
    for (let col = 0; col < size; col++) {
      const top = light(row, col);
      const bottom = row + 1 < size ? light(row + 1, col) : false;
      line += top && bottom ? "█" : top ? "▀" : bottom ? "▄" : " ";
    }
    lines.push(line);
  }
  return lines.join("\n");
}

/** The enrolment QR code as SVG markup, drawn in the page (no script, no image request). */
export async function qrSvg(text: string): Promise<string> {
  return await QRCode.toString(text, { type: "svg", margin: 2, errorCorrectionLevel: "M" });
}
