package flows_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/flows/flowstest"
	"hoctap/flows/relocate"
	"hoctap/scoring"
)

const staleText = "Nút này đã cũ, không còn dùng được."

func TestStaleButtonChangesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "vi")
	h.enrol("family", "Nhà Lê")
	h.press("Không")      // 1.1
	h.press("Có")         // 1.2: evidence
	h.press("◀ Quay lại") // back to 1.2
	before := h.answers()

	// "Không áp dụng" of question 1.1, pressed again from the old screen
	// (1.2 does not offer it: 1.1 decides whether it applies).
	out := h.pressOld("Không áp dụng", 0)
	// The person is told, and the old message shows where the assessment is now.
	if notice(out) != staleText || !strings.Contains(last(out), "<b>1.2</b>") || !out[len(out)-1].Replace {
		t.Errorf("a stale press answered %+v", out)
	}
	if after := h.answers(); len(after) != len(before) || after["1.2"] != before["1.2"] {
		t.Errorf("answers changed from %v to %v", before, after)
	}
	// A token that is not ours at all, and a press the channel could not
	// read (no token): the same answer.
	for _, data := range []string{"hello", ""} {
		out = h.send(flows.Input{Kind: flows.InputButton, Button: data}, "foreign button "+data)
		if notice(out) != staleText || !strings.Contains(last(out), "<b>1.2</b>") {
			t.Errorf("button %q answered %+v", data, out)
		}
	}
	// A button of another module than the one going on: the menu's title
	// button during the walk.
	out = h.pressOld("Gia đình học tập", 0)
	if notice(out) != staleText || !strings.Contains(last(out), "<b>1.2</b>") {
		t.Errorf("an enrolment button during the walk answered %+v", out)
	}
	if after := h.answers(); len(after) != len(before) {
		t.Errorf("answers changed from %v to %v", before, after)
	}
}

func TestDuplicateInputTakesEffectOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "vi")
	h.enrol("community", "Thôn Đông")
	in := flows.Input{Kind: flows.InputText, Text: "72", Key: "tg:77"}
	h.send(in, "72")
	// The same update again, after Redis forgot it was seen: the state moved
	// on to 1.3, but the input's key is in the store.
	h.send(in, "72 again")
	a := h.answers()
	if len(a) != 1 || a["1.2"] != scoring.Value(72) {
		t.Errorf("answers %v, want only 1.2 = 72", a)
	}
}

func TestTypedNumbers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "vi")
	h.enrol("community", "Thôn Đông")
	for _, tt := range []struct{ typed, reply string }{
		{"nhiều", "Vui lòng gõ tỷ lệ phần trăm, từ 0 đến 100, ví dụ 85."},
		{"120", "Số phải từ 0 đến 100. Vui lòng gõ lại."},
		{strings.Repeat("9", 4096), "Vui lòng gõ tỷ lệ phần trăm, từ 0 đến 100, ví dụ 85."},
		{"0,85", "Tỷ lệ phần trăm gõ từ 0 đến 100: 85 nghĩa là 85 %."},
	} {
		out := h.text(tt.typed)
		if !strings.HasPrefix(last(out), tt.reply) || !strings.Contains(last(out), "<b>1.2</b>") ||
			!strings.Contains(last(out), "• từ 90 % đến dưới 98 %: 5 điểm\n• từ 98 % trở lên: 10 điểm") {
			t.Errorf("%.20s: reply %q", tt.typed, last(out))
		}
	}
	h.text("95,5 %")     // 1.2
	out := h.text("2,5") // 1.3 counts sessions
	if !strings.HasPrefix(last(out), "Vui lòng gõ một số nguyên, ví dụ 12.") || !strings.Contains(last(out), "<b>1.3</b>") {
		t.Errorf("a fraction for a count: %q", last(out))
	}
	h.text("1.000 buổi")
	a := h.answers()
	if a["1.2"] != scoring.Value(95.5) || a["1.3"] != scoring.Value(1000) {
		t.Errorf("answers %v", a)
	}
}

