/**
 * Copying to the clipboard of the operator's own machine, over SSH, through the terminal: OSC 52
 * (`ESC ] 52 ; c ; BASE64 BEL`), which xterm, tmux (set-clipboard), kitty, iTerm2 and Windows Terminal
 * honour. Off unless asked for (`--osc52`, PVETASKS_OSC52=1): a terminal that does not know it shows
 * nothing, but one may be set to refuse or to ask.
 */

/** The escape sequence that puts `text` on the clipboard (base64: nothing in it can end the sequence early). */
export function osc52(text: string): string {
  return `\u001b]52;c;${Buffer.from(text, 'utf8').toString('base64')}\u0007`;
}
