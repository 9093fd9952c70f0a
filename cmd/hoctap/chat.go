package main

import (
	"bufio"
	"context"
	"fmt"
	"html"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"hoctap/flows"
)

// localFiles serves the playground's photos from disk: a photo's file id is
// its path.
type localFiles struct{}

func (localFiles) Fetch(_ context.Context, p flows.Photo) (io.ReadCloser, error) {
	return os.Open(p.FileID)
}

func runChat(e *env, args []string) error {
	fs, _ := flags(e, "hoctap chat", "[--user ID] [--lang vi|en]")
	user := fs.Int64("user", 1, "the playground person's id; another id is another person")
	lang := fs.String("lang", "", "the language the playground reports for the person")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	c, err := loadConfig(e.getenv)
	if err != nil {
		return err
	}
	ctx, stop := serveContext()
	defer stop()
	p, err := openParts(ctx, c, e.log)
	if err != nil {
		return err
	}
	defer p.close()
	pg := &playground{e: e, engine: p.engine("terminal", localFiles{}, c), user: *user, lang: *lang}
	return pg.run(ctx)
}

// playground is the conversation in a terminal: buttons are numbered, a
// number presses one, /photo PATH sends a picture.
type playground struct {
	e       *env
	engine  *flows.Engine
	user    int64
	lang    string
	buttons []flows.Button // of the last screen, in order
	seq     int
}

func (pg *playground) run(ctx context.Context) error {
	fmt.Fprintln(pg.e.stdout, "hoctap playground — type /start; a number presses a button; /photo PATH sends a picture; Ctrl-D leaves.")
	lines := bufio.NewScanner(pg.e.stdin)
	lines.Buffer(make([]byte, 64<<10), 64<<10)
	fmt.Fprint(pg.e.stdout, "> ")
	for lines.Scan() {
		if ctx.Err() != nil {
			return nil
		}
		in, ok := pg.input(strings.TrimSpace(lines.Text()))
		if ok {
			out, err := pg.engine.Handle(ctx, in)
			if err != nil {
				pg.e.log.Error("the conversation failed", "error", err)
				out = []flows.Output{flows.Sorry(pg.lang)}
			}
			pg.show(out)
		}
		fmt.Fprint(pg.e.stdout, "> ")
	}
	fmt.Fprintln(pg.e.stdout)
	return lines.Err()
}

// input turns a typed line into an input; false for an empty line or a
// number that presses no button.
func (pg *playground) input(line string) (flows.Input, bool) {
	pg.seq++
	in := flows.Input{Chat: pg.user, User: pg.user, Lang: pg.lang, At: time.Now(),
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
		if n, err := strconv.Atoi(line); err == nil && n >= 1 && n <= len(pg.buttons) {
			in.Kind, in.Button = flows.InputButton, pg.buttons[n-1].Token
		} else {
			in.Kind, in.Text = flows.InputText, line
		}
	}
	return in, true
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

// show prints outputs as plain text with numbered buttons.
func (pg *playground) show(out []flows.Output) {
	for _, o := range out {
		if o.Notice != "" {
			fmt.Fprintf(pg.e.stdout, "  (%s)\n", o.Notice)
		}
		if o.Text == "" {
			continue
		}
		fmt.Fprintln(pg.e.stdout, html.UnescapeString(tag.ReplaceAllString(o.Text, "")))
		if len(o.Buttons) > 0 {
			pg.buttons = pg.buttons[:0]
			for _, row := range o.Buttons {
				var cells []string
				for _, b := range row {
					pg.buttons = append(pg.buttons, b)
					cells = append(cells, fmt.Sprintf("[%d] %s", len(pg.buttons), b.Label))
				}
				fmt.Fprintln(pg.e.stdout, "  "+strings.Join(cells, "   "))
			}
		}
	}
}
