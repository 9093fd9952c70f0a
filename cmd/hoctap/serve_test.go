package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/jackc/pgx/v5/pgxpool"

	"hoctap/bot/telegramtest"
	"hoctap/session/sessiontest"
	"hoctap/store/storetest"
)

// testToken is the bot token the command tests give serve; it must never
// show in what hoctap prints.
const testToken = "424242:SERVE-token-never-in-logs"

// installation is what a test gives hoctap to run on: a database schema, a
// Redis key prefix and an evidence folder of its own, and the environment
// naming them.
type installation struct {
	t       *testing.T
	schema  string
	pool    *pgxpool.Pool // on the schema, for the test's own queries
	evidDir string
	environ map[string]string
}

func newInstallation(t *testing.T) *installation {
	t.Helper()
	schema, cfg := storetest.Schema(t)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close) // before the schema is dropped
	prefix := sessiontest.Prefix(t, sessiontest.Client(t))
	in := &installation{t: t, schema: schema, pool: pool, evidDir: filepath.Join(t.TempDir(), "evidence")}
	in.environ = map[string]string{
		"DATABASE_URL": dbURL(t, schema),
		"REDIS_URL":    sessiontest.URL(),
		"REDIS_PREFIX": prefix,
		"EVIDENCE_DIR": in.evidDir,
		"LOG_FORMAT":   "json",
	}
	return in
}

// dbURL is the test database's URL with its search_path set to schema:
// pgx passes unknown query parameters on as run-time parameters.
func dbURL(t *testing.T, schema string) string {
	t.Helper()
	u := storetest.URL()
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + "search_path=" + schema
}

// with returns the installation's environment with more variables.
func (in *installation) with(kv ...string) map[string]string { return with(in.environ, kv...) }

// count runs a count query in the installation's schema.
func (in *installation) count(query string, args ...any) int {
	in.t.Helper()
	var n int
	if err := in.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		in.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// answers returns the stored answers by indicator code, as JSON.
func (in *installation) answers() map[string]string {
	in.t.Helper()
	rows, err := in.pool.Query(context.Background(), `SELECT code, value::text FROM answers`)
	if err != nil {
		in.t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]string{}
	for rows.Next() {
		var code, value string
		if err := rows.Scan(&code, &value); err != nil {
			in.t.Fatal(err)
		}
		got[code] = value
	}
	if err := rows.Err(); err != nil {
		in.t.Fatal(err)
	}
	return got
}

// replica is one "hoctap serve" running in a goroutine; stopping it is what
// SIGTERM does.
type replica struct {
	stop   context.CancelFunc
	exited context.Context // done once run returned
	res    result          // once exited
}

// startServe runs "hoctap serve" with environ until the replica is stopped
// (or the test ends).
func startServe(t *testing.T, environ map[string]string) *replica {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	old := serveContext
	serveContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	exited, markExited := context.WithCancel(context.Background())
	r := &replica{stop: cancel, exited: exited}
	go func() {
		defer markExited()
		r.res = hoctap(t, environ, "", "serve")
	}()
	t.Cleanup(func() {
		cancel()
		<-exited.Done()
		serveContext = old
	})
	return r
}

// shutdown stops the replica as SIGTERM would and returns how it ended.
func (r *replica) shutdown(t *testing.T) result {
	t.Helper()
	r.stop()
	select {
	case <-r.exited.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return within 30s of being stopped")
	}
	return r.res
}

// state says how the replica is doing, for a failure's message: its exit
// code and stderr once it returned.
func (r *replica) state() string {
	if r.exited.Err() == nil {
		return "serve is running"
	}
	return fmt.Sprintf("serve exited %d, stderr:\n%s", r.res.code, r.res.stderr)
}

// person is a simulated Telegram user talking to a replica.
type person struct {
	t   *testing.T
	api *telegramtest.Server
	u   telegramtest.User
	r   *replica // the replica serving now
}

// wait waits until the newest message of the chat shows text and returns
// it; it gives up at once when the replica exits.
func (p *person) wait(text string) telegramtest.Message {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stop := context.AfterFunc(p.r.exited, cancel)
	defer stop()
	var m telegramtest.Message
	err := p.api.Wait(ctx, func(s *telegramtest.Server) bool {
		msgs := s.Messages(p.u.ID)
		if len(msgs) == 0 {
			return false
		}
		m = msgs[len(msgs)-1]
		return strings.Contains(m.Text, text)
	})
	if err != nil {
		var all []string
		for _, m := range p.api.Messages(p.u.ID) {
			all = append(all, fmt.Sprintf("#%d %s", m.ID, m.Text))
		}
		p.t.Fatalf("no message shows %q (%s); the chat has:\n%s", text, p.r.state(), strings.Join(all, "\n---\n"))
	}
	return m
}

// press presses the button labelled label on the newest message that has it.
func (p *person) press(label string) {
	p.t.Helper()
	msgs := p.api.Messages(p.u.ID)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Keyboard {
			for _, b := range row {
				if b.Text == label {
					p.api.Press(p.u, msgs[i].ID, b.CallbackData)
					return
				}
			}
		}
	}
	p.t.Fatalf("no button %q in the chat", label)
}

