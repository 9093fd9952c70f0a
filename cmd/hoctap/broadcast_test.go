package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hoctap/bot/telegramtest"
	"hoctap/deliver"
)

// TestBroadcastCommand: who a broadcast reaches is said and asked before
// it is queued, unless --yes; its id alone is printed; bad usage is exit 2
// with nothing on stdout; status, pause, resume and cancel print the
// broadcast's figures.
func TestBroadcastCommand(t *testing.T) {
	t.Parallel()
	in := newInstallation(t)
	env := in.environ
	if r := hoctap(t, env, "", "migrate"); r.code != 0 {
		t.Fatalf("migrate: exit %d %s", r.code, r.stderr)
	}
	if _, err := in.pool.Exec(context.Background(), `INSERT INTO people (channel, channel_user, lang, consent_at)
		SELECT 'telegram', 7000 + g, 'vi', now() FROM generate_series(1, 3) g`); err != nil {
		t.Fatal(err)
	}
	in.pool.Exec(context.Background(), `UPDATE people SET inactive = true WHERE channel_user = 7003`)
	for _, bad := range [][]string{
		{"--text", "x"}, {"--all"}, {"--all", "--role", "leader", "--area", "01", "--text", "x"},
		{"--role", "mayor", "--area", "01", "--text", "x"}, {"--role", "leader", "--text", "x"},
		{"--all", "--text", "x", "--text-vi", "y"}, {"--all", "--text-vi", "y"}, {"--all", "--text", "   "},
		{"--all", "--text", strings.Repeat("a", 3801)}, {"--all", "--text", strings.Repeat("😀", 1901)}, {"--all", "--text", "x", "--at", "tomorrow"},
		{"--all", "--text", "x", "--at", "2020-01-01 08:00"}, {"--all", "--text", "x", "extra"},
		{"status"}, {"status", "x"}, {"cancel", "1", "2"},
	} {
		if r := hoctap(t, env, "", append([]string{"broadcast"}, bad...)...); r.code != 2 || r.stdout != "" {
			t.Errorf("broadcast %q: exit %d, stdout %q, want 2 and nothing", bad, r.code, r.stdout)
		}
	}
	// Asked, and declined: nothing is queued.
	r := hoctap(t, env, "n\n", "broadcast", "--all", "--text", "Xin chào")
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "This broadcast reaches 2 people now. Send it? [y/N]") {
		t.Errorf("declined: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	if n := in.count(`SELECT count(*) FROM broadcasts`); n != 0 {
		t.Errorf("%d broadcasts queued after declining", n)
	}
	// Asked and agreed; flags after the arguments as before them.
	r = hoctap(t, env, "y\n", "broadcast", "--text-vi", "Mùa đánh giá đã mở", "--all", "--text-en", "The season is open")
	if r.code != 0 || r.stdout != "1\n" {
		t.Fatalf("agreed: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	// A text that names a subcommand is a text.
	if r := hoctap(t, env, "", "broadcast", "--role", "admin", "--area", "01", "--text", "cancel", "--yes"); r.code != 0 || r.stdout != "2\n" {
		t.Fatalf("--text cancel: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	// Scheduled, with --yes; to a role of an area, which nobody holds.
	r = hoctap(t, env, "", "broadcast", "--role", "reviewer", "--area", "01", "--text", "Họp", "--at", time.Now().Add(48*time.Hour).Format("2006-01-02 15:04"), "--yes")
	if r.code != 0 || r.stdout != "3\n" || strings.Contains(r.stderr, "Send it?") {
		t.Fatalf("scheduled: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	if r := hoctap(t, env, "", "broadcast", "--role", "reviewer", "--area", "99999", "--text", "x", "--yes"); r.code != 1 || r.stdout != "" {
		t.Errorf("an unknown area: exit %d %q %s", r.code, r.stdout, r.stderr)
	}
	status := hoctap(t, env, "", "broadcast", "status", "1")
	if status.code != 0 || !strings.HasPrefix(status.stdout, "id 1\nstate sending\nat ") ||
		!strings.HasSuffix(status.stdout, "\nrecipients 2\nsent 0\npending 2\nfailed 0\n") {
		t.Errorf("status: exit %d %q %s", status.code, status.stdout, status.stderr)
	}
	if r := hoctap(t, env, "", "broadcast", "status", "3"); r.code != 0 || !strings.Contains(r.stdout, "state done\n") || !strings.Contains(r.stdout, "recipients 0\n") {
		t.Errorf("the broadcast to nobody: %q %s", r.stdout, r.stderr)
	}
	for _, step := range []struct{ verb, state string }{{"pause", "paused"}, {"resume", "sending"}, {"cancel", "cancelled"}, {"resume", "cancelled"}} {
		if r := hoctap(t, env, "", "broadcast", step.verb, "1"); r.code != 0 || !strings.Contains(r.stdout, "state "+step.state+"\n") {
			t.Errorf("%s: exit %d %q %s", step.verb, r.code, r.stdout, r.stderr)
		}
	}
	if r := hoctap(t, env, "", "broadcast", "status", "9"); r.code != 1 || r.stdout != "" {
		t.Errorf("an unknown broadcast: exit %d %q", r.code, r.stdout)
	}
	if n := in.count(`SELECT count(*) FROM audit_log WHERE action LIKE 'broadcast%' AND detail::text LIKE '%Mùa%'`); n != 0 {
		t.Errorf("the audit log holds the text")
	}
}

// TestBroadcastSurvivesAKilledReplica: two replicas of serve, as
// processes, deliver a broadcast to 300 people; one is killed (SIGKILL)
// in the middle. The other finishes it once River takes the killed one's
// jobs for lost: everyone gets it, at most twice — only the messages in
// flight at the kill, at most the killed replica's bulk workers, and one
// per chat — and Telegram never answers 429.
func TestBroadcastSurvivesAKilledReplica(t *testing.T) {
	t.Parallel()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	in := newInstallation(t)
	if r := hoctap(t, in.environ, "", "migrate"); r.code != 0 {
		t.Fatalf("migrate: exit %d %s", r.code, r.stderr)
	}
	const people, rate = 300, 20
	api := telegramtest.New(testToken, telegramtest.WithGlobalRate(30))
	t.Cleanup(api.Close)
	users := make([]telegramtest.User, people)
	for i := range users {
		users[i] = telegramtest.User{ID: int64(800000 + i), FirstName: "Trần Văn Ba", LanguageCode: "vi"}
		api.SendCommand(users[i], "/help") // the chat exists once they wrote
	}
	if _, err := in.pool.Exec(context.Background(), `INSERT INTO people (channel, channel_user, lang, consent_at)
		SELECT 'telegram', 800000 + g, 'vi', now() FROM generate_series(0, $1 - 1) g`, people); err != nil {
		t.Fatal(err)
	}
	start := func() (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(bin, "serve")
		cmd.Env = append(os.Environ(), "HOCTAP_RUN_AS_MAIN=1", "TELEGRAM_BOT_TOKEN="+testToken, "TELEGRAM_API_URL="+api.URL(),
			"WEBHOOK_URL=http://127.0.0.1:9/hook", "WEBHOOK_SECRET=kill-test", "LISTEN_ADDR="+freeAddr(t),
			"SEND_RATE="+strconv.Itoa(rate), "JOB_RESCUE_AFTER=8s")
		for k, v := range in.environ {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &lockedBuffer{b: &stderr}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		})
		return cmd, &stderr
	}
	killed, _ := start()
	_, survivorLog := start()
	r := hoctap(t, in.environ, "", "broadcast", "--all", "--text", "Hội nghị khuyến học", "--yes")
	if r.code != 0 {
		t.Fatalf("broadcast: exit %d %s", r.code, r.stderr)
	}
	id := strings.TrimSpace(r.stdout)
	sent := func() int {
		return in.count(`SELECT count(*) FROM broadcast_recipients WHERE broadcast_id = $1 AND state = 'sent'`, id)
	}
	deadline := time.Now().Add(60 * time.Second)
	for sent() < people/3 {
		if time.Now().After(deadline) {
			t.Fatalf("a third of the broadcast did not go in 60 s; the survivor's log:\n%s", survivorLog)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := killed.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed.Wait()
	deadline = time.Now().Add(120 * time.Second)
	for sent() < people {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d sent 120 s after the kill; the survivor's log:\n%s", sent(), people, survivorLog)
		}
		time.Sleep(100 * time.Millisecond)
	}
	status := hoctap(t, in.environ, "", "broadcast", "status", id)
	if !strings.Contains(status.stdout, fmt.Sprintf("state done\nat ")) || !strings.HasSuffix(status.stdout, "\nrecipients 300\nsent 300\npending 0\nfailed 0\n") {
		t.Errorf("status after: %q", status.stdout)
	}
	twice := 0
	for _, u := range users {
		n := 0
		for _, m := range api.Messages(u.ID) {
			if strings.Contains(m.Text, "Hội nghị khuyến học") {
				n++
			}
		}
		switch {
		case n == 2:
			twice++
		case n != 1:
			t.Errorf("person %d was shown the broadcast %d times", u.ID, n)
		}
	}
	if inFlight := rate; twice > inFlight { // the killed replica's bulk workers: a second of the rate
		t.Errorf("%d people were shown it twice, more than the %d the killed replica had in flight", twice, inFlight)
	}
	if n := api.Throttled(); n != 0 {
		t.Errorf("Telegram answered 429 %d times", n)
	}
	t.Logf("%d people shown it twice after the kill", twice)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestQuietHoursConfigured: QUIET_HOURS unset is 21:00-07:00; set but
// empty is none.
func TestQuietHoursConfigured(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		environ map[string]string
		want    deliver.Quiet
	}{
		{map[string]string{}, deliver.DefaultQuiet},
		{map[string]string{"QUIET_HOURS": ""}, deliver.Quiet{}},
		{map[string]string{"QUIET_HOURS": "22:30-06:00"}, deliver.Quiet{From: 22*time.Hour + 30*time.Minute, To: 6 * time.Hour}},
	} {
		cfg, err := loadConfig(func(k string) (string, bool) { v, ok := c.environ[k]; return v, ok })
		if err != nil || cfg.quiet != c.want {
			t.Errorf("%v: quiet hours %+v %v, want %+v", c.environ, cfg.quiet, err, c.want)
		}
	}
}
