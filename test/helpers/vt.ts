/**
 * A tiny terminal: enough of VT100 to replay what the board writes (text, newlines, cursor moves, line
 * erases, clear screen; colours and modes ignored) and read back the screen an operator would see.
 */
export class VirtualTerminal {
  private lines: string[][];
  private row = 0;
  private col = 0;
  /** Lines scrolled off the top: a frame that lands low scrolls the screen. */
  scrolled = 0;

  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {
    this.lines = Array.from({ length: rows }, () => []);
  }

  write(data: string): void {
    for (let i = 0; i < data.length; i++) {
      const char = data[i]!;
      if (char === '\u001b') {
        const match = /^\u001b\[([?0-9;]*)([A-Za-z])/.exec(data.slice(i));
        if (!match) continue;
        this.control(match[1]!, match[2]!);
        i += match[0].length - 1;
      } else if (char === '\n') this.newline();
      else if (char === '\r') this.col = 0;
      else {
        if (this.col >= this.columns) {
          this.newline();
        }
        this.lines[this.row]![this.col++] = char;
      }
    }
  }

  screen(): string[] {
    return this.lines.map((line) =>
      Array.from({ length: line.length }, (_, i) => line[i] ?? ' ')
        .join('')
        .trimEnd(),
    );
  }

  private newline(): void {
    this.col = 0;
    if (this.row === this.rows - 1) {
      this.lines.shift();
      this.lines.push([]);
      this.scrolled++;
    } else this.row++;
  }

  private control(params: string, command: string): void {
    if (params.startsWith('?')) return; // modes: cursor visibility, alternate screen, synchronized output
    const n = params === '' ? 1 : Number(params.split(';')[0]);
    switch (command) {
      case 'A':
        this.row = Math.max(0, this.row - Math.max(1, n));
        break;
      case 'B':
        this.row = Math.min(this.rows - 1, this.row + Math.max(1, n));
        break;
      case 'C':
        this.col = Math.min(this.columns - 1, this.col + Math.max(1, n));
        break;
      case 'D':
        this.col = Math.max(0, this.col - Math.max(1, n));
        break;
      case 'F':
        this.row = Math.max(0, this.row - Math.max(1, n));
        this.col = 0;
        break;
      case 'E':
        this.row = Math.min(this.rows - 1, this.row + Math.max(1, n));
        this.col = 0;
        break;
      case 'G':
        this.col = Math.max(0, n - 1);
        break;
      case 'H': {
        const [r = '1', c = '1'] = params.split(';');
        this.row = Math.max(0, Number(r || 1) - 1);
        this.col = Math.max(0, Number(c || 1) - 1);
        break;
      }
      case 'K':
        if (params === '2') this.lines[this.row] = [];
        else this.lines[this.row]!.length = Math.min(this.lines[this.row]!.length, this.col);
        break;
      case 'J':
        if (params === '2') this.lines = Array.from({ length: this.rows }, () => []);
        break;
      default:
        break; // colours and the rest
    }
  }
}
