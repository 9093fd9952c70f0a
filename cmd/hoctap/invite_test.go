package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hoctap/role"
	"hoctap/store"
)

// hoctap invite prints the link alone on stdout, needs the bot's username
// and nothing of Telegram; the first admin is made this way on a new
// installation. Invitations and roles are listed and revoked.
func TestInviteCommands(t *testing.T) {
	in := newInstallation(t)
	env := map[string]string{"DATABASE_URL": in.environ["DATABASE_URL"], "LOG_FORMAT": "json"}
	if r := hoctap(t, env, "", "invite", "--role", "admin", "--area", "VN"); r.code != 2 || !strings.Contains(r.stderr, "TELEGRAM_BOT_USERNAME") {
		t.Errorf("without the username: exit %d %s", r.code, r.stderr)
	}
	env["TELEGRAM_BOT_USERNAME"] = "@hoctap_bot"
	link := regexp.MustCompile(`^https://t\.me/hoctap_bot\?start=([A-Za-z0-9_-]{1,64})\n$`)
	first := hoctap(t, env, "", "invite", "--role", "admin", "--area", "VN")
	m := link.FindStringSubmatch(first.stdout)
	if first.code != 0 || m == nil {
		t.Fatalf("the first admin's invitation: exit %d, stdout %q, stderr %s", first.code, first.stdout, first.stderr)
	}
	// Flags in any order, an argument-free command; a household's
	// invitation is to a village, imported as a commune's villages are.
	villages := filepath.Join(t.TempDir(), "villages.csv")
	if err := os.WriteFile(villages, []byte("code,name,level,parent_code,valid_from,valid_to\n00376.T1,Thôn Thượng,village,00376,2025-07-01,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := hoctap(t, env, "", "areas", "import", villages); r.code != 0 {
		t.Fatalf("import the village: exit %d %s", r.code, r.stderr)
	}
	if r := hoctap(t, env, "", "invite", "--uses", "1", "--area", "00376.T1", "--expires", "2d", "--role", "household"); r.code != 0 || !link.MatchString(r.stdout) {
		t.Errorf("a household's invitation: exit %d %q %s", r.code, r.stdout, r.stderr)
	}
	for _, bad := range [][]string{
		{"--role", "mayor", "--area", "VN"}, {"--role", "leader"}, {"--role", "leader", "--area", "01", "--expires", "soon"},
		{"--role", "leader", "--area", "01", "--uses", "-1"}, {"--role", "leader", "--area", "01", "extra"},
	} {
		if r := hoctap(t, env, "", append([]string{"invite"}, bad...)...); r.code != 2 || r.stdout != "" {
			t.Errorf("invite %v: exit %d, stdout %q, want 2 and nothing", bad, r.code, r.stdout)
		}
	}
	if r := hoctap(t, env, "", "invite", "--role", "household", "--area", "00376"); r.code != 1 || !strings.Contains(r.stderr, "a household invitation is to a village") {
		t.Errorf("a household's invitation to a commune: exit %d %s", r.code, r.stderr)
	}

	// The link works: the payload gives the role.
	ctx := context.Background()
	db, err := store.Open(ctx, in.environ["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := db.Consent(ctx, "telegram", 42, "vi", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if inv, err := db.Redeem(ctx, m[1], p.ID, time.Now()); err != nil || inv.Role != "admin" {
		t.Fatalf("the link's payload: %+v %v", inv, err)
	}
	if may, _ := db.May(ctx, p.ID, role.Invite); !may {
		t.Error("the first admin may not invite")
	}

	list := hoctap(t, env, "", "invite", "list")
	lines := strings.Split(strings.TrimSpace(list.stdout), "\n")
	if list.code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[2], "admin") || !strings.Contains(lines[2], "1/-") ||
		!strings.Contains(lines[1], "household") || !strings.Contains(lines[1], "0/1") {
		t.Errorf("invite list: exit %d\n%s%s", list.code, list.stdout, list.stderr)
	}
	if r := hoctap(t, env, "", "invite", "revoke", "2"); r.code != 0 {
		t.Errorf("revoke: exit %d %s", r.code, r.stderr)
	}
	if r := hoctap(t, env, "", "invite", "revoke", "2"); r.code != 1 {
		t.Errorf("revoke again: exit %d, want 1", r.code)
	}
	if r := hoctap(t, env, "", "invite", "list"); !strings.Contains(r.stdout, "revoked") {
		t.Errorf("the revoked one is not shown so:\n%s", r.stdout)
	}
	roles := hoctap(t, env, "", "roles", "list", "--area", "VN")
	if lines := strings.Split(strings.TrimSpace(roles.stdout), "\n"); roles.code != 0 || len(lines) != 2 || !strings.Contains(lines[1], "admin") {
		t.Errorf("roles list: exit %d\n%s%s", roles.code, roles.stdout, roles.stderr)
	}
	if r := hoctap(t, env, "", "roles", "revoke", "x"); r.code != 2 {
		t.Errorf("roles revoke x: exit %d, want 2", r.code)
	}
	if r := hoctap(t, env, "", "roles", "revoke", "1"); r.code != 0 {
		t.Errorf("roles revoke 1: exit %d %s", r.code, r.stderr)
	}
	if r := hoctap(t, env, "", "roles", "list"); strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("roles after the revoke:\n%s", r.stdout)
	}

	// A province recognises on acceptance until set otherwise.
	for _, c := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"chain", "08"}, 0, "accept\n"},
		{[]string{"chain", "08", "confirm"}, 0, ""},
		{[]string{"chain", "08"}, 0, "confirm\n"},
		{[]string{"chain", "02266", "confirm"}, 1, ""},
		{[]string{"chain", "08", "maybe"}, 2, ""},
		{[]string{"chain"}, 2, ""},
		{[]string{"season", "01", "2027", "2026-12-01", "2027-11-30"}, 0, ""},
		{[]string{"season", "00376", "2027", "2026-12-01", "2027-11-30"}, 1, ""},
		{[]string{"season", "01", "2027", "2027-12-01", "2027-11-30"}, 2, ""},
		{[]string{"season", "01", "soon"}, 2, ""},
		{[]string{"season", "01", "2027", "2026-01-01", "2026-06-30"}, 2, ""}, // no day of 2027
		{[]string{"season", "01", "2026", "2026-01-01", "2026-12-31"}, 1, ""}, // December is 2027's
		{[]string{"season", "01", "2026", "2026-01-01", "2026-11-30"}, 0, ""},
		{[]string{"chain", "08", "accept"}, 0, ""},
	} {
		if r := hoctap(t, env, "", c.args...); r.code != c.code || r.stdout != c.out {
			t.Errorf("hoctap %v: exit %d %q, want %d %q (%s)", c.args, r.code, r.stdout, c.code, c.out, r.stderr)
		}
	}
}