func (p *person) step(label, then string) {
	p.t.Helper()
	p.press(label)
	p.wait(then)
}

// jpegPicture is a small JPEG, different for each n.
func jpegPicture(t *testing.T, n int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for x := 0; x < 32; x++ {
		for y := 0; y < 32; y++ {
			img.Set(x, y, color.RGBA{uint8(n * 40), uint8(x * 8), uint8(y * 8), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// storedFiles lists the files under dir.
func storedFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// jsonLogs checks that stderr is JSON log lines and returns their messages.
func jsonLogs(t *testing.T, what, stderr string) []string {
	t.Helper()
	var msgs []string
	for _, line := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		if line == "" {
			continue
		}
		var l struct{ Msg string }
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Errorf("%s: stderr line is not JSON: %q", what, line)
			continue
		}
		msgs = append(msgs, l.Msg)
	}
	return msgs
}

// freeAddr returns a local address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

const (
	familyName = `<Trần & Lê>, "nhà số 5"` // HTML and CSV both need care with it
	typedText  = "nhà tôi có ba cháu đi học, cháu Khôi lớn nhất"
	caption    = "học bạ của cháu Bình"
)

// The bot as it runs: polling, on a fresh schema; stopped mid-questionnaire
// as SIGTERM stops it, started again as a new replica where the person
// goes on and submits; then the submission exported.
func TestServePollingEndToEnd(t *testing.T) {
	api := telegramtest.New(testToken)
	t.Cleanup(api.Close)
	in := newInstallation(t)
	environ := in.with("TELEGRAM_BOT_TOKEN", testToken, "TELEGRAM_API_URL", api.URL())
	p := &person{t: t, api: api, u: telegramtest.User{ID: 5001, FirstName: "Lê Thị Hoa", LanguageCode: "vi"}}

	p.r = startServe(t, environ)
	api.SendCommand(p.u, "/start")
	p.wait("Bạn có đồng ý")
	p.step("✅ Đồng ý", "Bạn muốn tự đánh giá danh hiệu nào?")
	p.step("Gia đình học tập", "Nhập tên hộ gia đình")
	api.SendText(p.u, familyName)
	p.wait(familyName + " ở tỉnh, thành phố nào?")
	p.step("Thành phố Hà Nội", "ở xã, phường nào?")
	// 126 communes: found by typing, accents left out. A new installation
	// has no villages yet: the household enrols at its commune.
	api.SendText(p.u, "soc son")
	p.wait("khớp với “soc son”")
	p.step("Xã Sóc Sơn", "Câu 1/12")
	p.step("Không", "Câu 2/12")    // 1.1
	p.step("Có", "1.2 Minh chứng") // 1.2 asks for a photo
	api.SendPhoto(p.u, jpegPicture(t, 1), caption)
	p.wait("Đã nhận 1 ảnh")
	p.step("✅ Xong", "Câu 3/12")
	api.SendText(p.u, typedText)
	p.wait("Vui lòng chọn một nút bên dưới.")
	p.step("Có", "Câu 4/12") // 1.3
	// 2.1 is pressed and the replica told to stop at once: the press is
	// either finished before it exits or left for the next replica.
	p.press("Có")
	first := p.r.shutdown(t)
	if first.code != 0 {
		t.Fatalf("serve exit %d after SIGTERM, stderr:\n%s", first.code, first.stderr)
	}

	// It migrated the empty schema and loaded the shipped tree into it,
	// without the playground's sample villages.
	if n := in.count(`SELECT count(*) FROM ` + in.schema + `.schema_migrations`); n == 0 {
		t.Error("no migration recorded in the test's schema")
	}
	areas := in.count(`SELECT count(*) FROM ` + in.schema + `.areas`)
	if villages := in.count(`SELECT count(*) FROM ` + in.schema + `.areas WHERE level = 'village'`); areas != 3356 || villages != 0 {
		t.Errorf("%d areas, %d of them villages, in the test's schema; want the shipped tree's 3356 and none", areas, villages)
	}
	// It registered the commands in Vietnamese (the default) and English,
	// and, polling, removed any webhook.
	names := func(cmds []models.BotCommand) []string {
		var out []string
		for _, c := range cmds {
			out = append(out, c.Command)
		}
		return out
	}
	wantNames := []string{"start", "status", "help", "language", "privacy", "cancel"}
	vi, en := api.Commands(nil, ""), api.Commands(nil, "en")
	if !slices.Equal(names(vi), wantNames) || vi[0].Description != "Bắt đầu hoặc tiếp tục tự đánh giá" {
		t.Errorf("default (vi) commands: %+v", vi)
	}
	if !slices.Equal(names(en), wantNames) || en[0].Description != "Start or continue a self-assessment" {
		t.Errorf("en commands: %+v", en)
	}
	if !slices.ContainsFunc(api.Calls(), func(c telegramtest.Call) bool { return c.Method == "deleteWebhook" && c.Status == 200 }) {
		t.Error("polling without deleting the webhook first")
	}
	// The answers given are stored; the press in flight at the stop is
	// stored exactly when its screen went out.
	got := in.answers()
	pressedShown := strings.Contains(lastText(api, p.u.ID), "Câu 5/12")
	want := map[string]string{"1.1": "false", "1.2": "true", "1.3": "true"}
	if pressedShown {
		want["2.1"] = "true"
	}
	if !equalMaps(got, want) {
		t.Errorf("answers after the stop %v, want %v (2.1's screen shown: %v)", got, want, pressedShown)
	}
	if n := in.count(`SELECT count(*) FROM evidence WHERE code = '1.2'`); n != 1 || len(storedFiles(t, in.evidDir)) != 1 {
		t.Errorf("%d evidence records and files %v, want the one photo", n, storedFiles(t, in.evidDir))
	}

	// A new replica: the person is where they were and finishes.
	p.r = startServe(t, environ)
	p.wait("Câu 5/12")
	p.step("Không", "Câu 6/12")                                // 2.2
	p.step("Chưa · 0 điểm", "Câu 7/12")                        // 2.3
	p.step("Không", "Câu 8/12")                                // 3.1
	p.step("Đài hoặc ti vi · 3 điểm", "Câu 9/12")              // 3.2
	p.step("Có", "Câu 10/12")                                  // 3.3
	p.step("Có", "Câu 11/12")                                  // 4.1
	p.step("Không", "Câu 12/12")                               // 4.2
	p.step("Đúng — không ai vi phạm", "Xem lại trước khi nộp") // 4.3
	p.step("📤 Nộp bản tự đánh giá", "Sau khi nộp")
	pressed := time.Now()
	p.press("✅ Nộp")
	if m := p.wait("Đã nộp"); !strings.HasPrefix(m.Text, "✅ Đã nộp") {
		t.Errorf("the last message does not start with ✅ Đã nộp: %q", m.Text)
	}
	second := p.r.shutdown(t)
	if second.code != 0 {
		t.Fatalf("second serve exit %d, stderr:\n%s", second.code, second.stderr)
	}
	if n := in.count(`SELECT count(*) FROM areas`); n != areas {
		t.Errorf("%d areas after the second start, %d after the first", n, areas)
	}

	// The score is the one "criteria score" gives for the same answers.
	score := hoctap(t, nil, `{"1.1":false,"1.2":true,"1.3":true,"2.1":true,"2.2":false,"2.3":"not_yet",
		"3.1":false,"3.2":"radio_tv","3.3":true,"4.1":true,"4.2":false,"4.3":true}`, "criteria", "score", "family-2015", "-")
	var want1 resultJSON
	if err := json.Unmarshal([]byte(score.stdout), &want1); err != nil {
		t.Fatalf("criteria score: %v: %s%s", err, score.stdout, score.stderr)
	}

	// Export, as JSON: one array of objects with exactly these keys.
	dbOnly := map[string]string{"DATABASE_URL": in.environ["DATABASE_URL"], "LOG_FORMAT": "json"}
	js := hoctap(t, dbOnly, "", "export", "assessments", "--format", "json")
	if js.code != 0 {
		t.Fatalf("export json: exit %d: %s", js.code, js.stderr)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(js.stdout), &rows); err != nil {
		t.Fatalf("export json is not an array of objects: %v\n%s", err, js.stdout)
	}
	if len(rows) != 1 {
		t.Fatalf("export json has %d objects, want 1:\n%s", len(rows), js.stdout)
	}
	row := rows[0]
	var keys []string
	for k := range row {
		keys = append(keys, k)
	}
	wantKeys := []string{"id", "subject_name", "kind", "area_code", "area_name", "year", "set_id", "set_version", "state",
		"assisted", "total", "passed", "submitted_at"}
	if !sameSet(keys, wantKeys) {
		t.Errorf("export json keys %v, want %v", keys, wantKeys)
	}
	wantValues := map[string]any{"subject_name": familyName, "kind": "family", "area_code": "00376",
		"area_name": "Xã Sóc Sơn", "year": float64(pressed.Year()), "set_id": "family-2015", "set_version": 2.0,
		"state": "submitted", "assisted": false, "total": want1.Total, "passed": want1.Passed}
	for k, v := range wantValues {
		if row[k] != v {
			t.Errorf("export json %s = %#v, want %#v", k, row[k], v)
		}
	}
	id, _ := row["id"].(float64)
	if id <= 0 {
		t.Errorf("export json id %#v", row["id"])
	}
	at, err := time.Parse(time.RFC3339, fmt.Sprint(row["submitted_at"]))
	if err != nil || at.Before(pressed.Add(-time.Second)) || at.After(time.Now()) {
		t.Errorf("export json submitted_at %v (%v), want the moment of the submission, %v", row["submitted_at"], err, pressed)
	}
	if !strings.HasSuffix(fmt.Sprint(row["submitted_at"]), "Z") {
		t.Errorf("export json submitted_at %v is not in UTC", row["submitted_at"])
	}

	// As CSV: a UTF-8 byte order mark (for Excel), the header and one row,
	// the name as given, quoted by CSV's rules.
	wantCSV := "\ufeffid,subject_name,kind,area_code,area_name,year,set_id,set_version,state,assisted,total,passed,submitted_at\n" +
		fmt.Sprintf("%d,\"<Trần & Lê>, \"\"nhà số 5\"\"\",family,00376,Xã Sóc Sơn,%d,family-2015,2,submitted,false,%v,%v,%s\n",
			int64(id), pressed.Year(), want1.Total, want1.Passed, at.UTC().Format(time.RFC3339))
	cs := hoctap(t, dbOnly, "", "export", "assessments", "--format", "csv")
	if cs.code != 0 || cs.stdout != wantCSV {
		t.Errorf("export csv: exit %d, stdout:\n%s\nwant:\n%s%s", cs.code, cs.stdout, wantCSV, cs.stderr)
	}
	records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(cs.stdout, "\ufeff"))).ReadAll()
	if err != nil || len(records) != 2 || records[1][1] != familyName {
		t.Errorf("export csv does not read back: %v %q", err, records)
	}
	dflt := hoctap(t, dbOnly, "", "export", "assessments")
	if dflt.stdout != cs.stdout {
		t.Errorf("export without --format is not CSV:\n%s", dflt.stdout)
	}

	// -o writes the file and nothing to stdout.
	dir := t.TempDir()
	for _, f := range []struct{ format, want string }{{"csv", wantCSV}, {"json", js.stdout}} {
		path := filepath.Join(dir, "out."+f.format)
		r := hoctap(t, dbOnly, "", "export", "assessments", "-o", path, "--format", f.format)
		written, err := os.ReadFile(path)
		if r.code != 0 || r.stdout != "" || err != nil || string(written) != f.want {
			t.Errorf("export -o %s: exit %d, stdout %q, %v, file:\n%s", f.format, r.code, r.stdout, err, written)
		}
	}

	// Nothing personal and no token in any log.
	logs := first.stderr + second.stderr + js.stderr + cs.stderr
	if msgs := jsonLogs(t, "serve", first.stderr+second.stderr); !slices.Contains(msgs, "serving by long polling") || !slices.Contains(msgs, "stopped") {
		t.Errorf("serve did not log its start and stop:\n%s", first.stderr+second.stderr)
	}
	for _, secret := range []string{testToken, "SERVE-token", "Trần", "nhà số 5", typedText, "Khôi", caption, "Bình", p.u.FirstName, "Hoa"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs contain %q:\n%s", secret, logs)
		}
	}
}