func TestWrongInputsAskAgain(t *testing.T) {
	t.Parallel()
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
	if !strings.HasPrefix(last(out), "📎 Photo received for question 1.1 (1 photo).\n\n") || !strings.Contains(last(out), "<b>1.1</b>") {
		t.Errorf("photo at a question that asks for evidence: %q", last(out))
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
	h.press("✅ Done") // 1.1 has its photo
	h.press("Yes")    // 1.2
	h.press("⏭ Later")
	out = h.photo("y.jpg", picture(t, 2), "")
	if !strings.HasPrefix(last(out), "No photo is needed yet.\n\n") || !strings.Contains(last(out), "<b>1.3</b>") {
		t.Errorf("photo at a question that asks for none: %q", last(out))
	}
}

func TestNoConsentNoData(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "vi")
	h.command("start")
	h.text("Nhà Lê")
	out := h.press("Không đồng ý")
	if !strings.Contains(last(out), "không lưu gì về bạn") {
		t.Errorf("refusal: %q", last(out))
	}
	h.photo("x.jpg", picture(t, 1), "")
	h.command("help")
	h.command("language")
	h.press("English")
	h.send(flows.Input{Kind: flows.InputBlocked}, "blocked")
	if people, assessments := h.store.Count(); people != 0 || assessments != 0 {
		t.Errorf("%d people and %d assessments stored without consent", people, assessments)
	}
	if e := h.store.Effects(); len(e) != 0 {
		t.Errorf("effects without consent: %q", e)
	}
}

func TestDoubleSubmitOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "vi")
	walkFamily(h)
	// The Submit button of the same review and the confirmation's, tapped a
	// second time: the person is told they are out of date and sees the
	// menu, where they are.
	for _, label := range []string{"📤 Nộp bản tự đánh giá", "✅ Nộp"} {
		out := h.pressOld(label, 0)
		if notice(out) != staleText || !strings.Contains(last(out), "Bạn muốn tự đánh giá danh hiệu nào?") {
			t.Errorf("%s again answered %+v", label, out)
		}
	}
	if n := len(h.store.Submitted()); n != 1 {
		t.Errorf("%d submissions", n)
	}
}

func TestResultMessage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "vi")
	walkFamily(h)
	log := h.sh.log.String()
	result := log[strings.LastIndex(log, "> ["):]
	if !strings.Contains(result, "\n< ✅ Đã nộp\n") {
		t.Errorf("the last answer does not start with ✅ Đã nộp:\n%s", result)
	}
	if strings.Count(strings.ToLower(log), "đã nộp") != 1 {
		t.Errorf("\"đã nộp\" shows %d times in the conversation", strings.Count(strings.ToLower(log), "đã nộp"))
	}
}

func TestCommandsAtAnyStep(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "vi")
	h.enrol("family", "Nhà Lê")
	h.press("Không") // 1.1

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
	if p, _ := h.store.Person(h.ctx, "test", h.conv.ID); p.Lang != "en" {
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
	// Starting over asks first, saying what would be lost; then abandons
	// the assessment and offers the titles again.
	h.command("start")
	out = h.press("🗑 Start over")
	if !strings.Contains(last(out), "Answers given: 1, photos: 0. They will be deleted for good.") {
		t.Errorf("start over: %q", last(out))
	}
	if open := h.inProgress(); len(open) != 1 {
		t.Errorf("before the discard is confirmed, in progress: %+v", open)
	}
	out = h.press("🗑 Discard and start over")
	if !strings.Contains(last(out), "Which title do you want to self-assess?") {
		t.Errorf("start over: %q", last(out))
	}
	if open := h.inProgress(); len(open) != 0 {
		t.Errorf("after Start over, in progress: %+v", open)
	}
}

// TestAnotherWriterIsNotOverwritten: the state's copy of the assessment is
// stale once someone else changed it; the next answer is refused as stale
// and the person sees the assessment as it now is.
func TestAnotherWriterIsNotOverwritten(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "vi")
	h.enrol("family", "Nhà Lê")
	h.press("Không") // 1.1
	a := h.open()
	p, _ := h.store.Person(h.ctx, "test", h.conv.ID)
	// Someone else answers 1.2 meanwhile.
	yes := scoring.Yes()
	if _, err := h.store.Apply(h.ctx, flows.Change{AssessmentID: a.ID, Rev: a.Rev, PersonID: p.ID, Key: "other:1",
		Cursor: "1.3", Code: "1.2", Answer: &yes}); err != nil {
		t.Fatal(err)
	}
	out := h.press("Không") // 1.2, from the screen shown before
	if notice(out) != staleText || !strings.Contains(last(out), "<b>1.3</b>") {
		t.Errorf("after another writer: %q / %q", notice(out), last(out))
	}
	if got := h.answers()["1.2"]; got != yes {
		t.Errorf("1.2 is %+v, want the other writer's yes", got)
	}
}

