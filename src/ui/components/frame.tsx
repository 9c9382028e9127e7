/** The whole frame: always rows - 1 lines, or a notice when the terminal is too small. */
import { Box } from 'ink';
import { useTasks, useUi } from '../context.js';
import { MIN_COLUMNS, MIN_ROWS, dialogHeight, frameLayout, headerLines, listRows } from '../layout.js';
import { DetailView } from './detail-view.js';
import { DialogBox } from './dialogs.js';
import { Footer } from './footer.js';
import { GuestsView } from './guests-view.js';
import { Header } from './header.js';
import { HelpView } from './help-view.js';
import { Line } from './styled.js';
import { keyLabel } from '../keymap.js';
import { TasksView } from './tasks-view.js';
import { ViewBar } from './view-bar.js';

export function Frame() {
  const size = useUi((s) => s.size);
  const frame = frameLayout(size, useTasks(headerLines));
  if (frame.tooSmall) {
    return (
      <Box flexDirection="column" height={Math.min(frame.height, 3)}>
        <Line>{`Terminal too small: ${size.columns}x${size.rows}.`}</Line>
        <Line>{`pvetasks needs at least ${MIN_COLUMNS}x${MIN_ROWS}.`}</Line>
        <Line>{`${keyLabel('quit')} quits.`}</Line>
      </Box>
    );
  }
  // Clipped vertically only: every line is cut to the width already (Line truncates), and a
  // horizontal clip makes Ink re-slice every line of every frame, a third of a frame's cost.
  return (
    <Box flexDirection="column" width={size.columns} height={frame.height} overflowY="hidden">
      <Header width={size.columns} lines={frame.headerLines} />
      <ViewBar width={size.columns} />
      <Body width={size.columns} height={frame.body} />
      <Footer width={size.columns} />
    </Box>
  );
}

function Body({ width, height }: { width: number; height: number }) {
  const view = useUi((s) => s.view);
  const help = useUi((s) => s.help !== undefined);
  const dialog = useUi((s) => s.dialog);
  if (help) return <HelpView width={width} height={height} />;
  // A dialog sits under the view, which keeps the lines above it.
  const above = Math.max(0, height - (dialog ? dialogHeight(dialog, height) : 0));
  return (
    <Box flexDirection="column" height={height} overflowY="hidden">
      {view === 'detail' ? (
        <DetailView width={width} height={above} />
      ) : view === 'tasks' ? (
        <TasksView width={width} height={listRows(height, dialog)} />
      ) : (
        <GuestsView width={width} height={listRows(height, dialog)} />
      )}
      {dialog ? <DialogBox dialog={dialog} width={width} body={height} /> : null}
    </Box>
  );
}