// lastText is the text of the newest message the bot sent a chat.
func lastText(api *telegramtest.Server, chat int64) string {
	msgs := api.Messages(chat)
	if len(msgs) == 0 {
		return ""
	}
	return msgs[len(msgs)-1].Text
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// The bot behind its own webhook: setWebhook with the URL and secret, the
// path served on LISTEN_ADDR, a wrong secret refused.
func TestServeWebhook(t *testing.T) {
	api := telegramtest.New(testToken)
	t.Cleanup(api.Close)
	in := newInstallation(t)
	addr := freeAddr(t)
	hook := "http://" + addr + "/tg/hook"
	const secret = "hook-Secret_42"
	r := startServe(t, in.with("TELEGRAM_BOT_TOKEN", testToken, "TELEGRAM_API_URL", api.URL(),
		"WEBHOOK_URL", hook, "WEBHOOK_SECRET", secret, "LISTEN_ADDR", addr))
	p := &person{t: t, api: api, r: r, u: telegramtest.User{ID: 5002, FirstName: "Hoa", LanguageCode: "vi"}}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stop := context.AfterFunc(r.exited, cancel)
	defer stop()
	var set telegramtest.Call
	err := api.Wait(ctx, func(s *telegramtest.Server) bool {
		for _, c := range s.Calls() {
			if c.Method == "setWebhook" {
				set = c
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("no setWebhook call: %v (%s)", err, r.state())
	}
	if set.Status != 200 || set.Params["url"] != hook || set.Params["secret_token"] != secret {
		t.Errorf("setWebhook %d with url %q, secret %q; want %q, %q", set.Status, set.Params["url"], set.Params["secret_token"], hook, secret)
	}

	// The path is served once serve listens, which it does right after
	// setWebhook: a wrong secret or none is refused.
	post := func(secretHeader string) (int, error) {
		req, _ := http.NewRequest(http.MethodPost, hook, strings.NewReader(`{"update_id":1}`))
		if secretHeader != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secretHeader)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	status, err := post("wrong")
	for err != nil && ctx.Err() == nil { // not listening yet: ask again
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
		status, err = post("wrong")
	}
	if err != nil {
		t.Fatalf("the webhook is not served at %s: %v (%s)", hook, err, r.state())
	}
	if status != http.StatusUnauthorized {
		t.Errorf("wrong secret: HTTP %d, want 401", status)
	}
	if status, err := post(""); err != nil || status != http.StatusUnauthorized {
		t.Errorf("no secret: HTTP %d (%v), want 401", status, err)
	}

	// Telegram's deliveries, with the secret, are taken.
	api.SendCommand(p.u, "/start")
	p.wait("Bạn có đồng ý")
	p.step("✅ Đồng ý", "Bạn muốn tự đánh giá danh hiệu nào?")
	// The fake records a delivery once the webhook answered it, which is
	// after the bot's answer to it went out.
	if err := api.Wait(ctx, func(s *telegramtest.Server) bool { return len(s.Deliveries()) >= 2 }); err != nil {
		t.Fatalf("deliveries %+v: %v", api.Deliveries(), err)
	}
	ds := api.Deliveries()
	if len(ds) != 2 {
		t.Errorf("%d deliveries, want 2: %+v", len(ds), ds)
	}
	for _, d := range ds {
		if d.Status != http.StatusOK {
			t.Errorf("delivery %+v, want HTTP 200", d)
		}
	}

	res := r.shutdown(t)
	if res.code != 0 {
		t.Fatalf("serve exit %d after SIGTERM, stderr:\n%s", res.code, res.stderr)
	}
	msgs := jsonLogs(t, "serve", res.stderr)
	if !slices.Contains(msgs, "serving the webhook") || !slices.Contains(msgs, "stopped") {
		t.Errorf("serve did not log its start and stop:\n%s", res.stderr)
	}
	for _, s := range []string{testToken, secret} {
		if strings.Contains(res.stderr, s) {
			t.Errorf("the logs contain %q:\n%s", s, res.stderr)
		}
	}
	if _, err := post(secret); err == nil {
		t.Error("the webhook is still served after serve returned")
	}
	if slices.ContainsFunc(api.Calls(), func(c telegramtest.Call) bool { return c.Method == "getUpdates" }) {
		t.Error("serve polled although a webhook is set")
	}
}

// Wrong configuration: exit 1 and every problem named, without secrets;
// bad usage: exit 2.
func TestServeConfigurationErrors(t *testing.T) {
	closedDB := "postgres://postgres:db-Pa55word@" + freeAddr(t) + "/test?sslmode=disable"
	in := newInstallation(t)
	otherAPI := telegramtest.New("999:another-bots-token")
	t.Cleanup(otherAPI.Close)
	// Every case that gets past the configuration must not reach a real
	// database: the default DATABASE_URL is the server's own postgres one.
	safe := map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "DATABASE_URL": closedDB}
	tests := []struct {
		name    string
		environ map[string]string
		args    []string
		code    int
		want    []string
	}{
		{"no token", map[string]string{"DATABASE_URL": closedDB}, []string{"serve"}, 1,
			[]string{"TELEGRAM_BOT_TOKEN is not set", "'hoctap chat'"}},
		{"webhook without secret", with(safe, "WEBHOOK_URL", "https://example.org/hook"), []string{"serve"}, 1,
			[]string{"WEBHOOK_SECRET must be set with WEBHOOK_URL"}},
		{"webhook secret with bad characters", with(safe, "WEBHOOK_URL", "https://example.org/hook", "WEBHOOK_SECRET", "a b"), []string{"serve"}, 1,
			[]string{"WEBHOOK_SECRET must be set with WEBHOOK_URL: 1 to 256 of A-Z, a-z, 0-9, _ and -"}},
		{"webhook URL not a URL", with(safe, "WEBHOOK_URL", "/hook", "WEBHOOK_SECRET", "s"), []string{"serve"}, 1,
			[]string{"WEBHOOK_URL is not a full http(s) URL"}},
		{"unknown default language", with(safe, "DEFAULT_LANGUAGE", "fr"), []string{"serve"}, 1,
			[]string{`DEFAULT_LANGUAGE is vi or en, not "fr"`}},
		{"garbage Redis URL", with(safe, "REDIS_URL", "garbage"), []string{"serve"}, 1,
			[]string{"REDIS_URL is not a redis://, redis+sentinel:// or redis+cluster:// URL"}},
		{"Sentinel URL without its primary", with(safe, "REDIS_URL", "redis+sentinel://127.0.0.1:26379/0"), []string{"serve"}, 1,
			[]string{"REDIS_URL is a Sentinel URL without master_name="}},
		{"Redis prefix with a hash tag", with(safe, "REDIS_PREFIX", "hoctap:{a}:"), []string{"serve"}, 1,
			[]string{"REDIS_PREFIX must not contain { or }"}},
		{"stop timeout not a duration", with(safe, "STOP_TIMEOUT", "10"), []string{"serve"}, 1,
			[]string{"STOP_TIMEOUT is a duration above zero, such as 10s"}},
		{"quiet hours not a window", with(safe, "QUIET_HOURS", "night"), []string{"serve"}, 1,
			[]string{`QUIET_HOURS: quiet hours are written HH:MM-HH:MM, not "night" (empty for none)`}},
		{"reminder days falling", with(safe, "REMINDER_DAYS", "3,1"), []string{"serve"}, 1,
			[]string{`REMINDER_DAYS: days from 1 to 90, rising, separated by commas (1,3,7), not "3,1"`}},
		{"job rescue too short", with(safe, "JOB_RESCUE_AFTER", "1s"), []string{"serve"}, 1,
			[]string{"JOB_RESCUE_AFTER is a duration of at least 2s"}},
		{"send rate of zero", with(safe, "SEND_RATE", "0"), []string{"serve"}, 1,
			[]string{"SEND_RATE is messages per second, above 0 and at most 1000"}},
		{"API URL not http", with(safe, "TELEGRAM_API_URL", "ftp://x"), []string{"serve"}, 1,
			[]string{"TELEGRAM_API_URL is not an http(s) URL"}},
		{"every problem at once", with(safe, "TELEGRAM_API_URL", "ftp://x", "DEFAULT_LANGUAGE", "fr", "REDIS_URL", "garbage"), []string{"serve"}, 1,
			[]string{"TELEGRAM_API_URL is not an http(s) URL", `DEFAULT_LANGUAGE is vi or en, not "fr"`, "REDIS_URL is not a redis://, redis+sentinel:// or redis+cluster:// URL"}},
		{"unreachable database", safe, []string{"serve"}, 1,
			[]string{"PostgreSQL is not reachable at DATABASE_URL", "connect"}},
		{"malformed database URL", with(safe, "DATABASE_URL", "postgres://postgres:db-Pa55word@127.0.0.1:notaport/test"), []string{"serve"}, 1,
			[]string{"DATABASE_URL"}},
		{"malformed database URL, export", with(safe, "DATABASE_URL", "postgres://postgres:db-Pa55word@127.0.0.1:notaport/test"), []string{"export", "assessments"}, 1,
			[]string{"DATABASE_URL"}},
		{"unreachable Redis", in.with("TELEGRAM_BOT_TOKEN", testToken, "REDIS_URL", "redis://"+freeAddr(t)+"/0"), []string{"serve"}, 1,
			[]string{"Redis is not reachable at REDIS_URL"}},
		{"unreachable Bot API", in.with("TELEGRAM_BOT_TOKEN", testToken, "TELEGRAM_API_URL", "http://"+freeAddr(t)), []string{"serve"}, 1,
			[]string{"ask the Bot API who the bot is (getMe)"}},
		{"token the Bot API refuses", in.with("TELEGRAM_BOT_TOKEN", testToken, "TELEGRAM_API_URL", otherAPI.URL()), []string{"serve"}, 1,
			[]string{"getMe", "Unauthorized"}},
		{"serve takes no arguments", safe, []string{"serve", "extra-arg"}, 2,
			[]string{"takes no arguments", "Run 'hoctap serve --help' for usage."}},
		{"serve unknown flag", safe, []string{"serve", "--port", "80"}, 2, []string{"unknown flag: --port"}},
		{"chat takes no arguments", with(safe, "TELEGRAM_BOT_TOKEN", ""), []string{"chat", "extra-arg"}, 2, []string{"takes no arguments"}},
		{"migrate takes no arguments", safe, []string{"migrate", "extra-arg"}, 2, []string{"takes no arguments"}},
		{"export format", safe, []string{"export", "assessments", "--format", "xml"}, 2,
			[]string{`--format is csv or json, not "xml"`}},
		{"export what", safe, []string{"export", "people"}, 2, []string{`unknown command "people"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := hoctap(t, tt.environ, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, r.stderr)
				}
			}
			for _, secret := range []string{testToken, "SERVE-token", "db-Pa55word", "another-bots-token"} {
				if strings.Contains(r.stderr+r.stdout, secret) {
					t.Errorf("the output shows the secret %q:\n%s%s", secret, r.stdout, r.stderr)
				}
			}
		})
	}
}

// with returns env with more variables, given as key, value, ...
func with(env map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(env)+len(kv)/2)
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// The terminal playground, as "hoctap chat" and as "hoctap" without a
// token: numbered buttons, a photo from disk, a clean end at EOF; --user
// is another person.
func TestChatPlayground(t *testing.T) {
	in := newInstallation(t)
	photo := filepath.Join(t.TempDir(), "hoc ba.jpg")
	if err := os.WriteFile(photo, jpegPicture(t, 7), 0o644); err != nil {
		t.Fatal(err)
	}
	lines := strings.Join([]string{
		"/start",
		"1",           // ✅ Đồng ý
		"1",           // Gia đình học tập
		"<Trần & Lê>", // the name
		"soc son",     // 34 provinces: the commune found by name
		"1",           // Xã Sóc Sơn · Thành phố Hà Nội
		"2",           // Thôn Đông
		"2",           // 1.1: Không
		"",            // an empty line does nothing
		"1",           // 1.2: Có, which asks for a photo
		"/photo " + filepath.Join(t.TempDir(), "missing.jpg"),
		"/photo " + photo,
		"1", // ✅ Xong
	}, "\n") + "\n"

	check := func(t *testing.T, r result) {
		t.Helper()
		if r.code != 0 {
			t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
		}
		for _, want := range []string{
			"hoctap playground — type /start",
			"\n  [1] ✅ Đồng ý   [2] Không đồng ý\n  [3] Tiếng Việt   [4] English\n",
			"\n  [1] Gia đình học tập\n  [2] Dòng họ học tập\n",
			"<Trần & Lê> ở tỉnh, thành phố nào?\nTrang 1/2\n",
			"“soc son”, chọn một:\n  [1] Xã Sóc Sơn · Thành phố Hà Nội\n  [2] ◀ Quay lại\n",
			"\n  [1] Thôn Đoài   [2] Thôn Đông\n  [3] ◀ Quay lại\n",
			"Gia đình học tập (dự thảo) · Câu 1/12",
			"Gia đình học tập (dự thảo) · Câu 2/12",
			"(no such file; use /photo PATH)",
			"Đã nhận 1 ảnh.\n  [1] ✅ Xong",
			"Gia đình học tập (dự thảo) · Câu 3/12",
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("stdout does not show %q:\n%s", want, r.stdout)
			}
		}
		if strings.Contains(r.stdout, "&lt;") || strings.Contains(r.stdout, "<b>") {
			t.Errorf("stdout shows HTML:\n%s", r.stdout)
		}
		if !strings.HasSuffix(r.stdout, "\n> \n") {
			t.Errorf("stdout does not end with the prompt and a new line at EOF: %q", r.stdout[max(0, len(r.stdout)-80):])
		}
		for _, secret := range []string{"Trần", "Lê"} {
			if strings.Contains(r.stderr, secret) {
				t.Errorf("the logs contain %q:\n%s", secret, r.stderr)
			}
		}
	}

	// The README's "go run ./cmd/hoctap": without a token, the playground,
	// for person 1.
	check(t, hoctap(t, in.environ, lines))
	// "hoctap chat --user 2" is someone else: asked for consent, not
	// taken to person 1's questionnaire.
	check(t, hoctap(t, in.environ, lines, "chat", "--user", "2"))
	// "hoctap chat" is person 1 again, who goes on where they were.
	again := hoctap(t, in.environ, "/start\n1\n", "chat")
	if again.code != 0 || !strings.Contains(again.stdout, "Bạn đang làm dở bản tự đánh giá Gia đình học tập (dự thảo) cho <Trần & Lê> (đã trả lời 2/12 câu).\n  [1] ▶ Tiếp tục") ||
		!strings.Contains(again.stdout, "Câu 3/12") {
		t.Errorf("person 1 again: exit %d, stdout:\n%s%s", again.code, again.stdout, again.stderr)
	}

	if n := in.count(`SELECT count(*) FROM people`); n != 2 {
		t.Errorf("%d people, want 2", n)
	}
	for _, q := range []string{
		`SELECT count(*) FROM assessments WHERE status = 'open'`,
		`SELECT count(*) FROM answers WHERE code = '1.1' AND value = 'false'`,
		`SELECT count(*) FROM answers WHERE code = '1.2' AND value = 'true'`,
		`SELECT count(*) FROM evidence WHERE code = '1.2'`,
	} {
		if n := in.count(q); n != 2 {
			t.Errorf("%s: %d, want one for each person", q, n)
		}
	}
	if n := in.count(`SELECT count(*) FROM answers`); n != 4 {
		t.Errorf("%d answers, want 4", n)
	}
	// The same photo is kept once.
	if files := storedFiles(t, in.evidDir); len(files) != 1 {
		t.Errorf("evidence files %v, want 1", files)
	}
}

// DEFAULT_LANGUAGE is the language of people whose Telegram language
// hoctap does not speak; a language it speaks is kept.
func TestServeDefaultLanguage(t *testing.T) {
	tests := []struct {
		name, defaultLang, personLang, want string
	}{
		{"en default, fr person", "en", "fr", "Do you agree that hoctap keeps the information above?"},
		{"en default, vi person", "en", "vi", "Bạn có đồng ý để hoctap lưu các thông tin trên không?"},
		{"no default, fr person", "", "fr", "Bạn có đồng ý để hoctap lưu các thông tin trên không?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := telegramtest.New(testToken)
			t.Cleanup(api.Close)
			in := newInstallation(t)
			r := startServe(t, in.with("TELEGRAM_BOT_TOKEN", testToken, "TELEGRAM_API_URL", api.URL(), "DEFAULT_LANGUAGE", tt.defaultLang))
			p := &person{t: t, api: api, r: r, u: telegramtest.User{ID: 5003, FirstName: "Marie", LanguageCode: tt.personLang}}
			api.SendCommand(p.u, "/start")
			p.wait(tt.want)
			if res := r.shutdown(t); res.code != 0 {
				t.Errorf("serve exit %d:\n%s", res.code, res.stderr)
			}
		})
	}
}

// TestExportNeverMigrates: on a database that is not set up, export says
// so and exits 1, and leaves the database as it was; --state filters and
// is checked.
func TestExportNeverMigrates(t *testing.T) {
	t.Parallel()
	in := newInstallation(t)
	dbOnly := map[string]string{"DATABASE_URL": in.environ["DATABASE_URL"], "LOG_FORMAT": "json"}
	r := hoctap(t, dbOnly, "", "export", "assessments")
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "run hoctap migrate") {
		t.Errorf("export on an empty database: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	if n := in.count(`SELECT count(*) FROM information_schema.tables WHERE table_schema = $1`, in.schema); n != 0 {
		t.Errorf("export created %d tables", n)
	}
	if r := hoctap(t, dbOnly, "", "migrate"); r.code != 0 {
		t.Fatalf("migrate: exit %d: %s", r.code, r.stderr)
	}
	if r := hoctap(t, dbOnly, "", "export", "assessments", "--state", "open", "--format", "json"); r.code != 0 || r.stdout != "[]\n" {
		t.Errorf("export --state open of nothing: exit %d, %q, %s", r.code, r.stdout, r.stderr)
	}
	if r := hoctap(t, dbOnly, "", "export", "assessments", "--state", "abandoned"); r.code != 2 {
		t.Errorf("export --state abandoned: exit %d, want 2 (bad usage): %s", r.code, r.stderr)
	}
}

// In the playground a number typed where a number is asked is the answer,
// "#N" presses button N anywhere, and the chat shows no log line; flags
// may stand before the command.
func TestChatPlaygroundNumbers(t *testing.T) {
	in := newInstallation(t)
	lines := strings.Join([]string{
		"/start",
		"1",         // ✅ Đồng ý
		"3",         // Cộng đồng học tập: the place first
		"thon dong", // found by name
		"1",         // Thôn Đông · Xã Sóc Sơn
		"2",         // 1.2 (1.1 is computed), a percentage: 2 %, not the second button
		"#1",        // 1.3: the first button, ℹ️ Hướng dẫn
		"95",        // 1.3
	}, "\n") + "\n"
	r := hoctap(t, in.environ, lines, "--user", "7", "chat")
	if r.code != 0 || !strings.Contains(r.stdout, "ℹ️ 1.3") {
		t.Errorf("exit %d, stdout:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := in.answers(); got["1.2"] != "2" || got["1.3"] != "95" {
		t.Errorf("answers %v, want 1.2 = 2 and 1.3 = 95", got)
	}
	if r.stderr != "" {
		t.Errorf("the chat logged:\n%s", r.stderr)
	}
}

// A new installation has the real tree of 1 July 2025 (migrate loads it),
// and importing it again changes nothing, twice; a commune's villages
// import under it; a file with problems changes nothing and names them.
func TestAreasImportRealTree(t *testing.T) {
	in := newInstallation(t)
	if r := hoctap(t, in.environ, "", "migrate"); r.code != 0 {
		t.Fatalf("migrate: exit %d %s", r.code, r.stderr)
	}
	for range 2 {
		again := hoctap(t, in.environ, "", "areas", "import", "../../area/vn-2025.csv")
		if again.code != 0 || again.stdout != "3356 areas: 0 new, 0 changed (0 moved), 3356 unchanged\n" {
			t.Errorf("the shipped tree again: exit %d, %q %s", again.code, again.stdout, again.stderr)
		}
	}
	villages := filepath.Join(t.TempDir(), "villages.csv")
	if err := os.WriteFile(villages, []byte("code,name,level,parent_code,valid_from,valid_to\n"+
		"00376.T1,Thôn Thượng,village,00376,2025-07-01,\n00376.T2,Thôn Hạ,village,00376,2025-07-01,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := hoctap(t, in.environ, "", "areas", "import", villages); r.code != 0 || r.stdout != "2 areas: 2 new, 0 changed (0 moved), 0 unchanged\n" {
		t.Errorf("villages: exit %d, %q %s", r.code, r.stdout, r.stderr)
	}
	if n := in.count(`SELECT count(*) FROM areas WHERE parent_code = '00376' AND name_en LIKE '% village'`); n != 2 {
		t.Errorf("%d villages of Xã Sóc Sơn named in English", n)
	}
	if n := in.count(`SELECT count(*) FROM areas WHERE level = 'commune' AND parent_code IN (SELECT code FROM areas WHERE level = 'province')`); n != 3321 {
		t.Errorf("%d communes under provinces", n)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("code,name,level,parent_code,valid_from,valid_to\nX1,,town,,2025-07-01,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := hoctap(t, in.environ, "", "areas", "import", bad)
	if r.code != 1 || !strings.Contains(r.stderr, "line 2, name: empty") || !strings.Contains(r.stderr, `line 2, level: "town"`) {
		t.Errorf("a bad file: exit %d, %s", r.code, r.stderr)
	}
}