func TestAreaBack(t *testing.T) {
	t.Parallel()
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
	// Back on the communes' screen, pressed from the villages': it would
	// jump to the provinces, past the area shown.
	out = h.pressOld("◀ Quay lại", 1)
	if notice(out) != staleText || !strings.Contains(last(out), "ở thôn, tổ dân phố nào?") {
		t.Errorf("an old Back answered %q %q", notice(out), last(out))
	}
	out = h.press("Thôn Nà Khà")
	if !strings.Contains(last(out), "(Thôn Nà Khà)") {
		t.Errorf("after going back: %q", last(out))
	}
}

// Timers and events reach the module they name while it is going on; one
// whose module is not going on drops itself, with nothing shown or stored.
func TestTimerOfAnotherConversationDropsItself(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "vi")
	h.enrol("family", "Nhà Lê")
	before := h.env
	for _, in := range []flows.Input{
		{Kind: flows.InputTimer, Ref: &flows.Ref{Module: "e", Name: "remind", ID: 1, Rev: 1}},
		{Kind: flows.InputEvent, Ref: &flows.Ref{Module: "r", Name: "decided", ID: 1, Rev: 3}},
		{Kind: flows.InputTimer},
	} {
		if out := h.send(in, "a timer"); len(out) != 0 {
			t.Errorf("%+v showed %+v", in, out)
		}
	}
	if h.env.Module != before.Module || string(h.env.Data) != string(before.Data) {
		t.Errorf("the state moved from %s %s to %s %s", before.Module, before.Data, h.env.Module, h.env.Data)
	}
}

// TestEnrolmentScreens: a name needs letters, every enrolment screen has a
// Back, and the citizen title speaks to the person.
func TestEnrolmentScreens(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "vi")
	h.command("start")
	h.press("✅ Đồng ý")
	h.press("Gia đình học tập")
	if out := h.text("12345"); !strings.HasPrefix(last(out), "Tên cần có chữ cái.") {
		t.Errorf("a name of digits: %q", last(out))
	}
	if out := h.press("◀ Quay lại"); !strings.Contains(last(out), "Bạn muốn tự đánh giá danh hiệu nào?") {
		t.Errorf("Back from the name: %q", last(out))
	}
	h.press("Công dân học tập")
	out := h.text("Lê Văn Cường")
	if !strings.HasPrefix(last(out), "Bạn ở tỉnh, thành phố nào?") || strings.Contains(last(out), "Lê Văn Cường") {
		t.Errorf("the citizen's province: %q", last(out))
	}
	if out := h.press("◀ Quay lại"); !strings.HasPrefix(last(out), "Nhập họ và tên của bạn.") {
		t.Errorf("Back from the province: %q", last(out))
	}
	if out := h.pressOld("◀ Quay lại", 1); notice(out) != "Nút này đã cũ, không còn dùng được." {
		t.Errorf("the province's Back again, from the name step: %+v", out)
	}
}

