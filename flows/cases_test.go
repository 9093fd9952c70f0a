package flows_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hoctap/flows"
	"hoctap/scoring"
)

// start takes a person through consent and enrolment to the first question
// of a title.
func (h *harness) start(kind string) {
	l := labels[h.lang]
	h.command("start")
	h.press(l["agree"])
	h.press(kind)
	h.text("Nhà Lê")
	h.press(l["province"])
	h.press(l["commune"])
	if kind != "Dòng họ học tập" && kind != "Đơn vị học tập" {
		h.press(l["village"])
	}
}

// answers returns the stored answers of the person's open assessment.
func (h *harness) answers() scoring.Answers {
	h.t.Helper()
	p, err := h.db.Person(h.ctx, "test", h.chat)
	if err != nil {
		h.t.Fatal(err)
	}
	a, err := h.db.OpenAssessment(h.ctx, p.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return a.Answers
}

// last returns the text of the last output with a text.
func last(out []flows.Output) string {
	for i := len(out) - 1; i >= 0; i-- {
		if out[i].Text != "" {
			return out[i].Text
		}
	}
	return ""
}

func notice(out []flows.Output) string {
	for _, o := range out {
		if o.Notice != "" {
			return o.Notice
		}
	}
	return ""
}

func TestStaleButtonChangesNothing(t *testing.T) {
	h := newHarness(t, "vi")
	h.start("Gia đình học tập")
	h.press("Không áp dụng") // 1.1
	h.press("Có")            // 1.2: evidence
	h.press("◀ Quay lại")    // back to 1.2
	before := h.answers()

	// "Không áp dụng" of question 1.1, pressed again from the old screen.
	out := h.send(flows.Input{Kind: flows.InputButton, Button: h.token("Không áp dụng", 2)}, "old [Không áp dụng]")
	// The person is told, and the old message shows where the assessment is now.
	if notice(out) != "Nút này đã cũ, không còn dùng được." || !strings.Contains(last(out), "<b>1.2</b>") || !out[len(out)-1].Replace {
		t.Errorf("a stale press answered %+v", out)
	}
	if after := h.answers(); len(after) != len(before) || after["1.2"] != before["1.2"] {
		t.Errorf("answers changed from %v to %v", before, after)
	}
	// A token that is not ours at all.
	out = h.send(flows.Input{Kind: flows.InputButton, Button: "hello"}, "foreign button")
	if notice(out) == "" {
		t.Errorf("a foreign token got no answer: %+v", out)
	}
}

func TestDuplicateInputTakesEffectOnce(t *testing.T) {
	h := newHarness(t, "vi")
	h.start("Cộng đồng học tập (thôn, tổ dân phố)")
	in := flows.Input{Kind: flows.InputText, Text: "72", Key: "tg:77"}
	h.send(in, "72")
	// The same update again, after Redis forgot it was seen: the state moved
	// on to 1.2, but the input's key is in PostgreSQL.
	h.send(in, "72 again")
	a := h.answers()
	if len(a) != 1 || a["1.1"] != scoring.Value(72) {
		t.Errorf("answers %v, want only 1.1 = 72", a)
	}
}

func TestTypedNumbers(t *testing.T) {
	h := newHarness(t, "vi")
	h.start("Cộng đồng học tập (thôn, tổ dân phố)")
	for _, tt := range []struct{ typed, reply string }{
		{"nhiều", "Vui lòng gõ một số, ví dụ 12 hoặc 1.000."},
		{"120", "Số phải từ 0 đến 100. Vui lòng gõ lại."},
		{strings.Repeat("9", 4096), "Vui lòng gõ một số, ví dụ 12 hoặc 1.000."},
	} {
		out := h.text(tt.typed)
		if !strings.HasPrefix(last(out), tt.reply+"\n\n") || !strings.Contains(last(out), "<b>1.1</b>") {
			t.Errorf("%.20s: reply %q", tt.typed, last(out))
		}
	}
	h.text("80 %") // 1.1
	h.text("95,5") // 1.2
	h.text("1.000")
	a := h.answers()
	if a["1.1"] != scoring.Value(80) || a["1.2"] != scoring.Value(95.5) || a["1.3"] != scoring.Value(1000) {
		t.Errorf("answers %v", a)
	}
}

func TestWrongInputsAskAgain(t *testing.T) {
	h := newHarness(t, "en")
	h.command("start")
	h.press("✅ I agree")
	h.press("Learning Family")
	out := h.text(strings.Repeat("Nguyễn ", 600))
	if !strings.HasPrefix(last(out), "The name is longer than 100 characters.") {
		t.Errorf("long name: %q", last(out))
	}
	out = h.photo("x.jpg", picture(t, 1), "")
	if !strings.HasPrefix(last(out), "Please type the name as text.") {
		t.Errorf("photo for a name: %q", last(out))
	}
	h.text("Lê")
	h.press("Hà Nội")
	h.press("Sóc Sơn commune")
	h.press("Đông village")
	out = h.photo("x.jpg", picture(t, 1), "")
	if !strings.HasPrefix(last(out), "No photo is needed yet.\n\n") || !strings.Contains(last(out), "<b>1.1</b>") {
		t.Errorf("photo at a question: %q", last(out))
	}
	out = h.text("yes")
	if !strings.HasPrefix(last(out), "Please choose one of the buttons below.") {
		t.Errorf("text at a yes/no question: %q", last(out))
	}
	h.press("Yes")
	out = h.send(flows.Input{Kind: flows.InputPhoto, Photo: &flows.Photo{FileID: "doc", AsFile: true, MIME: "application/pdf"}}, "a PDF")
	if !strings.HasPrefix(last(out), "Only JPEG or PNG pictures are accepted.") {
		t.Errorf("a PDF as evidence: %q", last(out))
	}
	h.files["fake"] = []byte("GIF89a not a jpeg")
	out = h.send(flows.Input{Kind: flows.InputPhoto, Photo: &flows.Photo{FileID: "fake", AsFile: true, MIME: "image/jpeg"}}, "a GIF named .jpg")
	if !strings.HasPrefix(last(out), "Only JPEG or PNG pictures are accepted.") {
		t.Errorf("a GIF as evidence: %q", last(out))
	}
	out = h.send(flows.Input{Kind: flows.InputPhoto, Photo: &flows.Photo{FileID: "big", Size: 30 << 20}}, "a 30 MB photo")
	if !strings.HasPrefix(last(out), "The file is larger than 10 MB.") {
		t.Errorf("a large photo: %q", last(out))
	}
}

func TestRedisLostMidway(t *testing.T) {
	h := newHarness(t, "vi")
	h.start("Gia đình học tập")
	h.press("Không áp dụng") // 1.1
	h.press("Không áp dụng") // 1.2
	// Every key of this conversation is gone.
	if err := h.states.Forget(h.ctx, h.chat); err != nil {
		t.Fatal(err)
	}
	out := h.text("chào")
	if !strings.Contains(last(out), "Bạn đang làm dở bản tự đánh giá") || !strings.Contains(last(out), "(đã trả lời 2/12 câu)") {
		t.Fatalf("after Redis lost the state: %q", last(out))
	}
	out = h.press("▶ Tiếp tục")
	if !strings.Contains(last(out), "<b>1.3</b>") {
		t.Errorf("continued at %q, want question 1.3", last(out))
	}
	if a := h.answers(); len(a) != 2 {
		t.Errorf("answers %v", a)
	}
}

func TestRestartedEngineContinues(t *testing.T) {
	h := newHarness(t, "vi")
	h.start("Gia đình học tập")
	h.press("Không áp dụng")
	// A new engine on the same stores, as after a restart of the bot.
	e := *h.e
	h.e = &e
	out := h.press("Có") // 1.2, from the screen shown before the restart
	if !strings.Contains(last(out), "<b>1.2</b> Minh chứng") {
		t.Errorf("after a restart: %q", last(out))
	}
}

func TestNoConsentNoData(t *testing.T) {
	h := newHarness(t, "vi")
	h.command("start")
	h.text("Nhà Lê")
	out := h.press("Không đồng ý")
	if !strings.Contains(last(out), "không lưu gì về bạn") {
		t.Errorf("refusal: %q", last(out))
	}
	h.photo("x.jpg", picture(t, 1), "")
	h.command("help")
	h.press("English")
	for _, table := range []string{"people", "subjects", "assessments", "answers", "evidence", "audit_log"} {
		if n := h.count(table); n != 0 {
			t.Errorf("%d rows in %s without consent", n, table)
		}
	}
}

func TestDoubleSubmitOnce(t *testing.T) {
	h := newHarness(t, "vi")
	walkFamily(t, h)
	// The Submit button of the same review screen, tapped a second time.
	out := h.send(flows.Input{Kind: flows.InputButton, Button: h.token("📤 Nộp bản tự đánh giá", 0)}, "[📤 Nộp] again")
	if last(out) != "" || notice(out) == "" {
		t.Errorf("second submit answered %+v", out)
	}
	if n := len(h.submitted()); n != 1 {
		t.Errorf("%d submissions", n)
	}
}

func TestWithdrawnSetOffersReplacement(t *testing.T) {
	h := newHarness(t, "vi")
	h.start("Gia đình học tập")
	h.press("Không áp dụng") // 1.1
	h.press("Không áp dụng") // 1.2

	// The province withdraws family-2015@1 for a version 2 without 1.2.
	dir := t.TempDir()
	data, err := os.ReadFile("../scoring/sets/family-2015.yaml")
	if err != nil {
		t.Fatal(err)
	}
	old := strings.Replace(string(data), "status: draft\n", "status: withdrawn\nreplaced_by: family-2015@2\n", 1)
	next := strings.Replace(string(data), "version: 1\n", "version: 2\n", 1)
	next = strings.Replace(next, `      - code: "1.2"`, `      - code: "1.9"`, 1)
	os.WriteFile(filepath.Join(dir, "old.yaml"), []byte(old), 0o644)
	os.WriteFile(filepath.Join(dir, "new.yaml"), []byte(next), 0o644)
	cat, err := loadWithout(dir, "family-2015.yaml")
	if err != nil {
		t.Fatal(err)
	}
	h.engineWithSets(cat)

	out := h.text("?")
	if !strings.Contains(last(out), "family-2015@1") || !strings.Contains(last(out), "Giữ lại được 1/2 câu trả lời") {
		t.Fatalf("no offer to move: %q", last(out))
	}
	out = h.press("Chuyển sang bộ mới")
	if !strings.Contains(last(out), "Đã chuyển sang bộ family-2015@2") || !strings.Contains(last(out), "<b>1.9</b>") {
		t.Errorf("after the move: %q", last(out))
	}
	if a := h.answers(); len(a) != 1 || a["1.1"] != scoring.NotApplicable() {
		t.Errorf("answers after the move: %v", a)
	}
}

// loadWithout loads the shipped sets, replacing the named shipped file by
// the sets in dir.
func loadWithout(dir, shipped string) (*scoring.Catalog, error) {
	files, err := scoring.ShippedFiles()
	if err != nil {
		return nil, err
	}
	for name, data := range files {
		if name != shipped {
			os.WriteFile(filepath.Join(dir, name), data, 0o644)
		}
	}
	return scoring.LoadFolder(dir)
}

func (h *harness) count(table string) int {
	h.t.Helper()
	var n int
	if err := h.db.Pool().QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func TestCommandsAtAnyStep(t *testing.T) {
	h := newHarness(t, "vi")
	h.start("Gia đình học tập")
	h.press("Không áp dụng") // 1.1

	if out := h.command("help"); !strings.Contains(last(out), "/language") {
		t.Errorf("help: %q", last(out))
	}
	if out := h.command("privacy"); !strings.Contains(last(out), "Bot lưu gì?") {
		t.Errorf("privacy: %q", last(out))
	}
	h.command("language")
	out := h.press("English")
	if !strings.HasPrefix(last(out), "Switched to English.") || !strings.Contains(last(out), "Question 2/12") {
		t.Errorf("after switching to English: %q", last(out))
	}
	if p, _ := h.db.Person(h.ctx, "test", h.chat); p.Lang != "en" {
		t.Errorf("saved language %q", p.Lang)
	}
	out = h.command("cancel")
	if !strings.Contains(last(out), "Paused. Your answers are kept") {
		t.Errorf("cancel: %q", last(out))
	}
	out = h.command("start")
	if !strings.Contains(last(out), "in progress (1/12 questions answered)") {
		t.Errorf("start after cancel: %q", last(out))
	}
	out = h.press("▶ Continue")
	if !strings.Contains(last(out), "<b>1.2</b>") {
		t.Errorf("continue: %q", last(out))
	}
	if out := h.command("frobnicate"); !strings.HasPrefix(last(out), "The bot does not know this command.") {
		t.Errorf("unknown command: %q", last(out))
	}
	// Starting over abandons the assessment and offers the titles again.
	h.command("start")
	out = h.press("🗑 Start over")
	if !strings.Contains(last(out), "Which title do you want to self-assess?") {
		t.Errorf("start over: %q", last(out))
	}
	if _, err := h.db.OpenAssessment(h.ctx, 1); err == nil {
		t.Error("the abandoned assessment is still open")
	}
}

func TestConditionsAndReviewerIndicators(t *testing.T) {
	h := newHarness(t, "en")
	h.command("start")
	h.press("✅ I agree")
	h.press("Learning Clan")
	h.text("Nguyễn Đình clan")
	h.press("Hà Nội")
	out := h.press("Sóc Sơn commune") // a clan is placed in a commune
	if !strings.Contains(last(out), "Question 1/9") {
		t.Fatalf("clan questionnaire: %q", last(out))
	}
	h.text("85")          // 1.1 ratio
	h.press("Yes")        // 1.2
	h.press("Yes")        // 1.3: optional evidence
	h.press("⏭ No photo") //
	h.press("Yes")        // 2.1
	out = h.press("A fund raised every year · 10 points")
	_ = out
	h.press("Yes") // 2.3: required evidence
	h.photo("rules.jpg", picture(t, 5), "")
	h.press("✅ Done")
	h.press("Yes")        // 3.1: optional evidence
	h.press("⏭ No photo") //
	h.press("Yes")        // 3.2
	out = h.press("No")   // C1, a condition
	if !strings.Contains(last(out), "Condition C1 is not met.") || !strings.Contains(last(out), "3.3</b> — scored by the reviewer") {
		t.Errorf("review: %q", last(out))
	}
	out = h.press("📤 Submit the self-assessment")
	if !strings.HasPrefix(last(out), "✅ Submitted") || !strings.Contains(last(out), "Still to be scored by the reviewer: 3.3.") {
		t.Errorf("result: %q", last(out))
	}
}

// TestAnotherWriterIsNotOverwritten: the state's copy of the assessment is
// stale once someone else changed it; the next answer is refused as stale
// and the person sees the assessment as it now is.
func TestAnotherWriterIsNotOverwritten(t *testing.T) {
	h := newHarness(t, "vi")
	h.start("Gia đình học tập")
	h.press("Không áp dụng") // 1.1
	p, _ := h.db.Person(h.ctx, "test", h.chat)
	a, err := h.db.OpenAssessment(h.ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Someone else answers 1.2 meanwhile.
	yes := scoring.Yes()
	if _, err := h.db.Apply(h.ctx, flows.Change{AssessmentID: a.ID, Rev: a.Rev, PersonID: p.ID, Key: "other:1",
		Cursor: "1.3", Code: "1.2", Answer: &yes}); err != nil {
		t.Fatal(err)
	}
	out := h.press("Không áp dụng") // 1.2, from the screen shown before
	if notice(out) != "Nút này đã cũ, không còn dùng được." || !strings.Contains(last(out), "<b>1.3</b>") {
		t.Errorf("after another writer: %q / %q", notice(out), last(out))
	}
	if got := h.answers()["1.2"]; got != yes {
		t.Errorf("1.2 is %+v, want the other writer's yes", got)
	}
}

func TestAreaBack(t *testing.T) {
	h := newHarness(t, "vi")
	h.command("start")
	h.press("✅ Đồng ý")
	h.press("Gia đình học tập")
	h.text("Nhà Lê")
	h.press("Thành phố Hà Nội")
	out := h.press("◀ Quay lại")
	if notice(out) != "" || !strings.Contains(last(out), "ở tỉnh, thành phố nào?") {
		t.Errorf("back from the communes: %q %q", notice(out), last(out))
	}
	h.press("Tỉnh Tuyên Quang")
	h.press("Xã Lâm Bình")
	out = h.press("Thôn Nà Khà")
	if !strings.Contains(last(out), "(Thôn Nà Khà)") {
		t.Errorf("after going back: %q", last(out))
	}
}
