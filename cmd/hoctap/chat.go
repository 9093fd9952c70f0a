package main

import (
	"bufio"
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"hoctap/flows"
	"hoctap/runner"
)

// localFiles serves the playground's photos from disk: a photo's file id is
// its path.
type localFiles struct{}

func (localFiles) Fetch(_ context.Context, p flows.Photo) (io.ReadCloser, error) {
	return os.Open(p.FileID)
}

func runChat(e *env, args []string) error {
	fs := bareFlags(e, "hoctap chat", "[--user ID] [--lang vi|en]")
	user := fs.Int64("user", 1, "the playground person's id; another id is another person")
	lang := fs.String("lang", "", "the language the playground reports for the person")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	// The chat shares the terminal with the log: only what needs a look
	// (a warning, an error) is logged there.
	e.log = newLoggerAt(e.stderr, e.getenv("LOG_FORMAT"), slog.LevelWarn)
	c, err := loadConfig(e.lookup)
	if err != nil {
		return err
	}
	ctx, stop := serveContext()
	defer stop()
	p, err := openParts(ctx, c, e.log, true)
	if err != nil {
		return err
	}
	defer p.close()
	pg := &playground{e: e, user: *user, lang: *lang}
	pg.run = p.runner(p.engine(localFiles{}, c), pg, 0, c, e.log)
	defer pg.run.Stop(context.Background())
	return pg.loop(ctx)
}

// playground is the conversation in a terminal, on the same runner as
// Telegram's: buttons are numbered, a number presses one, /photo PATH
// sends a picture.
type playground struct {
	e       *env
	run     *runner.Runner
	user    int64
	lang    string
	mu      sync.Mutex
	buttons []flows.Button // of the last screen, in order
	// takesText is true when the last screen asks for a typed answer.
	takesText bool
	seq       int
}

func (pg *playground) loop(ctx context.Context) error {
	fmt.Fprintln(pg.e.stdout, "hoctap playground — type /start; a number presses a button (#N where a number is asked); /photo PATH sends a picture; Ctrl-D leaves.")
	lines := bufio.NewScanner(pg.e.stdin)
	lines.Buffer(make([]byte, 64<<10), 64<<10)
	fmt.Fprint(pg.e.stdout, "> ")
	for lines.Scan() {
		if ctx.Err() != nil {
			return nil
		}
		if in, ok := pg.input(strings.TrimSpace(lines.Text())); ok {
			// A failure was told to the person already ("try again").
			pg.run.Run(ctx, runner.Input{Input: in, Taken: time.Now()})
		}
		fmt.Fprint(pg.e.stdout, "> ")
	}
	fmt.Fprintln(pg.e.stdout)
	return lines.Err()
}

// input turns a typed line into an input; false for an empty line or a
// number that presses no button.
func (pg *playground) input(line string) (flows.Input, bool) {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	pg.seq++
	in := flows.Input{Conv: flows.Conv{Channel: "terminal", ID: pg.user}, User: pg.user, Lang: pg.lang, At: time.Now(),
		Key: fmt.Sprintf("term:%d:%d:%d", pg.user, time.Now().UnixNano(), pg.seq)}
	switch {
	case line == "":
		return in, false
	case strings.HasPrefix(line, "/photo"):
		path := strings.TrimSpace(strings.TrimPrefix(line, "/photo"))
		info, err := os.Stat(path)
		if err != nil || path == "" {
			fmt.Fprintln(pg.e.stdout, "  (no such file; use /photo PATH)")
			return in, false
		}
		in.Kind, in.Photo = flows.InputPhoto, &flows.Photo{FileID: path, UniqueID: path, Size: info.Size(), AsFile: true, MIME: mimeOf(path)}
	case strings.HasPrefix(line, "/"):
		in.Kind = flows.InputCommand
		word, rest, _ := strings.Cut(line[1:], " ")
		in.Command, in.Text = strings.ToLower(word), rest
	default:
		in.Kind, in.Text = flows.InputText, line
		if b, ok := pg.press(line); ok {
			in.Kind, in.Text, in.Button = flows.InputButton, "", b.Token
		}
	}
	return in, true
}

// press returns the button a line presses: "#2" always presses the second,
// and "2" does where the screen asks for no typed answer (a number typed
// where one is asked is the answer).
func (pg *playground) press(line string) (flows.Button, bool) {
	digits, hashed := strings.CutPrefix(line, "#")
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 || n > len(pg.buttons) || (!hashed && pg.takesText) {
		return flows.Button{}, false
	}
	return pg.buttons[n-1], true
}

func mimeOf(path string) string {
	switch strings.ToLower(path[strings.LastIndex(path, ".")+1:]) {
	case "jpg", "jpeg":
		return "image/jpeg"
	case "png":
		return "image/png"
	}
	return "application/octet-stream"
}

var tag = regexp.MustCompile(`</?[a-z]+>`)

// Send shows a message as plain text with numbered buttons; it is the
// playground's runner.Sender.
func (pg *playground) Send(_ context.Context, m runner.Message) error {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	o := m.Out
	if o.Notice != "" {
		fmt.Fprintf(pg.e.stdout, "  (%s)\n", o.Notice)
	}
	if o.Text == "" {
		return nil
	}
	if len(o.Photos) > 0 {
		fmt.Fprintf(pg.e.stdout, "  [%d photo(s): %s]\n", len(o.Photos), strings.Join(o.Photos, ", "))
	}
	if o.Picture != nil {
		fmt.Fprintf(pg.e.stdout, "  [picture %s, %d bytes]\n", o.Picture.Name, len(o.Picture.Data))
	}
	if o.Document != nil {
		fmt.Fprintf(pg.e.stdout, "  [document %s, %d bytes]\n", o.Document.Name, len(o.Document.Data))
	}
	fmt.Fprintln(pg.e.stdout, html.UnescapeString(tag.ReplaceAllString(o.Text, "")))
	if len(o.Buttons) > 0 {
		pg.buttons, pg.takesText = pg.buttons[:0], o.TakesText
		for _, row := range o.Buttons {
			var cells []string
			for _, b := range row {
				pg.buttons = append(pg.buttons, b)
				cells = append(cells, fmt.Sprintf("[%d] %s", len(pg.buttons), b.Label))
			}
			fmt.Fprintln(pg.e.stdout, "  "+strings.Join(cells, "   "))
		}
	}
	return nil
}