// TestEnrolOnTheRealTree: on the real tree of 2025 enrolment starts at the
// provinces, below the nation, and pages the lists so that no screen has
// more buttons than Telegram takes; a typed name without accents finds a
// province and a commune; the set is picked by the province found by level.
func TestEnrolOnTheRealTree(t *testing.T) {
	t.Parallel()
	rows, err := area.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	var areas []flows.Area
	for _, r := range rows {
		areas = append(areas, r.Area())
	}
	h := newHarness(t, "vi")
	h.store = flowstest.WithAreas(areas)
	h.restart()
	h.command("start")
	h.press("✅ Đồng ý")
	h.press("Đơn vị học tập")
	out := h.text("Trường Tiểu học Sóc Sơn")
	if r := last(out); !strings.Contains(r, "ở tỉnh, thành phố nào?") || !strings.Contains(r, "Trang 1/2") {
		t.Fatalf("the first area screen: %q", r)
	}
	out = h.press("Thành phố Hà Nội")
	if r := last(out); !strings.Contains(r, "ở xã, phường nào?") || !strings.Contains(r, "Trang 1/7") {
		t.Fatalf("Hà Nội's communes: %q", r)
	}
	out = h.press("Trang sau ▶")
	if r := last(out); !strings.Contains(r, "Trang 2/7") {
		t.Errorf("the next page: %q", r)
	}
	for _, screen := range h.screens {
		n := 0
		for _, row := range screen {
			n += len(row)
		}
		if n > 100 {
			t.Errorf("a screen with %d buttons", n)
		}
	}
	if r := last(out); !strings.Contains(r, "gõ vài chữ của tên để tìm") {
		t.Errorf("a paged list does not say a name can be typed: %q", r)
	}
	h.press("◀ Quay lại") // up to the provinces
	// Typed at the provinces, accents left out: Hà Nội first, as a whole
	// word match at the highest level, before communes named alike.
	out = h.text("ha noi")
	if got := shown(out); len(got) < 2 || got[0] != "Thành phố Hà Nội" {
		t.Errorf("'ha noi' found %q", got)
	}
	// Within Hà Nội, "soc son" finds its commune of that name only.
	h.press("Thành phố Hà Nội")
	out = h.text("soc son")
	if got := shown(out); !slices.Equal(got, []string{"Xã Sóc Sơn", "◀ Quay lại"}) {
		t.Errorf("'soc son' in Hà Nội found %q", got)
	}
	out = h.press("Xã Sóc Sơn")
	if r := last(out); !strings.Contains(r, "Bắt đầu tự đánh giá") || !strings.Contains(r, "Câu 1/") {
		t.Errorf("after choosing Xã Sóc Sơn: %q", r)
	}
	if a := h.open(); a.SetID != "unit-2021" {
		t.Errorf("the unit's set %s", a.SetID)
	}
}

// TestRelocationPages: a commune split into more areas than a screen
// lists offers them twenty a page; a pick on the second page moves the
// household, and the conversation going on is left as it was. An area
// code too long for a button goes by its place in the list.
func TestRelocationPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "en")
	baDinh := flows.Area{Code: "00004", Parent: "01", Level: "commune", Name: scoring.Text{VI: "Phường Ba Đình", EN: "Ba Đình ward"}, Region: scoring.RegionNormal}
	h.store = flowstest.WithAreas(append(area.Sample(), baDinh))
	h.restart()
	h.command("start")
	h.press("✅ I agree")
	h.press("Learning Family")
	h.text("Nhà Lý")
	h.press("Hà Nội")
	h.press("Ba Đình ward") // no villages: enrolled at the ward
	before := h.env
	var into []flows.Area
	for i := 1; i <= 23; i++ {
		code := fmt.Sprintf("W%02d", i)
		if i == 23 {
			code = "W23-" + strings.Repeat("x", 30) // longer than a token carries
		}
		into = append(into, flows.Area{Code: code, Parent: "01", Level: "commune", Region: scoring.RegionNormal,
			Name: scoring.Text{VI: fmt.Sprintf("Phường Mới %02d", i), EN: fmt.Sprintf("Mới %02d ward", i)}})
	}
	asked := h.store.Split("00004", start, into...)
	out := h.send(flows.Input{Kind: flows.InputEvent, Ref: &flows.Ref{Name: relocate.EventAsk, ID: asked[0].Relocation, Rev: 1}}, "(event) relocate")
	if got := shown(out); len(got) != 21 || got[0] != "Mới 01 ward" || got[20] != "Next page ▶" ||
		!strings.HasPrefix(last(out), "<b>Ba Đình ward</b> was split on 1 Mar 2026: which commune or ward is your household <b>Nhà Lý</b> in now?") ||
		!strings.Contains(last(out), "Page 1/2") {
		t.Fatalf("the first page %q %q", got, last(out))
	}
	out = h.press("Next page ▶")
	if got := shown(out); len(got) != 4 || got[2] != "Mới 23 ward" || got[3] != "◀ Previous page" || !out[0].Replace {
		t.Fatalf("the second page %q", got)
	}
	out = h.press("Mới 23 ward")
	if last(out) != "✅ Noted: your household <b>Nhà Lý</b> is now in <b>Mới 23 ward</b>." || h.open().AreaCode != into[22].Code {
		t.Errorf("picked on the second page: %q, in %s", last(out), h.open().AreaCode)
	}
	if h.env.Module != before.Module || string(h.env.Data) != string(before.Data) {
		t.Errorf("the conversation moved from %s %s to %s %s", before.Module, before.Data, h.env.Module, h.env.Data)
	}
}
